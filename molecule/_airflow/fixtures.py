"""pytest fixtures shared by the airflow scenarios (imported by their conftest.py)."""

import os

import pytest

from airflow_api import AirflowApi
from testing import run_playbook


@pytest.fixture
def variables(host):
    return host.ansible.get_variables()


@pytest.fixture
def api(variables):
    """The REST API as the first user of airflow_users (an administrator)."""
    admin = variables["airflow_users"][0]
    return AirflowApi(f"http://127.0.0.1:{variables['airflow_api_port']}", admin["username"], admin["password"])


@pytest.fixture
def play(host):
    """Apply the role to the host under test with extra variables (and ansible-playbook options)."""
    def run(variables, *options):
        return run_playbook(host, os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "play.yml"), variables, *options)
    return run
