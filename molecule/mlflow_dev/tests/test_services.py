"""playbooks/services.yml under supervisor, the development setup's service manager (the
production scenario runs it under systemd): a stop leaves no MLflow process and its port closed,
status reports it down and names it, a start brings it back answering."""

import os
import re

from conftest import ansible_playbook

testinfra_hosts = ["ansible://tracking"]
PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "playbooks", "services.yml")


def services(host, action):
    return ansible_playbook(PLAYBOOK, {"action": action}, "--limit", host.backend.host)


def test_stop_status_and_start_under_supervisor(host, mlflow, on_systemd, service_log):
    # The scenario exists to run MLflow without systemd: a systemd host here would test nothing new.
    assert not on_systemd, "mlflow_dev must run MLflow under supervisor"
    port = host.ansible.get_variables()["mlflow_port"]
    stopped = services(host, "stop")
    try:
        assert stopped.returncode == 0, stopped.output[-4000:]
        assert not host.socket(f"tcp://127.0.0.1:{port}").is_listening
        # (The brackets keep the shell that runs grep from matching itself.)
        assert host.run("ps -eo args= | grep -E '[m]lflow|[u]vicorn|[g]unicorn'").rc == 1, host.run("ps -eo pid,args").stdout
        status = services(host, "status")
        assert status.returncode != 0 and "Down: mlflow" in status.output, status.output[-3000:]
        assert re.search(rf"mlflow\s+mlflow\s+supervisor\s+inactive\s+-\s+-\s+-\s+{port} closed", status.stdout), status.stdout[-3000:]
    finally:
        started = services(host, "start")
    assert started.returncode == 0, started.output[-4000:] + service_log()
    assert host.run(f"{mlflow['curl']} -sf {mlflow['url']}/health").rc == 0
    status = services(host, "status")
    assert status.returncode == 0, status.output[-3000:]
    assert re.search(r"mlflow\s+mlflow\s+supervisor\s+active\s+[0-9]+\s+0h00m\s+[0-9]+M", status.stdout), status.stdout[-3000:]
