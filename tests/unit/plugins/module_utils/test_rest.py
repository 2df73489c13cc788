"""Unit tests of the shared REST client against a fake HTTP server."""

import base64

import pytest

from ansible_collections.efficientai.mlops.plugins.module_utils.rest import RestClient, RestError, safe_error_message


class FakeModule:
    def __init__(self, url, **params):
        self.params = dict(url=url, username=None, password=None, validate_certs=True, ca_path=None,
                           timeout=5.0, retries=2)
        self.params.update(params)


def client(fake_http, **params):
    rest = RestClient(FakeModule(fake_http.url, **params), service="MLflow")
    rest._sleep = lambda seconds: None
    return rest


def test_get_returns_status_and_json(fake_http):
    fake_http.answer("GET", "/api/2.0/mlflow/users/get", 200, {"user": {"username": "ana"}})
    status, data = client(fake_http).request("GET", "/api/2.0/mlflow/users/get", params={"username": "ana"})
    assert (status, data) == (200, {"user": {"username": "ana"}})
    assert fake_http.requests[0]["query"] == {"username": ["ana"]}


def test_basic_auth_and_json_body_are_sent(fake_http):
    fake_http.answer("POST", "/create", 200, {})
    client(fake_http, username="admin", password="pw-123456789").request("POST", "/create", body={"a": 1})
    request = fake_http.requests[0]
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"admin:pw-123456789").decode()
    assert request["json"] == {"a": 1}


def test_transient_errors_are_retried(fake_http):
    fake_http.answer("GET", "/health", 503, {"message": "starting"})
    fake_http.answer("GET", "/health", 200, {"status": "ok"})
    assert client(fake_http).request("GET", "/health") == (200, {"status": "ok"})
    assert len(fake_http.calls("GET", "/health")) == 2


def test_retries_are_bounded(fake_http):
    fake_http.answer("GET", "/health", 503, {"message": "down"})
    with pytest.raises(RestError) as error:
        client(fake_http, retries=2).request("GET", "/health")
    assert error.value.status == 503
    assert len(fake_http.calls("GET", "/health")) == 3


def test_client_errors_are_not_retried(fake_http):
    fake_http.answer("GET", "/users/get", 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "User 'x' not found"})
    with pytest.raises(RestError) as error:
        client(fake_http).request("GET", "/users/get")
    assert error.value.status == 404
    assert error.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert "User 'x' not found" in str(error.value)
    assert len(fake_http.requests) == 1


def test_unexpected_success_status_is_an_error(fake_http):
    fake_http.answer("POST", "/x", 201, {})
    with pytest.raises(RestError, match="HTTP 201"):
        client(fake_http).request("POST", "/x")


def test_password_hash_in_error_body_is_never_shown(fake_http):
    leaked = ("(sqlite3.IntegrityError) UNIQUE constraint failed: users.username [SQL: INSERT INTO users "
              "(username, password_hash) VALUES (?, ?)] [parameters: ('ana', 'scrypt:32768:8:1$abc$0123456789abcdef')]")
    fake_http.answer("POST", "/users/create", 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": leaked})
    with pytest.raises(RestError) as error:
        client(fake_http).request("POST", "/users/create", body={"username": "ana", "password": "x"})
    assert "scrypt" not in str(error.value)
    assert "INSERT" not in str(error.value)
    assert "withheld" in str(error.value)


def test_unreachable_service_is_reported_with_its_url():
    rest = RestClient(FakeModule("http://127.0.0.1:9"), service="MLflow")
    rest._sleep = lambda seconds: None
    with pytest.raises(RestError, match="cannot reach MLflow at http://127.0.0.1:9"):
        rest.request("GET", "/health")


@pytest.mark.parametrize("body,expected", [
    (b'{"error_code": "X", "message": "plain words"}', ("X", "plain words")),
    (b"not json", (None, "(non-JSON error body withheld)")),
    (b'{"detail": "' + b"z" * 500 + b'"}', (None, "z" * 300)),
    (b'{"message": "hash pbkdf2:sha256:600000$salt$deadbeef"}', (None, "(server message withheld: it may contain credentials)")),
])
def test_safe_error_message(body, expected):
    assert safe_error_message(body) == expected


def test_raw_body_and_per_client_params(fake_http):
    fake_http.answer("GET", "/health", 200, b"OK")
    module = FakeModule("http://unused.invalid", retries=0)
    rest = RestClient(module, service="MLflow", params=dict(module.params, url=fake_http.url))
    assert rest.request("GET", "/health", decode=False) == (200, b"OK")
