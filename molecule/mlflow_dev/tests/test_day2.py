"""Day 2 on a running server, in one converge: the admin password is rotated through the
API, and a schema left at an older version is migrated (once: the idempotence step shows
that an unchanged version migrates nothing)."""

import json
import re

testinfra_hosts = ["ansible://tracking"]
NEW = "rotated-Admin-pass-2027"
MARKER = "/var/lib/efficientai/mlflow/schema-version"


def changed(output, task):
    """Whether the task reported `changed` in ansible-playbook's output."""
    return re.search(r"TASK \[[^\]]*: " + re.escape(task) + r"\][^\n]*\n(?:[^\n]*\n){0,2}changed:", output) is not None


def status(host, mlflow, password):
    return host.check_output(f"{mlflow['curl']} -s -o /dev/null -w '%{{http_code}}' -u '{mlflow['admin']}:{password}' "
                             f"{mlflow['url']}/api/2.0/mlflow/users/current")


def test_rotation_and_migration(host, mlflow, run_playbook, tracking_client):
    version = host.file(MARKER).content_string.strip()
    written = tracking_client("write", "before-the-upgrade")
    assert written.rc == 0, written.stderr
    host.run_test(f"echo 3.0.0 > {MARKER}")

    result = run_playbook("converge.yml", {"mlflow_admin_password": NEW,
                                           "mlflow_admin_previous_password": mlflow["password"]})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert NEW not in output and mlflow["password"] not in output
    for task in ("Migrate the tracking database", "Migrate the auth database", "Rotate the admin password"):
        assert changed(output, task), task
    assert host.file(MARKER).content_string.strip() == version
    assert status(host, mlflow, NEW) == "200"
    assert status(host, mlflow, mlflow["password"]) == "401"
    read = tracking_client("read", written.answer[0]["run_id"], password=NEW)
    assert read.rc == 0 and read.answer == written.answer, read.stderr

    # Back to the inventory's password, through the API as well.
    body = json.dumps({"username": mlflow["admin"], "password": mlflow["password"], "current_password": NEW})
    host.run_test(f"{mlflow['curl']} -sf -u '{mlflow['admin']}:{NEW}' -X PATCH -H 'Content-Type: application/json' "
                  f"-d '{body}' {mlflow['url']}/api/2.0/mlflow/users/update-password")
    assert status(host, mlflow, mlflow["password"]) == "200"
