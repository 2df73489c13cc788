"""playbooks/preflight.yml against inventories written here for the proxy container: it passes on
a correct inventory, and fails with a table that names the blocker when a declared port is taken
by something else, a secret is a well-known default, or a variable does not fit its role's spec."""

import json
import os
import subprocess

import pytest
import yaml

testinfra_hosts = ["ansible://security-proxy"]

PLAYBOOK = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "playbooks", "preflight.yml")
SITE = {"name": "app", "server_name": "app.security.test", "listen_port": 21443, "redirect_port": 21480,
        "upstreams": ["127.0.0.1:21101"], "auth_users": [{"name": "operator", "password": "Operator-pass-2026"}]}
TRACKING = {"mlflow_port": 21190, "mlflow_admin_password": "Tracking-admin-2026",
            "mlflow_flask_secret_key": "a-flask-secret-key-of-more-than-32-chars"}


def preflight(tmp_path, proxy_vars=None, tracking=None):
    """Run the checklist on security-proxy, in group proxy (and tracking and backup with `tracking`)."""
    connection = {"ansible_connection": "community.docker.docker"}
    children = {"proxy": {"hosts": {"security-proxy": dict({"proxy_sites": [SITE]}, **(proxy_vars or {}))}},
                "monitoring": {"hosts": {"security-client": {}}}}
    if tracking is not None:
        children["tracking"] = {"hosts": {"security-proxy": tracking}}
        children["backup"] = {"hosts": {"security-proxy": {}}}
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "hosts": {"security-proxy": connection, "security-client": connection},
        "vars": {"preflight_min_disk_gb": 1}, "children": children}}))
    return subprocess.run(["ansible-playbook", "-i", str(inventory), PLAYBOOK, "-e", "preflight_hosts=security-proxy",
                           "-e", f"mlops_reports_dir={tmp_path / 'reports'}"], capture_output=True, text=True, check=False)


def report(tmp_path):
    """The checklist the run left as JSON on the controller."""
    return json.loads((tmp_path / "reports" / "preflight.json").read_text(encoding="utf-8"))


def row(output, check):
    """The table line of a check (as printed by the debug task)."""
    lines = [line for line in output.splitlines() if f"  {check}  " in line or f"  {check} " in line]
    assert lines, f"no row {check!r} in:\n{output[-4000:]}"
    return lines[0]


def test_a_correct_inventory_passes(tmp_path):
    result = preflight(tmp_path, tracking=TRACKING)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 blockers" in result.stdout
    written = report(tmp_path)
    assert written["ready"] is True and written["blockers"] == [], written
    assert {"host": "security-proxy", "check": "variables of role proxy"}.items() <= next(
        row for row in written["checks"] if row["check"] == "variables of role proxy").items()
    for check in ("CPUs", "memory", "operating system", "Python", "backup strategy", "port 21190 (mlflow_port)",
                  "port 21443 (proxy_sites[app].listen_port)", "secret mlflow_admin_password",
                  "variables of role proxy", "variables of role mlflow", "monitoring configured"):
        assert "PASS" in row(result.stdout, check)


def test_a_port_taken_by_another_service_is_a_blocker(tmp_path):
    # 21101 is the sample application's (sample.service), not MLflow's.
    result = preflight(tmp_path, tracking=dict(TRACKING, mlflow_port=21101))
    assert result.returncode != 0
    line = row(result.stdout, "port 21101 (mlflow_port)")
    assert "FAIL" in line and "sample.service" in line and "user sample" in line
    assert "1 blockers" in result.stdout
    assert "security-proxy: port 21101 (mlflow_port): taken by" in result.stdout + result.stderr
    # The report is written before the blocker stops the run.
    written = report(tmp_path)
    assert written["ready"] is False and len(written["blockers"]) == 1, written
    assert written["blockers"][0].startswith("security-proxy: port 21101 (mlflow_port): taken by"), written


@pytest.mark.parametrize("secret, value, problem", [
    ("mlflow_admin_password", "password1234", "a well-known or weak value"),
    ("mlflow_admin_password", "", "missing"),
    ("mlflow_flask_secret_key", "Short-key-2026", "shorter than 32 characters"),
])
def test_a_default_or_weak_secret_is_a_blocker(tmp_path, secret, value, problem):
    result = preflight(tmp_path, tracking=dict(TRACKING, **{secret: value}))
    assert result.returncode != 0
    line = row(result.stdout, f"secret {secret}")
    assert "FAIL" in line and problem in line
    if value:
        assert value not in result.stdout + result.stderr
        assert value not in json.dumps(report(tmp_path))


def test_a_variable_that_does_not_fit_the_role_is_a_blocker(tmp_path):
    result = preflight(tmp_path, proxy_vars={"proxy_max_fails": "many"})
    assert result.returncode != 0
    line = row(result.stdout, "variables of role proxy")
    assert "FAIL" in line and "proxy_max_fails" in line
