"""Unit tests of airflow_user against a fake `airflow users` CLI that behaves like FAB's:
`users create` exits 0 when the user exists, JSON is printed among log lines."""

import json

import pytest

from ansible.module_utils import basic
from ansible_collections.efficientai.mlops.plugins.module_utils import _airflow_cli
from ansible_collections.efficientai.mlops.plugins.modules import airflow_user

PASSWORD = "correct-horse-battery"
LOG_LINE = "2026-11-27T16:37:20Z [warning  ] Using `httpx` is deprecated [py.warnings]"


class FakeCli:
    """Stands in for AnsibleModule.run_command running the airflow CLI."""

    def __init__(self, users=None, create_works=True):
        self.users = users or {}
        self.calls = []
        self.create_works = create_works

    def __call__(self, module, argv, data=None, **kwargs):
        args = argv[3:] if argv[1] == "-c" else argv[1:]
        self.calls.append({"args": args, "stdin": data, "argv": argv})
        command = tuple(args[:2])
        option = dict(zip(args[2::2], args[3::2]))
        if command == ("users", "list"):
            listed = [dict(user, username=name, id=str(i)) for i, (name, user) in enumerate(self.users.items())]
            return 0, f"{LOG_LINE}\n{json.dumps(listed)}\n", ""
        if command == ("users", "create"):
            name = option["--username"]
            if name in self.users:
                return 0, f"{name} already exists in the db\n", ""
            if self.create_works:
                self.users[name] = {"email": option["--email"], "first_name": option["--firstname"],
                                    "last_name": option["--lastname"], "roles": [option["--role"]]}
            return 0, f'User "{name}" created with role "{option["--role"]}"\n', ""
        if command == ("users", "delete"):
            self.users.pop(option["--username"])
            return 0, "deleted\n", ""
        if command == ("users", "import"):
            with open(args[2]) as stream:
                for record in json.load(stream):
                    self.users[record["username"]] = {"email": record["email"], "first_name": record["firstname"],
                                                      "last_name": record["lastname"], "roles": record["roles"]}
            return 0, "Updated\n", ""
        if command == ("users", "reset-password"):
            return 0, "reset\n", ""
        return 2, "", f"unknown command {args}"

    def commands(self):
        return [" ".join(call["args"][:2]) for call in self.calls]


def patch_cli(monkeypatch, fake):
    def run_command(module, argv, **kwargs):
        return fake(module, argv, **kwargs)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)


@pytest.fixture
def airflow_home(tmp_path):
    (tmp_path / "airflow.cfg").write_text("[core]\n")
    return str(tmp_path)


@pytest.fixture
def cli(monkeypatch):
    fake = FakeCli()
    patch_cli(monkeypatch, fake)
    return fake


def args(airflow_home, **extra):
    return dict({"username": "ana", "role": "Admin", "password": PASSWORD, "airflow_home": airflow_home,
                 "airflow_bin": "/opt/airflow/venv/bin/airflow"}, **extra)


def test_create_then_nothing_to_do(run_module, cli, airflow_home):
    created = run_module(airflow_user, args(airflow_home))
    assert created["changed"] and not created["failed"]
    assert created["user"]["roles"] == ["Admin"]
    assert created["diff"]["before"] == {} and created["diff"]["after"]["email"] == "ana@localhost"
    again = run_module(airflow_user, args(airflow_home))
    assert not again["changed"] and not again["failed"]
    assert cli.commands().count("users create") == 1


def test_password_goes_to_stdin_never_to_the_command_line(run_module, cli, airflow_home):
    run_module(airflow_user, args(airflow_home))
    create = next(call for call in cli.calls if call["args"][:2] == ["users", "create"])
    assert create["stdin"] == PASSWORD + "\n"
    assert all(PASSWORD not in part for call in cli.calls for part in call["argv"])


def test_check_mode_predicts_and_changes_nothing(run_module, cli, airflow_home):
    predicted = run_module(airflow_user, args(airflow_home), check_mode=True)
    assert predicted["changed"]
    assert cli.users == {} and cli.commands() == ["users list"]
    assert run_module(airflow_user, args(airflow_home))["changed"] == predicted["changed"]


def test_create_that_exits_0_without_a_user_fails(run_module, monkeypatch, airflow_home):
    patch_cli(monkeypatch, FakeCli(create_works=False))
    result = run_module(airflow_user, args(airflow_home))
    assert result["failed"]
    assert "was not created" in result["msg"]


def test_existing_user_gets_the_wanted_role(run_module, cli, airflow_home):
    cli.users["ana"] = {"email": "ana@localhost", "first_name": "ana", "last_name": "user", "roles": ["Viewer"]}
    changed = run_module(airflow_user, args(airflow_home, role="Op"))
    assert changed["changed"] and changed["diff"]["before"]["roles"] == ["Viewer"]
    assert cli.users["ana"]["roles"] == ["Op"]
    assert not run_module(airflow_user, args(airflow_home, role="Op"))["changed"]


def test_changing_the_email_is_refused(run_module, cli, airflow_home):
    cli.users["ana"] = {"email": "ana@localhost", "first_name": "ana", "last_name": "user", "roles": ["Admin"]}
    result = run_module(airflow_user, args(airflow_home, email="ana@example.com"))
    assert result["failed"] and "cannot change it" in result["msg"]
    assert "users import" not in cli.commands()


def test_absent_deletes_once(run_module, cli, airflow_home):
    cli.users["ana"] = {"email": "ana@localhost", "first_name": "ana", "last_name": "user", "roles": ["Admin"]}
    assert run_module(airflow_user, {"username": "ana", "state": "absent", "airflow_home": airflow_home,
                                     "airflow_bin": "/opt/airflow/venv/bin/airflow"})["changed"]
    assert cli.users == {}
    assert not run_module(airflow_user, {"username": "ana", "state": "absent", "airflow_home": airflow_home,
                                         "airflow_bin": "/opt/airflow/venv/bin/airflow"})["changed"]


def test_new_user_needs_role_and_password(run_module, cli, airflow_home):
    result = run_module(airflow_user, args(airflow_home, password=None))
    assert result["failed"] and "role and password are needed" in result["msg"]


@pytest.mark.parametrize("status, reset", [(201, False), (401, True)])
def test_update_password_always_resets_only_a_wrong_password(run_module, cli, fake_http, airflow_home, status, reset):
    cli.users["ana"] = {"email": "ana@localhost", "first_name": "ana", "last_name": "user", "roles": ["Admin"]}
    fake_http.answer("POST", "/auth/token", status, {"access_token": "x"} if status == 201 else {"detail": "Invalid"})
    result = run_module(airflow_user, args(airflow_home, update_password="always", api_url=fake_http.url))
    assert result["changed"] is reset and result["password_changed"] is reset
    assert ("users reset-password" in cli.commands()) is reset
    assert fake_http.requests[0]["json"] == {"username": "ana", "password": PASSWORD}


def test_cli_failure_is_reported_without_the_password(run_module, monkeypatch, airflow_home):
    def failing(module, argv, data=None, **kwargs):
        if argv[1] == "-c":
            return 1, "", f"Traceback ...\nValueError: password={PASSWORD} rejected, {PASSWORD}"
        return 0, "[]\n", ""
    monkeypatch.setattr(basic.AnsibleModule, "run_command", failing)
    result = run_module(airflow_user, args(airflow_home))
    assert result["failed"] and "airflow users create failed (exit 1)" in result["msg"]
    assert PASSWORD not in json.dumps(result)


def test_missing_airflow_cfg_is_reported(run_module, cli, tmp_path):
    result = run_module(airflow_user, args(str(tmp_path)))
    assert result["failed"] and "no airflow.cfg" in result["msg"]


class TestParseJsonOutput:
    def test_json_after_log_lines(self):
        assert _airflow_cli.parse_json_output(f"{LOG_LINE}\n[{{\"username\": \"a\"}}]\n") == [{"username": "a"}]

    def test_no_json_is_an_error(self):
        with pytest.raises(_airflow_cli.AirflowCliError, match="no JSON"):
            _airflow_cli.parse_json_output(f"{LOG_LINE}\n[not json\n")
