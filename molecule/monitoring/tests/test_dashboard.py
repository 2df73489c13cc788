"""The status dashboard: a service through _common, /health as JSON, the page in
headless Chromium (with a screenshot kept under .cache/artifacts), and the log
error counts as a metric."""

import os
import re
import shutil
import subprocess
import tempfile
import urllib.request

from conftest import DASHBOARD, REPO, json_when, query, wait_for

testinfra_hosts = ["monitoring-server"]
ARTIFACTS = os.path.join(REPO, ".cache", "artifacts", "monitoring")


def test_runs_as_its_own_user_with_journal_access(host):
    pid = host.check_output("systemctl show -p MainPID --value mlops-dashboard")
    assert host.process.get(pid=int(pid)).user == "mlops-dashboard"
    assert "systemd-journal" in host.user("mlops-dashboard").groups
    assert host.check_output("systemctl show -p ProtectSystem --value mlops-dashboard") == "strict"


def test_health_is_json_with_every_service():
    with urllib.request.urlopen(f"{DASHBOARD}/health", timeout=10) as answer:
        assert answer.headers["Content-Type"] == "application/json"
    data = wait_for("every service OK on the dashboard",
                    lambda: json_when(f"{DASHBOARD}/health", lambda d: d["status"] == "ok"), timeout=30)
    states = {s["name"]: (s["node"], s["status"]) for s in data["services"]}
    assert states == {"postgresql": ("monitoring-db", "OK"), "redis": ("monitoring-db", "OK"),
                      "prometheus": ("monitoring-server", "OK"), "alertmanager": ("monitoring-server", "OK"),
                      "pushgateway": ("monitoring-server", "OK"), "bentoml-tlsdemo": ("monitoring-db", "OK")}
    assert data["backup"]["path"] == "/var/backups/efficientai/20261101T020000Z/manifest.json"
    assert data["problems"] == []


def test_log_errors_are_counted_and_exported():
    health = wait_for("error lines of the noisy service",
                      lambda: json_when(f"{DASHBOARD}/health", lambda d: d["log_errors"].get("noisy", 0) > 0),
                      timeout=30)
    counts = health["log_errors"]
    # Only the ERROR lines of the noisy service count, not its INFO lines.
    assert counts["mlops-dashboard"] < counts["noisy"]
    exported = wait_for("mlops_log_errors in Prometheus", lambda: query('mlops_log_errors{service="noisy"}'), timeout=30)
    assert list(exported.values())[0] > 0
    assert query("mlops_backup_last_timestamp_seconds")


def chromium(*args):
    profile = tempfile.mkdtemp(prefix="chromium-")
    try:
        return subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", *args, DASHBOARD + "/"],
            capture_output=True, text=True, timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_page_renders_in_chromium():
    dom = chromium("--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-status="ok"' in dom.stdout
    for name in ("postgresql", "redis", "prometheus", "alertmanager", "pushgateway"):
        assert f"<td>{name}</td>" in dom.stdout
    assert "20261101T020000Z" in dom.stdout
    # A link to every UI: Prometheus's and Alertmanager's here, and the BentoML service's API page.
    assert '<a href="http://127.0.0.1:19090/">Prometheus</a>' in dom.stdout
    assert '<a href="http://127.0.0.1:19093/">Alertmanager</a>' in dom.stdout
    assert re.search(r'<a href="https://[^"]+/">BentoML tlsdemo \(monitoring-db\)</a>', dom.stdout), dom.stdout
    os.makedirs(ARTIFACTS, exist_ok=True)
    screenshot = os.path.join(ARTIFACTS, "dashboard.png")
    if os.path.exists(screenshot):
        os.remove(screenshot)
    shot = chromium("--window-size=1280,1000", "--hide-scrollbars", f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    with open(screenshot, "rb") as image:
        header = image.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")) == (1280, 1000)
    assert os.path.getsize(screenshot) > 20_000
