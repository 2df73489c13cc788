"""The admin password is rotated through the API by the role, and an admin password the
server does not know is refused with a message that says what to do."""

import json

testinfra_hosts = ["ansible://tracking"]
NEW = "rotated-Admin-pass-2027"


def status(host, mlflow, password):
    return host.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' -u '{mlflow['admin']}:{password}' "
                             f"{mlflow['url']}/api/2.0/mlflow/users/current")


def test_unknown_admin_password_is_refused(run_playbook):
    result = run_playbook("converge.yml", {"mlflow_admin_password": "not-the-Admin-pass-1"})
    assert result.returncode != 0
    assert "set the password the server has now in mlflow_admin_previous_password" in result.stdout
    assert "not-the-Admin-pass-1" not in result.stdout + result.stderr


def test_rotation(host, mlflow, run_playbook):
    rotated = run_playbook("converge.yml", {"mlflow_admin_password": NEW,
                                            "mlflow_admin_previous_password": mlflow["password"]})
    assert rotated.returncode == 0, rotated.stdout[-4000:]
    assert NEW not in rotated.stdout + rotated.stderr
    assert status(host, mlflow, NEW) == "200"
    assert status(host, mlflow, mlflow["password"]) == "401"
    # Back to the inventory's password, through the API as well.
    body = json.dumps({"username": mlflow["admin"], "password": mlflow["password"]})
    host.run_test(f"curl -sf -u '{mlflow['admin']}:{NEW}' -X PATCH -H 'Content-Type: application/json' "
                  f"-d '{body}' {mlflow['url']}/api/2.0/mlflow/users/update-password")
    assert status(host, mlflow, mlflow["password"]) == "200"
