"""Unit tests of the status dashboard (roles/monitoring/files/mlops_dashboard.py)."""

import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from unittest import mock

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
# On a host, _health.py is copied beside the dashboard; here it is taken from the collection.
sys.path[:0] = [os.path.join(REPO, "roles", "monitoring", "files"), os.path.join(REPO, "plugins", "module_utils")]

import mlops_dashboard  # noqa: E402

PATTERN = re.compile(mlops_dashboard.DEFAULT_ERROR_PATTERN)


@pytest.fixture
def clock(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(mlops_dashboard.time, "time", lambda: now[0])
    return now


def test_file_errors_count_new_lines_within_the_window(tmp_path, clock):
    log = tmp_path / "mlflow.log"
    log.write_text("ERROR before the dashboard started\n")
    watch = mlops_dashboard.FileErrors({"mlflow": str(log)}, PATTERN, window=600)
    assert watch.counts() == {"mlflow": 0}
    with log.open("a") as out:
        out.write("INFO fine\nERROR: boom\nTraceback (most recent call last):\nCRITICAL disk\nWARNING: no\npartial ERROR")
    clock[0] += 60
    assert watch.counts() == {"mlflow": 3}
    with log.open("a") as out:
        out.write(" line\n")
    clock[0] += 60
    assert watch.counts() == {"mlflow": 4}
    clock[0] += 601
    assert watch.counts() == {"mlflow": 0}


def test_file_errors_follow_rotation_and_missing_files(tmp_path, clock):
    log = tmp_path / "airflow.log"
    log.write_text("x" * 100 + "\n")
    watch = mlops_dashboard.FileErrors({"airflow": str(log), "gone": str(tmp_path / "gone.log")}, PATTERN, 600)
    watch.counts()
    log.unlink()
    log.write_text("ERROR after rotation\n")
    assert watch.counts() == {"airflow": 1, "gone": 0}


def test_journal_errors_count_priority_and_pattern():
    lines = [
        {"MESSAGE": "started", "PRIORITY": "6"},
        {"MESSAGE": "ERROR db gone", "PRIORITY": "6"},
        {"MESSAGE": "segfault", "PRIORITY": "2"},
        {"MESSAGE": list(b"Error \xff bytes"), "PRIORITY": "6"},
    ]
    done = subprocess.CompletedProcess([], 0, stdout="\n".join(json.dumps(line) for line in lines), stderr="")
    with mock.patch.object(mlops_dashboard.subprocess, "run", return_value=done) as run:
        assert mlops_dashboard.JournalErrors(["mlflow"], PATTERN, 900).counts() == {"mlflow": 3}
    argv = run.call_args.args[0]
    assert argv[:3] == ["journalctl", "--unit", "mlflow"]
    assert argv[argv.index("--since") + 1].startswith("@")


def test_journal_that_cannot_be_read_is_an_error():
    failed = subprocess.CompletedProcess([], 1, stdout="", stderr="Failed to open journal")
    with mock.patch.object(mlops_dashboard.subprocess, "run", return_value=failed):
        with pytest.raises(OSError, match="Failed to open journal"):
            mlops_dashboard.JournalErrors(["mlflow"], PATTERN, 900).counts()


def test_services_are_discovered_from_log_files(tmp_path):
    for name in ("mlflow.log", "airflow-scheduler.log", "supervisord.log", "notes.txt"):
        (tmp_path / name).write_text("")
    watch, window = mlops_dashboard.log_watcher({"logs": {"source": "files", "log_dir": str(tmp_path), "window_minutes": 5}})
    assert sorted(watch.files) == ["airflow-scheduler", "mlflow"]
    assert window == 300


def test_newest_backup(tmp_path):
    assert mlops_dashboard.newest_backup(str(tmp_path / "*" / "manifest.json")) is None
    for stamp, name in ((100, "a"), (300, "c"), (200, "b")):
        manifest = tmp_path / name / "manifest.json"
        manifest.parent.mkdir()
        manifest.write_text("{}")
        os.utime(manifest, (stamp, stamp))
    newest = mlops_dashboard.newest_backup(str(tmp_path / "*" / "manifest.json"))
    assert (newest["path"], newest["timestamp"]) == (str(tmp_path / "c" / "manifest.json"), 300)


def test_exposition_escapes_labels():
    text = mlops_dashboard.exposition([("m", "Help.", [({"service": 'a"b\\c\nd'}, 1)]), ("n", "N.", [({}, 2.5)])])
    assert text == ('# HELP m Help.\n# TYPE m gauge\nm{service="a\\"b\\\\c\\nd"} 1\n'
                    '# HELP n N.\n# TYPE n gauge\nn 2.5\n')


def test_page_escapes_what_services_say():
    snap = {"status": "degraded", "updated": 0, "problems": ["<b>x</b>"], "backup": None, "log_window_minutes": 15,
            "log_errors": {"mlflow": 2}, "alerts": [],
            "services": [{"name": "mlflow", "node": "t1", "kind": "http", "status": "DOWN", "detail": "<script>"}]}
    page = mlops_dashboard.render_page(snap, "Stack <1>", 15)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Stack &lt;1&gt;" in page and "no backup found" in page
    assert '<tr class="down">' in page


def test_page_links_every_ui():
    snap = {"status": "ok", "updated": 0, "problems": [], "backup": None, "log_errors": {}, "alerts": [], "services": [],
            "links": [{"name": "MLflow", "url": "https://mlops.example.internal/"},
                      {"name": "Air<flow>", "url": 'https://h:8443/"><script>'}]}
    page = mlops_dashboard.render_page(snap, "Stack", 15)
    assert '<nav id="links"><a href="https://mlops.example.internal/">MLflow</a> &middot; ' in page
    assert '<a href="https://h:8443/&quot;&gt;&lt;script&gt;">Air&lt;flow&gt;</a></nav>' in page


@pytest.fixture
def served(fake_http, tmp_path):
    """A dashboard with one service up (the fake server), one down, and a fake Alertmanager."""
    fake_http.answer("GET", "/health", 200, b"OK")
    fake_http.answer("GET", "/api/v2/alerts", 200, [{
        "labels": {"alertname": "model_drift", "severity": "warning", "instance": ""},
        "annotations": {"summary": "model_drift: drift_score > 0.8"}, "startsAt": "2026-11-01T10:00:00Z"}])
    (tmp_path / "logs").mkdir()
    config = {
        "title": "Test stack", "timeout": 1, "alertmanager_url": fake_http.url,
        "services": [{"name": "mlflow", "node": "t1", "kind": "http", "target": fake_http.url + "/health"},
                     {"name": "redis", "node": "r1", "kind": "tcp", "target": "127.0.0.1:1"}],
        "logs": {"source": "files", "log_dir": str(tmp_path / "logs")},
        "links": [{"name": "MLflow", "url": fake_http.url + "/"}],
    }
    dashboard = mlops_dashboard.Dashboard(config)
    dashboard.refresh()
    server = mlops_dashboard.ThreadingHTTPServer(("127.0.0.1", 0), mlops_dashboard.make_handler(dashboard))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url):
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status, answer.headers["Content-Type"], answer.read().decode()


def test_health_is_json_with_each_service(served):
    status, content_type, body = get(served + "/health")
    data = json.loads(body)
    assert (status, content_type) == (200, "application/json")
    assert data["status"] == "degraded"
    assert [(s["name"], s["status"]) for s in data["services"]] == [("mlflow", "OK"), ("redis", "DOWN")]
    assert data["alerts"][0]["name"] == "model_drift"
    assert [link["name"] for link in data["links"]] == ["MLflow"]


def test_metrics_and_page(served):
    status, content_type, metrics = get(served + "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    assert 'mlops_service_up{service="mlflow",node="t1",kind="http"} 1' in metrics
    assert 'mlops_service_up{service="redis",node="r1",kind="tcp"} 0' in metrics
    assert "mlops_alerts_firing 1" in metrics
    status, content_type, page = get(served + "/")
    assert status == 200
    assert content_type == "text/html; charset=utf-8"
    assert "model_drift: drift_score &gt; 0.8" in page
    assert 'data-status="degraded"' in page


def test_https_services_are_checked_with_their_ca(fake_https, tmp_path):
    fake_https.answer("GET", "/readyz", 200, b"OK")
    service = {"name": "bentoml-iris", "node": "s1", "kind": "http", "target": fake_https.url + "/readyz", "tls": True}
    (tmp_path / "logs").mkdir()
    dashboard = mlops_dashboard.Dashboard({"timeout": 2, "logs": {"source": "files", "log_dir": str(tmp_path / "logs")},
                                           "services": [dict(service, ca_path=fake_https.pki["ca"]),
                                                        dict(service, node="s2", ca_path=fake_https.other_ca),
                                                        dict(service, node="s3", ca_path=str(tmp_path / "missing.crt"))]})
    dashboard.refresh()
    results = {s["node"]: s for s in dashboard.current()["services"]}
    assert results["s1"]["status"] == "OK", results["s1"]
    assert results["s2"]["status"] == "DOWN" and "certificate verify failed" in results["s2"]["detail"], results["s2"]
    assert results["s3"]["status"] == "DOWN", results["s3"]
    assert len(fake_https.calls("GET", "/readyz")) == 1


def test_each_backup_host_from_prometheus(monkeypatch):
    answers = {
        "mlops_backup_configured": {"db:9100": 1.0, "tracking-1:9100": 1.0, "tracking-2:9100": 1.0},
        "mlops_backup_last_success_timestamp_seconds": {"db:9100": 1800000000.0, "tracking-1:9100": 1800000100.0},
        "mlops_backup_last_verified": {"db:9100": 1.0, "tracking-1:9100": 0.0},
        "mlops_backup_last_run_success": {"db:9100": 1.0, "tracking-1:9100": 0.0},
    }
    asked = []

    def vector(url, promql, timeout):
        asked.append((url, promql))
        return answers[promql]
    monkeypatch.setattr(mlops_dashboard, "prometheus_vector", vector)
    assert mlops_dashboard.host_backups("", 3) == [] and asked == []
    found = {b["instance"]: b for b in mlops_dashboard.host_backups("http://127.0.0.1:9090", 3)}
    assert sorted(found) == ["db:9100", "tracking-1:9100", "tracking-2:9100"]
    assert found["db:9100"]["timestamp"] == 1800000000.0 and found["db:9100"]["verified"] and found["db:9100"]["last_run_ok"]
    assert not found["tracking-1:9100"]["verified"] and not found["tracking-1:9100"]["last_run_ok"]
    # Declared, never taken: no time, which the page shows as "never".
    assert found["tracking-2:9100"]["timestamp"] is None and found["tracking-2:9100"]["time"] == "never"
    snap = {"status": "ok", "updated": 0, "problems": [], "backup": None, "log_window_minutes": 15, "log_errors": {},
            "alerts": [], "services": [], "backups": list(found.values())}
    page = mlops_dashboard.render_page(snap, "Stack", 15)
    assert '<tr class="warning"><td>tracking-1:9100</td>' in page and "<td>never</td>" in page
