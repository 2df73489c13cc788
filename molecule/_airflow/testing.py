"""Helpers shared by the airflow scenarios' testinfra tests."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_shared"))
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position


def run_playbook(host, playbook, variables, *options):
    """Run a playbook of the scenario against the host under test; return the process."""
    return ansible_playbook(playbook, dict(variables, target_hosts=host.backend.host), *options)


def play_recap(output):
    """The PLAY RECAP counters of one host, e.g. {'ok': 40, 'changed': 0, 'failed': 0}."""
    for line in output.splitlines():
        if " : ok=" in line:
            return {key: int(value) for key, value in (part.split("=") for part in line.split(":", 1)[1].split())}
    raise AssertionError(f"no PLAY RECAP in:\n{output[-3000:]}")


def assert_runs_as_airflow(host, unit):
    assert host.service(unit).is_running, journal(host, unit)
    pid = host.check_output(f"systemctl show -p MainPID --value {unit}")
    assert host.check_output(f"ps -o user= -p {pid}") == "airflow"


def health_statuses(host, port):
    """{component: status} from /api/v2/monitor/health, read inside the container."""
    health = json.loads(host.check_output(f"curl -sf http://127.0.0.1:{port}/api/v2/monitor/health"))
    return {name: part["status"] for name, part in health.items()}


ALL_HEALTHY = {"metadatabase": "healthy", "scheduler": "healthy", "triggerer": "healthy", "dag_processor": "healthy"}


def listening_on(host, *ports):
    """The listening sockets of the host on any of these ports."""
    return [s for s in host.socket.get_listening_sockets() if any(s.endswith(f":{port}") for port in ports)]


def log_server_ports(variables):
    return variables["airflow_worker_log_server_port"], variables["airflow_trigger_log_server_port"], 8793, 8794


def journal(host, *units):
    """The last journal lines of the units, for assertion messages."""
    return "\n".join(host.run(f"journalctl -u {unit} -n 30 --no-pager").stdout for unit in units)
