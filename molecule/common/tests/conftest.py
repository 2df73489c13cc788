"""Helpers shared by the common scenario's tests."""

import os
import sys

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(SCENARIO_DIR), "_shared"))
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def port(host):
    return int(host.ansible.get_variables()["sample_app_port"])


@pytest.fixture
def service_log(host):
    """The last log lines of the sample service, shown when an assertion fails."""
    def read():
        if host.file("/run/systemd/system").exists:
            return host.run("journalctl -u sample -n 40 --no-pager").stdout
        return host.run("tail -n 40 /var/log/efficientai/sample.log").stdout
    return read


@pytest.fixture
def run_playbook(host):
    """Run a playbook of this scenario against the host under test."""
    def run(playbook, variables):
        return ansible_playbook(os.path.join(SCENARIO_DIR, playbook), dict(variables, target_hosts=host.backend.host))
    return run


@pytest.fixture
def run_caller(run_playbook):
    """Run one entry point of _common, through a test role, with the given variables."""
    def run(entry_point, variables):
        return run_playbook("caller.yml", dict(variables, caller_entry_point=entry_point))
    return run
