"""Fixtures of the airflow_dev scenario's tests."""

import os
import sys

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SCENARIO_DIR, "..", "_airflow"))

from airflow_api import AirflowApi  # noqa: E402
from testing import run_playbook  # noqa: E402


@pytest.fixture
def variables(host):
    return host.ansible.get_variables()


@pytest.fixture
def api(variables):
    admin = variables["airflow_users"][0]
    return AirflowApi(f"http://127.0.0.1:{variables['airflow_api_port']}", admin["username"], admin["password"])


@pytest.fixture
def play(host):
    def run(variables):
        return run_playbook(host, os.path.join(SCENARIO_DIR, "play.yml"), variables)
    return run
