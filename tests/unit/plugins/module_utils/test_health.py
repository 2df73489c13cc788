"""Unit tests of what counts as up for each kind of service."""

import pytest

from ansible_collections.efficientai.mlops.plugins.module_utils._health import (
    CheckFailed, airflow_problems, check_service, format_table, target_problem)

HEALTHY_AIRFLOW = {
    "metadatabase": {"status": "healthy"},
    "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-11-01T10:00:00+00:00"},
    "triggerer": {"status": "healthy", "latest_triggerer_heartbeat": "2026-11-01T10:00:00+00:00"},
    "dag_processor": {"status": "healthy", "latest_dag_processor_heartbeat": "2026-11-01T10:00:00+00:00"},
}


def never_called(url):
    raise AssertionError("no HTTP request expected")


@pytest.mark.parametrize("kind, target, problem", [
    ("http", "http://mlflow:5000/health", None),
    ("airflow", "https://airflow.example.com/api/v2/monitor/health", None),
    ("tcp", "db1:5432", None),
    ("tcp", "[::1]:6379", None),
    ("tcp", "db1", "host:port"),
    ("tcp", "db1:70000", "host:port"),
    ("http", "mlflow:5000/health", "http:// or https:// URL"),
    ("ftp", "ftp://x", "kind must be one of"),
    ("http", "", "target is required"),
])
def test_targets_are_validated(kind, target, problem):
    found = target_problem(kind, target)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("kind, target, problem", [
    ("http", "https://mlflow:5000/health", None),
    ("airflow", "https://airflow:8080/api/v2/monitor/health", None),
    ("http", "http://mlflow:5000/health", "must be an https:// URL"),
    ("airflow", "http://airflow:8080/api/v2/monitor/health", "must be an https:// URL"),
])
def test_a_service_that_serves_tls_needs_an_https_target(kind, target, problem):
    found = target_problem(kind, target, tls=True)
    assert (found is None) if problem is None else (problem in found)


def test_all_components_healthy_is_no_problem():
    assert airflow_problems(HEALTHY_AIRFLOW) == []


def test_an_unhealthy_component_is_a_problem_even_if_not_required():
    data = dict(HEALTHY_AIRFLOW, triggerer={"status": "unhealthy", "latest_triggerer_heartbeat": None})
    assert airflow_problems(data) == ["triggerer unhealthy"]


def test_a_required_component_must_be_reported_healthy():
    data = dict(HEALTHY_AIRFLOW, scheduler={"status": None}, dag_processor=None)
    assert airflow_problems(data) == ["scheduler not reported"]
    assert airflow_problems(dict(HEALTHY_AIRFLOW, dag_processor=None),
                            required=["metadatabase", "dag_processor"]) == ["dag_processor not reported"]


def test_airflow_answering_200_with_an_unhealthy_scheduler_is_down():
    body = b'{"metadatabase": {"status": "healthy"}, "scheduler": {"status": "unhealthy"}}'
    result = check_service({"name": "airflow", "kind": "airflow", "target": "http://a/h"},
                           lambda url: (200, body), timeout=1)
    assert result["status"] == "DOWN"
    assert result["detail"] == "unhealthy: scheduler unhealthy"


def test_airflow_answer_that_is_not_json_is_down():
    result = check_service({"name": "airflow", "kind": "airflow", "target": "http://a/h"},
                           lambda url: (200, b"<html>"), timeout=1)
    assert (result["status"], result["detail"]) == ("DOWN", "the health answer is not JSON")


def test_http_failure_is_down_with_its_reason():
    def refused(url):
        raise CheckFailed("cannot reach mlflow at http://m:5000: Connection refused")
    result = check_service({"name": "mlflow", "node": "t1", "kind": "http", "target": "http://m:5000/health"},
                           refused, timeout=1)
    assert result["status"] == "DOWN"
    assert "Connection refused" in result["detail"]
    assert result["node"] == "t1"


def test_tcp_is_retried_then_up():
    attempts = []

    class Conn:
        def close(self):
            pass

    def connect(address, timeout):
        attempts.append(address)
        if len(attempts) < 3:
            raise ConnectionRefusedError(111, "Connection refused")
        return Conn()
    result = check_service({"name": "redis", "kind": "tcp", "target": "r1:6379"}, never_called,
                           timeout=1, retries=2, sleep=lambda s: None, connect=connect)
    assert result["status"] == "OK"
    assert attempts == [("r1", 6379)] * 3


def test_tcp_retries_are_bounded():
    attempts = []

    def connect(address, timeout):
        attempts.append(address)
        raise ConnectionRefusedError(111, "Connection refused")
    result = check_service({"name": "redis", "kind": "tcp", "target": "r1:6379"}, never_called,
                           timeout=1, retries=1, sleep=lambda s: None, connect=connect)
    assert result["status"] == "DOWN"
    assert result["detail"] == "cannot connect to r1:6379: Connection refused"
    assert len(attempts) == 2


def test_table_lists_every_service_and_counts():
    results = [
        {"name": "mlflow", "node": "t1", "kind": "http", "target": "http://t1:5000/health", "status": "OK", "detail": "HTTP 200"},
        {"name": "redis", "node": "", "kind": "tcp", "target": "r1:6379", "status": "DOWN", "detail": "refused"},
    ]
    lines = format_table(results)
    assert lines[0].split() == ["SERVICE", "NODE", "CHECK", "STATUS", "DETAIL"]
    assert lines[1].split()[:5] == ["mlflow", "t1", "http", "http://t1:5000/health", "OK"]
    assert lines[2].split() == ["redis", "-", "tcp", "r1:6379", "DOWN", "refused"]
    assert lines[-1] == "1 OK, 1 DOWN"
    # The status column lines up.
    assert lines[1].index(" OK ") == lines[2].index(" DOWN ")
