"""Helpers of the security scenario: commands in the client container, playbooks against the proxy."""

import json
import os
import subprocess
import tempfile

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENT = "security-client"


@pytest.fixture(scope="session")
def site():
    """The site and the credentials of the inventory (molecule.yml)."""
    return {"name": "app.security.test", "port": 21443, "redirect_port": 21480,
            "replicas": [21101, 21102], "user": "operator", "password": "Operator-pass-2026"}


@pytest.fixture(scope="session")
def client():
    """Run a command in the client container (another container, same host network)."""
    def run(*argv):
        return subprocess.run(["docker", "exec", CLIENT, *argv], capture_output=True, text=True, check=False)
    return run


@pytest.fixture(scope="session")
def play():
    """Run a playbook of this scenario with extra variables; return the process."""
    def run(playbook, variables, *options):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as extra:
            json.dump(variables, extra)
        try:
            return subprocess.run(
                ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(SCENARIO_DIR, playbook),
                 "-e", f"@{extra.name}", *options], capture_output=True, text=True, check=False)
        finally:
            os.unlink(extra.name)
    return run
