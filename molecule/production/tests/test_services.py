"""playbooks/services.yml on the production stack (production_data's share; it runs last there):
a stop leaves no process of the stack and no listening port but SSH on any host, a start brings
every health check of health.yml back, and status reports a stopped service as down, naming it,
until a start of its component alone brings it back."""

import re

from conftest import host_name, recaps, run_playbook

testinfra_hosts = [f"ansible://{host_name('ops')}"]
HOSTS = ("db", "tracking-1", "serving", "ops", "worker")
# The stack's programs (the Debian units' and the collection's own services').
STACK = re.compile(r"postgres|mlflow|airflow|celery|bentoml|haproxy|nginx|prometheus|alertmanager|pushgateway"
                   r"|redis-server|mlops_dashboard|gunicorn|uvicorn")


def listening(node):
    """The TCP ports that listen on the host (Docker's embedded DNS aside)."""
    lines = node.check_output("ss -Hltn").splitlines()
    return sorted({int(line.split()[3].rsplit(":", 1)[1]) for line in lines if not line.split()[3].startswith("127.0.0.11:")})


def stack_processes(node):
    return [line for line in node.check_output("ps -eo pid=,args=").splitlines() if STACK.search(line)]


def test_stop_leaves_nothing_running_and_start_brings_every_service_back(host):
    nodes = {role: host.get_host(f"ansible://{host_name(role)}", ansible_inventory=host.backend.ansible_inventory)
             for role in HOSTS}
    stopped = run_playbook("services.yml", "-e", "action=stop")
    try:
        assert stopped.returncode == 0, stopped.output[-5000:]
        # The front first, the stores last: nginx's tier ran before PostgreSQL's.
        assert stopped.stdout.index("Act on tier 1 of 4: stop front") < stopped.stdout.index("Act on tier 4 of 4: stop store")
        for role, node in nodes.items():
            # SSH where the scenario connects over it (production; production_data uses docker exec).
            assert set(listening(node)) <= {22}, (role, node.check_output("ss -Hltnp"))
            assert stack_processes(node) == [], (role, stack_processes(node))
    finally:
        started = run_playbook("services.yml", "-e", "action=start")
    assert started.returncode == 0, started.output[-5000:]
    assert all(recap["failed"] == 0 for recap in recaps(started.stdout).values())
    health = run_playbook("health.yml")
    assert health.returncode == 0, health.stdout[-4000:]


def test_status_names_a_stopped_service_until_its_component_starts(host):
    host.run_test("systemctl stop mlops-dashboard")
    try:
        status = run_playbook("services.yml", "-e", "action=status")
        assert status.returncode != 0
        assert re.search(r"mlops-dashboard\s+monitoring\s+systemd\s+inactive\s+-", status.stdout), status.stdout[-4000:]
        assert "Down: mlops-dashboard" in status.output, status.output[-3000:]
        # The other services of the host are reported running and answering.
        assert re.search(r"airflow-api-server\s+airflow\s+systemd\s+active\s+[0-9]+", status.stdout), status.stdout[-4000:]
    finally:
        started = run_playbook("services.yml", "-e", "action=start", "--tags", "monitoring")
    assert started.returncode == 0, started.output[-3000:]
    assert host.service("mlops-dashboard").is_running
    assert run_playbook("services.yml", "-e", "action=status").returncode == 0
