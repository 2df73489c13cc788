"""Helpers of the MLflow scenarios (mlflow_prod runs test_tracking.py from here too)."""

import json
import os
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "_shared"))
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position

SUPERVISORCTL = "/opt/efficientai/supervisor/venv/bin/supervisorctl -c /opt/efficientai/supervisor/supervisord.conf"
PYTHON = "/opt/efficientai/mlflow/venv/bin/python"
# The CA the mlflow role installs beside the server's certificate (mlflow_tls).
TLS_CA = "/opt/efficientai/mlflow/tls/ca.crt"


@pytest.fixture
def mlflow(host):
    """The server as the inventory sets it up; with mlflow_tls over HTTPS, and `curl` verifies it."""
    variables = host.ansible.get_variables()
    tls = bool(variables.get("mlflow_tls", False))
    return {"url": f"{'https' if tls else 'http'}://127.0.0.1:{variables['mlflow_port']}",
            "admin": variables.get("mlflow_admin_username", "admin"),
            "password": variables["mlflow_admin_password"],
            "tls": tls, "ca": TLS_CA if tls else None,
            "curl": f"curl --cacert {TLS_CA}" if tls else "curl"}


@pytest.fixture
def on_systemd(host):
    return host.file("/run/systemd/system").is_directory


@pytest.fixture
def service_log(host, on_systemd):
    """The server's last log lines, shown when an assertion about it fails."""
    def read():
        if on_systemd:
            return host.run("journalctl -u mlflow -n 60 --no-pager").stdout
        return host.run("tail -n 60 /var/log/efficientai/mlflow.log").stdout
    return read


@pytest.fixture
def restart_mlflow(host, on_systemd, mlflow, service_log):
    def restart():
        command = "systemctl restart mlflow" if on_systemd else f"{SUPERVISORCTL} restart mlflow"
        host.run_test(command)
        deadline = time.time() + 120
        while time.time() < deadline:
            if host.run(f"{mlflow['curl']} -sf {mlflow['url']}/health").rc == 0:
                return
            time.sleep(1)
        pytest.fail(f"MLflow did not come back after a restart:\n{service_log()}")
    return restart


@pytest.fixture
def tracking_client(host, mlflow):
    """Run tracking_client.py with the server's virtual environment, as a separate process."""
    host.ansible("copy", f"src={HERE}/tracking_client.py dest=/root/tracking_client.py mode=0644", check=False)

    def run(*args, user=None, password=None):
        env = {"MLFLOW_TRACKING_URI": mlflow["url"], "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
               "MLFLOW_TRACKING_USERNAME": user or mlflow["admin"],
               "MLFLOW_TRACKING_PASSWORD": password or mlflow["password"]}
        if mlflow["tls"]:
            env["MLFLOW_TRACKING_SERVER_CERT_PATH"] = mlflow["ca"]
        prefix = " ".join(f"{key}='{value}'" for key, value in env.items())
        result = host.run(f"env {prefix} {PYTHON} /root/tracking_client.py " + " ".join(f"'{a}'" for a in args))
        # MLflow prints "View run ..." lines first; the answer is the last line.
        result.answer = json.loads(result.stdout.strip().splitlines()[-1]) if result.rc == 0 else None
        return result
    return run


@pytest.fixture
def run_playbook(host):
    """Run a playbook of molecule/mlflow_dev against the host under test."""
    def run(playbook, variables):
        return ansible_playbook(os.path.join(os.path.dirname(HERE), playbook), variables, "--limit", host.backend.host)
    return run


@pytest.fixture
def backdate(host):
    """Age experiments and their runs by `days` in the tracking database."""
    host.ansible("copy", f"src={HERE}/backdate.py dest=/root/backdate.py mode=0644", check=False)

    def run(days, *experiments):
        host.run_test(f"sh -c 'set -a; . /etc/efficientai/mlflow.env; {PYTHON} /root/backdate.py {days} "
                      + " ".join(experiments) + "'")
    return run
