"""Unit tests of mlops_health against a fake HTTP server and real sockets."""

import socket

import pytest

from ansible_collections.efficientai.mlops.plugins.modules import mlops_health


@pytest.fixture
def closed_port():
    """A loopback port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def open_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def run_health(run_module, services, check_mode=False, **params):
    return run_module(mlops_health, dict(dict(services=services, timeout=2, retries=1), **params), check_mode=check_mode)


def test_every_kind_up(run_module, fake_http, open_port):
    fake_http.answer("GET", "/health", 200, b"OK")
    fake_http.answer("GET", "/api/v2/monitor/health", 200, {
        "metadatabase": {"status": "healthy"}, "scheduler": {"status": "healthy"},
        "triggerer": {"status": "healthy"}, "dag_processor": None})
    result = run_health(run_module, [
        {"name": "mlflow", "node": "t1", "kind": "http", "target": fake_http.url + "/health"},
        {"name": "airflow", "kind": "airflow", "target": fake_http.url + "/api/v2/monitor/health"},
        {"name": "postgresql", "kind": "tcp", "target": f"127.0.0.1:{open_port}"},
    ])
    assert not result["failed"] and not result["changed"]
    assert result["all_ok"] and result["down"] == []
    assert [s["status"] for s in result["services"]] == ["OK", "OK", "OK"]
    assert [s["detail"] for s in result["services"]] == ["HTTP 200", "all components healthy", "port open"]
    assert result["table"][-1] == "3 OK, 0 DOWN"


def test_down_services_are_reported_not_failed(run_module, fake_http, closed_port):
    fake_http.answer("GET", "/api/v2/monitor/health", 200, {
        "metadatabase": {"status": "healthy"}, "scheduler": {"status": "unhealthy"}})
    fake_http.answer("GET", "/readyz", 500, {"detail": "model not loaded"})
    result = run_health(run_module, [
        {"name": "airflow", "node": "o1", "kind": "airflow", "target": fake_http.url + "/api/v2/monitor/health"},
        {"name": "bentoml", "kind": "http", "target": fake_http.url + "/readyz"},
        {"name": "redis", "node": "r1", "kind": "tcp", "target": f"127.0.0.1:{closed_port}"},
        {"name": "mlflow", "kind": "http", "target": f"http://127.0.0.1:{closed_port}/health"},
    ])
    assert not result["failed"]
    assert not result["all_ok"]
    assert result["down"] == ["airflow@o1", "bentoml", "redis@r1", "mlflow"]
    details = {s["name"]: s["detail"] for s in result["services"]}
    assert details["airflow"] == "unhealthy: scheduler unhealthy"
    assert "HTTP 500" in details["bentoml"]
    assert "refused" in details["redis"].lower()
    assert "cannot reach mlflow" in details["mlflow"]
    assert result["table"][-1] == "0 OK, 4 DOWN"


def test_transient_errors_are_retried(run_module, fake_http):
    fake_http.answer("GET", "/health", 503, {"message": "starting"})
    fake_http.answer("GET", "/health", 200, b"OK")
    result = run_health(run_module, [{"name": "mlflow", "kind": "http", "target": fake_http.url + "/health"}])
    assert result["all_ok"]
    assert len(fake_http.calls("GET", "/health")) == 2


def test_other_status_codes_can_count_as_up(run_module, fake_http):
    # An application that asks for a login is up.
    fake_http.answer("GET", "/", 401, {"detail": "login required"})
    result = run_health(run_module, [{"name": "web", "kind": "http", "target": fake_http.url + "/",
                                      "status_codes": [200, 401]}])
    assert result["all_ok"], result
    assert result["services"][0]["detail"] == "HTTP 401"


def test_check_mode_checks_too(run_module, fake_http):
    fake_http.answer("GET", "/health", 200, b"OK")
    result = run_health(run_module, [{"name": "mlflow", "kind": "http", "target": fake_http.url + "/health"}],
                        check_mode=True)
    assert result["all_ok"] and not result["changed"]
    assert len(fake_http.calls("GET", "/health")) == 1


@pytest.mark.parametrize("service, message", [
    ({"name": "db", "kind": "tcp", "target": "db1"}, "services[0] (db): a tcp target is host:port"),
    ({"name": "m", "kind": "http", "target": "m:5000"}, "services[0] (m): an http target is an http:// or https:// URL"),
])
def test_bad_targets_fail_before_checking(run_module, service, message):
    result = run_health(run_module, [service])
    assert result["failed"]
    assert message in result["msg"]


def test_bad_timeout_fails(run_module):
    result = run_health(run_module, [{"name": "db", "kind": "tcp", "target": "db1:5432"}], timeout=0)
    assert result["failed"] and "timeout" in result["msg"]


def test_https_services_are_verified_with_their_own_ca(run_module, fake_https):
    fake_https.answer("GET", "/health", 200, b"OK")
    service = {"name": "mlflow", "node": "t1", "kind": "http", "target": fake_https.url + "/health", "tls": True}
    result = run_health(run_module, [dict(service, ca_path=fake_https.pki["ca"])])
    assert result["all_ok"], result
    assert result["services"][0]["detail"] == "HTTP 200"
    # The service's ca_path wins over the module's.
    result = run_health(run_module, [dict(service, ca_path=fake_https.pki["ca"])], ca_path=fake_https.other_ca)
    assert result["all_ok"], result


def test_https_service_with_another_ca_is_down(run_module, fake_https):
    fake_https.answer("GET", "/health", 200, b"OK")
    service = {"name": "mlflow", "kind": "http", "target": fake_https.url + "/health", "tls": True}
    for params, extra in (({}, {"ca_path": fake_https.other_ca}), ({"ca_path": fake_https.other_ca}, {})):
        result = run_health(run_module, [dict(service, **extra)], **params)
        assert not result["all_ok"], result
        assert "certificate" in result["services"][0]["detail"].lower(), result["services"][0]["detail"]
    assert fake_https.calls("GET", "/health") == []


def test_a_tls_service_with_a_plain_target_is_refused(run_module):
    result = run_health(run_module, [{"name": "mlflow", "kind": "http", "target": "http://t1:5000/health", "tls": True}])
    assert result["failed"]
    assert "services[0] (mlflow): the service serves TLS (tls: true): its target must be an https:// URL" in result["msg"]
