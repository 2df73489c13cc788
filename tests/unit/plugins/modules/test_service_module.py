"""Unit tests of the service module, against a stand-in for systemctl and journalctl."""

import grp
import json
import os
import pwd
import socket
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.efficientai.mlops.plugins.modules import service

UNIT = "[Service]\nExecStart=/opt/app/bin/app\n"
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


class FakeSystemd:
    """systemctl's answers for one unit, and every command the module ran."""

    def __init__(self, active=False, enabled=False, fails=()):
        self.active, self.enabled, self.fails, self.commands = active, enabled, set(fails), []

    def __call__(self, argv, **_kwargs):
        command, args = os.path.basename(argv[0]), argv[1:]
        if command == "journalctl":
            return 0, "app[1]: Traceback: address already in use\n", ""
        self.commands.append(args[0])
        if args[0] in self.fails:
            return 1, "", f"Job for app.service failed ({args[0]})"
        if args[0] == "is-active":
            return (0 if self.active else 3), "", ""
        if args[0] == "is-enabled":
            return 0, "enabled" if self.enabled else "disabled", ""
        self.active = {"start": True, "restart": True, "stop": False, "disable": self.active and "--now" not in args}.get(
            args[0], self.active)
        self.enabled = {"enable": True, "disable": False}.get(args[0], self.enabled)
        return 0, "", ""

    def changes(self):
        return [c for c in self.commands if c not in ("is-active", "is-enabled")]


def standing_in(fake):
    return mock.patch.multiple(basic.AnsibleModule, run_command=lambda _self, argv, **kw: fake(argv, **kw),
                               get_bin_path=lambda _self, name, **_kw: f"/bin/{name}")


@pytest.fixture
def systemd():
    fake = FakeSystemd()
    with standing_in(fake):
        yield fake


@pytest.fixture
def args(tmp_path):
    (tmp_path / "units").mkdir()
    return {"name": "app", "unit": UNIT, "env_file": str(tmp_path / "etc" / "app.env"), "unit_dir": str(tmp_path / "units"),
            "owner": USER, "group": GROUP, "directories": [str(tmp_path / "etc"), str(tmp_path / "log")],
            "environment": {"PORT": 5000}, "secret_environment": {"TOKEN": "s3cret-value"}}


def test_the_first_call_changes_and_the_second_does_not(systemd, args, run_module):
    first = run_module(service, args)
    assert first["changed"] and first["unit_changed"] and first["env_changed"]
    assert systemd.changes() == ["daemon-reload", "enable", "start"]
    env = os.stat(args["env_file"])
    assert env.st_mode & 0o777 == 0o600 and env.st_uid == os.getuid()
    assert open(args["env_file"], encoding="utf-8").read() == 'PORT="5000"\nTOKEN="s3cret-value"\n'
    assert open(os.path.join(args["unit_dir"], "app.service"), encoding="utf-8").read() == UNIT
    systemd.commands.clear()
    second = run_module(service, args)
    assert not second["changed"] and systemd.changes() == []


def test_check_mode_predicts_the_real_run_and_changes_nothing(systemd, args, run_module):
    predicted = run_module(service, args, check_mode=True)
    assert predicted["changed"] and systemd.changes() == [] and not os.path.exists(args["env_file"])
    real = run_module(service, args)
    assert {k: real[k] for k in ("changed", "unit_changed", "env_changed", "restarted", "active")} == \
        {k: predicted[k] for k in ("changed", "unit_changed", "env_changed", "restarted", "active")}
    assert not run_module(service, args, check_mode=True)["changed"]


def test_a_changed_environment_restarts_and_the_diff_censors_secrets(systemd, args, run_module):
    run_module(service, args)
    systemd.commands.clear()
    changed = dict(args, environment={"PORT": 5001}, secret_environment={"TOKEN": "n3w-secret"})
    result = run_module(service, changed)
    assert result["changed"] and result["restarted"] and not result["unit_changed"]
    assert systemd.changes() == ["restart"]
    diff = result["diff"]
    assert diff["after"]["env_file"] == 'PORT="5001"\nTOKEN="********"\n'
    assert diff["before"]["env_file"] == 'PORT="5000"\nTOKEN="********"\n'
    assert "secret" not in repr(result)


def test_a_changed_unit_reloads_systemd_and_restarts(systemd, args, run_module):
    run_module(service, args)
    systemd.commands.clear()
    result = run_module(service, dict(args, unit=UNIT + "MemoryMax=1G\n"))
    assert result["unit_changed"] and result["diff"]["after"]["unit"].endswith("MemoryMax=1G\n")
    assert systemd.changes() == ["daemon-reload", "restart"]


def test_restart_on_request_and_stop(systemd, args, run_module):
    run_module(service, args)
    systemd.commands.clear()
    assert run_module(service, dict(args, restart=True))["restarted"] and systemd.changes() == ["restart"]
    systemd.commands.clear()
    stopped = run_module(service, dict(args, state="stopped"))
    assert stopped["changed"] and systemd.changes() == ["disable", "stop"] and not systemd.active


def test_a_wrong_mode_or_owner_of_the_environment_file_is_fixed(systemd, args, run_module):
    run_module(service, args)
    os.chmod(args["env_file"], 0o644)
    result = run_module(service, args)
    assert result["changed"] and result["env_changed"] and os.stat(args["env_file"]).st_mode & 0o777 == 0o600


def test_absent_stops_and_removes_everything(systemd, args, run_module):
    run_module(service, args)
    systemd.commands.clear()
    assert run_module(service, dict(args, state="absent"), check_mode=True)["changed"] and systemd.changes() == []
    result = run_module(service, dict(args, state="absent"))
    assert result["changed"] and systemd.changes() == ["disable", "reset-failed", "daemon-reload"] and not systemd.active
    assert not os.path.exists(args["env_file"]) and not os.listdir(args["unit_dir"])
    assert not run_module(service, dict(args, state="absent"))["changed"]


def test_it_waits_for_the_http_path(systemd, args, run_module, fake_http):
    fake_http.answer("GET", "/health", 503)
    fake_http.answer("GET", "/health", 200)
    port = int(fake_http.url.rsplit(":", 1)[1])
    result = run_module(service, dict(args, ready={"port": port, "path": "/health", "timeout": 20}))
    assert not result.get("failed"), result
    assert len(fake_http.calls("GET", "/health")) == 2


def test_a_service_that_does_not_become_ready_fails_with_its_journal(systemd, args, run_module):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = run_module(service, dict(args, ready={"port": port, "timeout": 2}))
    assert result["failed"]
    assert f"app did not become ready within 2 s (systemd): port {port} of 127.0.0.1" in result["msg"]
    assert "address already in use" in result["msg"]


def test_a_failing_start_reports_systemctl_and_the_journal(args, run_module):
    fake = FakeSystemd(fails={"start"})
    with standing_in(fake):
        result = run_module(service, args)
    assert result["failed"] and "systemctl start app.service failed (exit 1)" in result["msg"]
    assert "address already in use" in result["journal"]


def test_bad_input_is_refused_before_anything_changes(systemd, args, run_module):
    bad_name = run_module(service, dict(args, environment={"1PORT": 5000}))
    assert bad_name["failed"] and "'1PORT' is not a valid environment variable name" in bad_name["msg"]
    no_user = run_module(service, dict(args, owner="no-such-user-here"))
    assert no_user["failed"] and "no such user or group" in no_user["msg"]
    assert systemd.changes() == [] and not os.path.exists(args["env_file"])


def test_check_mode_on_a_new_host_before_its_user_exists(systemd, args, run_module):
    predicted = run_module(service, dict(args, owner="not-created-yet"), check_mode=True)
    assert predicted["changed"] and not predicted.get("failed") and systemd.changes() == []


# supervisor: the same definition as a program, a launcher and supervisorctl.

PROGRAM = "[program:app]\ncommand=/etc/app.run\nautostart=true\n"
LAUNCHER = "#!/bin/sh\nexec /opt/app/bin/app\n"


class FakeSupervisorctl:
    """supervisorctl's answers for one program, and every command the module ran."""

    def __init__(self, spawn_error=False):
        self.loaded, self.running, self.spawn_error, self.commands = False, False, spawn_error, []

    def __call__(self, argv, **_kwargs):
        command = argv[3]
        if command != "status":
            self.commands.append(command)
        if command == "status":
            if not self.loaded:
                return 4, "app: ERROR (no such process)", ""
            return (0 if self.running else 3), f"app    {'RUNNING   pid 42, uptime 0:00:05' if self.running else 'STOPPED'}", ""
        if command == "update":
            self.loaded, self.running = True, True
            return 0, "app: added process group", ""
        if command in ("start", "restart") and self.spawn_error:
            return 0, "app: ERROR (spawn error)", ""
        self.running = {"start": True, "restart": True, "stop": False}.get(command, self.running)
        if command == "remove":
            self.loaded = False
        return 0, "", ""


@pytest.fixture
def supervisorctl():
    fake = FakeSupervisorctl()
    with standing_in(fake):
        yield fake


@pytest.fixture
def supervised(tmp_path):
    (tmp_path / "supervisor" / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "supervisor" / "venv" / "bin" / "supervisorctl").touch()
    return {"name": "app", "manager": "supervisor", "program": PROGRAM, "launcher": LAUNCHER,
            "program_file": str(tmp_path / "supervisor" / "conf.d" / "app.conf"), "launcher_file": str(tmp_path / "etc" / "app.run"),
            "run_dir": str(tmp_path / "run" / "app"), "supervisorctl": str(tmp_path / "supervisor" / "venv" / "bin" / "supervisorctl"),
            "supervisor_conf": str(tmp_path / "supervisor" / "supervisord.conf"), "log_file": str(tmp_path / "log" / "app.log"),
            "env_file": str(tmp_path / "etc" / "app.env"), "owner": USER, "group": GROUP,
            "directories": [str(tmp_path / "etc"), str(tmp_path / "log"), str(tmp_path / "supervisor" / "conf.d")],
            "environment": {"PORT": 5000}, "secret_environment": {"TOKEN": "s3cret-value"}}


def test_supervisor_the_first_call_loads_the_program_and_the_second_changes_nothing(supervisorctl, supervised, run_module):
    first = run_module(service, supervised)
    assert first["changed"] and first["unit_changed"] and first["env_changed"] and first["active"]
    assert supervisorctl.commands == ["update"] and supervisorctl.running
    assert open(supervised["launcher_file"], encoding="utf-8").read() == LAUNCHER
    assert os.stat(supervised["launcher_file"]).st_mode & 0o777 == 0o750
    assert os.stat(supervised["run_dir"]).st_mode & 0o777 == 0o700
    supervisorctl.commands.clear()
    second = run_module(service, supervised)
    assert not second["changed"] and supervisorctl.commands == []


def test_supervisor_a_changed_environment_or_launcher_restarts(supervisorctl, supervised, run_module):
    run_module(service, supervised)
    supervisorctl.commands.clear()
    result = run_module(service, dict(supervised, secret_environment={"TOKEN": "n3w-secret"}))
    assert result["restarted"] and supervisorctl.commands == ["restart"] and "secret" not in repr(result)
    supervisorctl.commands.clear()
    result = run_module(service, dict(supervised, launcher=LAUNCHER + "# new\n"))
    assert result["restarted"] and supervisorctl.commands == ["restart"]
    assert result["diff"]["after"]["launcher"].endswith("# new\n")


def test_supervisor_a_changed_program_is_updated_once_not_restarted_again(supervisorctl, supervised, run_module):
    run_module(service, supervised)
    supervisorctl.commands.clear()
    result = run_module(service, dict(supervised, program=PROGRAM + "stopwaitsecs=60\n",
                                      environment={"PORT": 5001}))
    assert result["changed"] and supervisorctl.commands == ["update"]


def test_supervisor_check_mode_predicts_and_changes_nothing(supervisorctl, supervised, run_module):
    # On a new host supervisor is not even installed yet.
    absent = run_module(service, dict(supervised, supervisorctl="/nonexistent/supervisorctl"), check_mode=True)
    assert absent["changed"] and not absent.get("failed")
    predicted = run_module(service, supervised, check_mode=True)
    assert predicted["changed"] and supervisorctl.commands == [] and not os.path.exists(supervised["program_file"])
    run_module(service, supervised)
    assert not run_module(service, supervised, check_mode=True)["changed"]


def test_supervisor_stop_and_absent(supervisorctl, supervised, run_module):
    run_module(service, supervised)
    supervisorctl.commands.clear()
    assert run_module(service, dict(supervised, state="stopped"))["changed"] and supervisorctl.commands == ["stop"]
    # A stopped program stays stopped without a change (its autostart is a line of its definition).
    assert not run_module(service, dict(supervised, state="stopped"))["changed"]
    supervisorctl.commands.clear()
    removed = run_module(service, dict(supervised, state="absent"))
    assert removed["changed"] and supervisorctl.commands == ["stop", "remove"]
    assert not any(os.path.exists(supervised[key]) for key in ("program_file", "launcher_file", "env_file", "run_dir"))
    assert not run_module(service, dict(supervised, state="absent"))["changed"]


def test_supervisor_a_spawn_error_fails_with_the_log_tail(supervised, run_module, tmp_path):
    fake = FakeSupervisorctl(spawn_error=True)
    fake.loaded = True
    os.makedirs(tmp_path / "log")
    (tmp_path / "log" / "app.log").write_text("app: address already in use\n", encoding="utf-8")
    os.makedirs(os.path.dirname(supervised["program_file"]))
    open(supervised["program_file"], "w", encoding="utf-8").write(PROGRAM)
    with standing_in(fake):
        result = run_module(service, supervised)
    assert result["failed"] and "supervisorctl start app failed" in result["msg"] and "spawn error" in result["msg"]
    assert "address already in use" in result["journal"]


def test_supervisor_not_ready_shows_the_log_file(supervisorctl, supervised, run_module, tmp_path):
    os.makedirs(tmp_path / "log")
    (tmp_path / "log" / "app.log").write_text("Traceback: bad config\n", encoding="utf-8")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = run_module(service, dict(supervised, ready={"port": port, "timeout": 1}))
    assert result["failed"] and "(supervisor)" in result["msg"] and "Traceback: bad config" in result["msg"]


def test_the_record_is_written_without_a_restart_and_removed_when_the_service_stops(systemd, args, run_module, tmp_path):
    record_file = str(tmp_path / "etc" / "services" / "app.json")
    args = dict(args, record_file=record_file, record={"name": "app", "tier": "app"},
                directories=args["directories"] + [str(tmp_path / "etc" / "services")])
    run_module(service, args)
    systemd.commands.clear()
    changed = run_module(service, dict(args, record={"name": "app", "tier": "front"}))
    assert changed["changed"] and not changed["restarted"] and not changed["unit_changed"]
    assert systemd.changes() == []
    with open(record_file, encoding="utf-8") as stream:
        assert json.load(stream) == {"name": "app", "tier": "front"}
    assert os.stat(record_file).st_mode & 0o777 == 0o600  # no world-readable file in the configuration directory
    stopped = run_module(service, dict(args, state="stopped", record=None))
    assert stopped["changed"] and not os.path.exists(record_file) and systemd.changes() == ["disable", "stop"]


class CrashLoopingSystemd(FakeSystemd):
    """A unit that systemd restarts again and again: each `show` finds one more restart."""

    def __init__(self):
        super().__init__()
        self.restarts = 0

    def __call__(self, argv, **kwargs):
        if len(argv) > 1 and argv[1] == "show":
            self.restarts += 1
            return 0, f"ActiveState=activating\nNRestarts={self.restarts}", ""
        return super().__call__(argv, **kwargs)


def free_port():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


def test_a_crash_looping_service_fails_without_waiting_out_the_timeout(args, run_module):
    with standing_in(CrashLoopingSystemd()):
        result = run_module(service, dict(args, ready={"port": free_port(), "timeout": 60}))
    # The reason, not the timeout: it stopped waiting at the third restart.
    assert result["failed"] and "it exited and was restarted 3 times while it was awaited" in result["msg"]


def test_supervisor_a_program_that_backs_off_fails_at_once(supervised, run_module):
    class BackingOff(FakeSupervisorctl):
        def __call__(self, argv, **kwargs):
            if argv[3] == "status" and self.loaded:
                return 3, "app    BACKOFF   Exited too quickly (process log may have details)", ""
            return super().__call__(argv, **kwargs)

    with standing_in(BackingOff()):
        result = run_module(service, dict(supervised, ready={"port": free_port(), "timeout": 60}))
    assert result["failed"] and "supervisor reports it BACKOFF" in result["msg"]
