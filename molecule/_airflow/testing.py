"""Helpers shared by the airflow scenarios' testinfra tests."""

import json
import os
import subprocess
import tempfile


def run_playbook(host, playbook, variables, *options):
    """Run a playbook of the scenario against the host under test; return the process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as extra:
        json.dump(dict(variables, target_hosts=host.backend.host), extra)
    try:
        return subprocess.run(
            ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], playbook, "-e", f"@{extra.name}", *options],
            capture_output=True, text=True, check=False)
    finally:
        os.unlink(extra.name)


def play_recap(output):
    """The PLAY RECAP counters of one host, e.g. {'ok': 40, 'changed': 0, 'failed': 0}."""
    for line in output.splitlines():
        if " : ok=" in line:
            return {key: int(value) for key, value in (part.split("=") for part in line.split(":", 1)[1].split())}
    raise AssertionError(f"no PLAY RECAP in:\n{output[-3000:]}")


def journal(host, *units):
    """The last journal lines of the units, for assertion messages."""
    return "\n".join(host.run(f"journalctl -u {unit} -n 30 --no-pager").stdout for unit in units)
