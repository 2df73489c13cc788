"""playbooks/health.yml: the status table of every service, the same result as JSON on the
controller, and a failure when one is down."""

import json
import os

from conftest import DASHBOARD, REPO, json_when, wait_for

testinfra_hosts = ["monitoring-db"]
HEALTH = os.path.join(REPO, "playbooks", "health.yml")


def status_lines(output):
    """The rows of the status table, as the playbook prints them (one list item a row)."""
    rows = [line.strip().strip('",').removeprefix("- ") for line in output.splitlines()]
    return [row for row in rows if " tcp " in row or " http " in row]


def report(folder):
    """The JSON report health.yml left in the reports directory for the monitoring host (monitoring-server)."""
    return json.loads((folder / "health-monitoring-server.json").read_text(encoding="utf-8"))


def test_all_ok(run_playbook, tmp_path):
    result = run_playbook(HEALTH, {"mlops_reports_dir": str(tmp_path / "reports")})
    assert result.returncode == 0, result.stdout + result.stderr
    written = report(tmp_path / "reports")
    assert written["all_ok"] is True and written["down"] == [], written
    assert len(written["services"]) == 7 and {row["status"] for row in written["services"]} == {"OK"}, written
    assert oct((tmp_path / "reports").stat().st_mode & 0o777) == "0o700"
    assert "7 OK, 0 DOWN" in result.stdout
    assert "All 7 services are OK" in result.stdout
    # The service that serves TLS is checked over HTTPS, verified against the stack's CA.
    tls = [line.split()[:5] for line in status_lines(result.stdout) if line.startswith("bentoml-tlsdemo ")]
    assert tls == [["bentoml-tlsdemo", "monitoring-db", "http", "https://127.0.0.1:19140/readyz", "OK"]], result.stdout


def test_stopped_service_is_down_and_fails(host, run_playbook, tmp_path):
    host.run("systemctl stop redis-server")
    try:
        result = run_playbook(HEALTH, {"mlops_reports_dir": str(tmp_path)})
        lines = status_lines(result.stdout)
        redis = [line for line in lines if line.startswith("redis ")]
        assert result.returncode != 0
        assert redis and redis[0].split()[:5] == ["redis", "monitoring-db", "tcp", "127.0.0.1:19179", "DOWN"], result.stdout
        assert "Connection refused" in redis[0]
        assert "6 OK, 1 DOWN" in result.stdout
        assert "DOWN: redis@monitoring-db" in result.stdout + result.stderr
        # The report is written before the run fails.
        assert report(tmp_path)["all_ok"] is False and report(tmp_path)["down"] == ["redis@monitoring-db"]
        dashboard = wait_for("redis DOWN on the dashboard", lambda: json_when(
            f"{DASHBOARD}/health", lambda d: d["status"] == "degraded"), timeout=30)
        assert [s["name"] for s in dashboard["services"] if s["status"] == "DOWN"] == ["redis"]
    finally:
        host.run("systemctl start redis-server")
    assert run_playbook(HEALTH).returncode == 0
