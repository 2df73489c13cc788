"""Unit tests of mlflow_user against a fake MLflow server."""

import base64
import json

import pytest

from ansible_collections.efficientai.mlops.plugins.modules import mlflow_user

API = "/api/2.0/mlflow"
HASH_LEAK = {"error_code": "RESOURCE_ALREADY_EXISTS", "message": (
    "User (username=ana) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed\n"
    "[SQL: INSERT INTO users (username, password_hash, is_admin) VALUES (?, ?, ?)]\n"
    "[parameters: ('ana', 'scrypt:32768:8:1$fRxsBU0R94N6j8lH$7a659d8be07c69725455219fb5c8370211', 0)]")}
NOT_FOUND = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "User with username=ana not found"}


def user(name="ana", is_admin=False):
    return {"user": {"id": 2, "username": name, "is_admin": is_admin}}


def run(run_module, fake_http, check_mode=False, **args):
    base = dict(url=fake_http.url, username="admin", password="admin-password-1", name="ana", retries=0)
    return run_module(mlflow_user, dict(base, **args), check_mode=check_mode)


def auth_of(request):
    return base64.b64decode(request["headers"]["Authorization"].split()[1]).decode()


def test_creates_a_missing_user_after_reading_it(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 404, NOT_FOUND)
    fake_http.answer("POST", f"{API}/users/create", 200, user())
    result = run(run_module, fake_http, user_password="ana-password-123")
    assert not result["failed"] and result["changed"] and result["password_changed"]
    assert result["user"] == {"id": 2, "username": "ana", "is_admin": False}
    assert [r["path"] for r in fake_http.requests] == [f"{API}/users/get", f"{API}/users/create"]
    assert fake_http.calls("POST")[0]["json"] == {"username": "ana", "password": "ana-password-123"}
    assert auth_of(fake_http.requests[0]) == "admin:admin-password-1"


def test_check_mode_predicts_creation_without_writing(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 404, NOT_FOUND)
    result = run(run_module, fake_http, check_mode=True, user_password="ana-password-123", admin=True)
    assert result["changed"]
    assert result["diff"] == {"before": {}, "after": {"username": "ana", "is_admin": True, "password": "(changed)"}}
    assert fake_http.calls("POST") == [] and fake_http.calls("PATCH") == []


def test_admin_flag_is_set_on_create(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 404, NOT_FOUND)
    fake_http.answer("POST", f"{API}/users/create", 200, user())
    fake_http.answer("PATCH", f"{API}/users/update-admin", 200, {})
    result = run(run_module, fake_http, user_password="ana-password-123", admin=True)
    assert result["user"]["is_admin"] is True
    assert fake_http.calls("PATCH")[0]["json"] == {"username": "ana", "is_admin": True}


def test_existing_user_is_unchanged_and_never_recreated(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 200, user())
    result = run(run_module, fake_http, user_password="ana-password-123")
    assert not result["failed"] and not result["changed"] and not result["password_changed"]
    assert fake_http.calls("POST") == []


def test_always_checks_the_password_by_logging_in_and_keeps_a_good_one(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 200, user())
    fake_http.answer("GET", f"{API}/users/current", 200, user())
    result = run(run_module, fake_http, user_password="ana-password-123", update_password="always")
    assert not result["changed"]
    assert auth_of(fake_http.calls("GET", f"{API}/users/current")[0]) == "ana:ana-password-123"
    assert fake_http.calls("PATCH") == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_always_changes_a_password_that_does_not_log_in(run_module, fake_http, check_mode):
    fake_http.answer("GET", f"{API}/users/get", 200, user())
    fake_http.answer("GET", f"{API}/users/current", 401, b"You are not authenticated.")
    fake_http.answer("PATCH", f"{API}/users/update-password", 200, {})
    result = run(run_module, fake_http, check_mode=check_mode, user_password="new-password-456",
                 update_password="always")
    assert result["changed"] and result["password_changed"]
    patches = fake_http.calls("PATCH", f"{API}/users/update-password")
    assert patches == [] if check_mode else patches[0]["json"] == {"username": "ana", "password": "new-password-456"}


def test_own_password_rotation_sends_the_current_password(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 200, user("admin", is_admin=True))
    fake_http.answer("GET", f"{API}/users/current", 401, b"You are not authenticated.")
    fake_http.answer("PATCH", f"{API}/users/update-password", 200, {})
    result = run(run_module, fake_http, name="admin", user_password="new-password-456", update_password="always")
    assert result["changed"] and result["password_changed"]
    expected = {"username": "admin", "password": "new-password-456", "current_password": "admin-password-1"}
    assert fake_http.calls("PATCH")[0]["json"] == expected


def test_admin_flag_is_updated(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 200, user())
    fake_http.answer("PATCH", f"{API}/users/update-admin", 200, {})
    result = run(run_module, fake_http, admin=True)
    assert result["changed"] and result["user"]["is_admin"] is True
    assert result["diff"]["before"]["is_admin"] is False and result["diff"]["after"]["is_admin"] is True


def test_absent_deletes_then_does_nothing(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 200, user())
    fake_http.answer("DELETE", f"{API}/users/delete", 200, {})
    assert run(run_module, fake_http, state="absent")["changed"]
    assert fake_http.calls("DELETE")[0]["json"] == {"username": "ana"}
    fake_http.routes[("GET", f"{API}/users/get")] = [(404, NOT_FOUND)]
    assert not run(run_module, fake_http, state="absent")["changed"]


def test_refuses_to_delete_the_login_user(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 200, user("admin", True))
    result = run(run_module, fake_http, name="admin", state="absent", check_mode=True)
    assert result["failed"] and "cannot delete itself" in result["msg"]


def test_a_server_message_with_a_hash_is_never_shown(run_module, fake_http):
    # A user created between the read and the create (a race): MLflow answers with the SQL.
    fake_http.answer("GET", f"{API}/users/get", 404, NOT_FOUND)
    fake_http.answer("POST", f"{API}/users/create", 400, HASH_LEAK)
    result = run(run_module, fake_http, user_password="ana-password-123")
    assert result["failed"]
    shown = json.dumps(result)
    assert "scrypt" not in shown and "INSERT" not in shown and "7a659d8be07c" not in shown
    assert "RESOURCE_ALREADY_EXISTS" in result["msg"] and "withheld" in result["msg"]


def test_wrong_admin_credentials_fail_clearly(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 401, b"You are not authenticated.")
    result = run(run_module, fake_http, user_password="ana-password-123")
    assert result["failed"] and "HTTP 401" in result["msg"] and "'ana'" in result["msg"]


@pytest.mark.parametrize("args, message", [
    ({"user_password": "short"}, "at least 12 characters"),
    ({"name": "a b"}, "without spaces"),
])
def test_bad_arguments_fail_before_any_request(run_module, fake_http, args, message):
    result = run(run_module, fake_http, **args)
    assert result["failed"] and message in result["msg"]
    assert fake_http.requests == []


def test_creation_needs_a_password(run_module, fake_http):
    fake_http.answer("GET", f"{API}/users/get", 404, NOT_FOUND)
    result = run(run_module, fake_http)
    assert result["failed"] and "user_password is required" in result["msg"]


def test_a_404_without_mlflow_error_code_is_an_error_not_a_missing_user(run_module, fake_http):
    # A wrong URL (or a proxy) must not be taken for "no such user" and lead to a create.
    result = run(run_module, fake_http, user_password="ana-password-123")
    assert result["failed"] and "HTTP 404" in result["msg"]
    assert fake_http.calls("POST") == []
