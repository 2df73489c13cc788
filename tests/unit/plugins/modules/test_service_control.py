"""Unit tests of the service_control module: the services of a host from their records, acted on
through stand-ins for systemctl and supervisorctl, with real sockets for the ports."""

import json
import os
import socket
import time
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.efficientai.mlops.plugins.filter.service import service_record
from ansible_collections.efficientai.mlops.plugins.modules import service_control

SUPERVISOR = {"supervisorctl": "/opt/sv/bin/supervisorctl", "supervisor_conf": "/opt/sv/supervisord.conf"}


class FakeManagers:
    """systemctl and supervisorctl with units that run or not; every command they were given."""

    def __init__(self, running=(), fails=()):
        self.running, self.fails, self.commands = set(running), set(fails), []

    def __call__(self, argv, **_kwargs):
        tool = os.path.basename(argv[0])
        args = argv[3:] if tool == "supervisorctl" else argv[1:]
        self.commands.append((tool, *args))
        if tool == "journalctl":  # --unit UNIT --lines N --no-pager
            return 0, "".join(f"{args[1]} line {n}\n" for n in range(1, int(args[3]) + 1)), ""
        action, names = args[0], list(args[1:])
        if action == "tail":  # -BYTES NAME: the end of a long log, its first line cut
            return 0, "".join(f"{names[1]} line {n}\n" for n in range(1, 1000))[-int(names[0][1:]):], ""
        if action in self.fails:
            return 1, "", f"{action} failed"
        if action == "show":
            names = names[2:]  # -p PROPERTIES
            return 0, "\n\n".join(
                f"Id={unit}\nActiveState={'active' if unit in self.running else 'inactive'}\n"
                f"MainPID={os.getpid() if unit in self.running else 0}\nActiveEnterTimestampMonotonic="
                f"{int((time.clock_gettime(time.CLOCK_MONOTONIC) - 65) * 1e6) if unit in self.running else 0}\n"
                f"MemoryCurrent={52428800 if unit in self.running else '[not set]'}" for unit in names) + "\n", ""
        if action == "status":
            return (0 if all(name in self.running for name in names) else 3), "\n".join(
                f"{name:30} RUNNING   pid {os.getpid()}, uptime 0:01:05" if name in self.running
                else f"{name:30} STOPPED   Dec 05 11:00 PM" for name in names), ""
        for name in names:
            if action in ("start", "restart"):
                self.running.add(name)
            elif action == "stop":
                self.running.discard(name)
        return 0, "", ""

    def acts(self):
        return [command for command in self.commands if command[1] not in ("show", "status")]


@pytest.fixture
def listener():
    """A port that listens on loopback while the test runs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def records(tmp_path, listener):
    """Records of nginx (front), mlflow (app, listening), a supervisor program (app, no port) and postgres (store)."""
    folder = tmp_path / "services"
    folder.mkdir()
    for record in (service_record("nginx", "proxy", "front"),
                   service_record("mlflow", "mlflow", listen=f"0.0.0.0:{listener}"),
                   service_record("airflow-scheduler", "airflow", manager="supervisor", supervisor=SUPERVISOR),
                   service_record("postgresql@15-main", "postgres", "store")):
        (folder / f"{record['name']}.json").write_text(json.dumps(record), encoding="utf-8")
    return str(folder)


def standing_in(fake):
    return mock.patch.multiple(basic.AnsibleModule, run_command=lambda _self, argv, **kw: fake(argv, **kw),
                               get_bin_path=lambda _self, name, **_kw: f"/bin/{name}")


def test_status_reports_every_service_and_fails_naming_the_ones_down(records, run_module):
    fake = FakeManagers(running={"nginx.service", "mlflow.service", "airflow-scheduler"})
    with standing_in(fake):
        result = run_module(service_control, {"action": "status", "records_dir": records})
    assert result["failed"] and result["msg"] == "Down: postgresql@15-main"
    rows = {row["name"]: row for row in result["services"]}
    assert [row["name"] for row in result["services"]] == ["nginx", "airflow-scheduler", "mlflow", "postgresql@15-main"]
    assert rows["mlflow"]["state"] == "active" and rows["mlflow"]["listening"] is True and rows["mlflow"]["health"] == "OK"
    assert rows["mlflow"]["memory"] == 52428800 and 60 <= rows["mlflow"]["uptime"] <= 75 and rows["mlflow"]["pid"] == os.getpid()
    assert rows["airflow-scheduler"]["state"] == "active" and rows["airflow-scheduler"]["pid"] == os.getpid()
    assert rows["airflow-scheduler"]["memory"] is None or rows["airflow-scheduler"]["memory"] >= 0
    assert rows["postgresql@15-main"]["health"] == "DOWN: inactive"
    assert result["table"][0].split()[:4] == ["SERVICE", "COMPONENT", "MANAGER", "STATE"] and len(result["table"]) == 5
    assert fake.acts() == [] and not result["changed"]


def test_status_with_log_lines_gives_each_service_its_last_lines(records, run_module):
    fake = FakeManagers(running={"mlflow.service", "airflow-scheduler"})
    with standing_in(fake):
        result = run_module(service_control, {"action": "status", "records_dir": records, "fail_on_down": False,
                                              "components": ["mlflow", "airflow"], "log_lines": 3})
    rows = {row["name"]: row for row in result["services"]}
    assert rows["mlflow"]["log"] == "mlflow.service line 1\nmlflow.service line 2\nmlflow.service line 3\n"
    assert rows["airflow-scheduler"]["log"] == "\n".join(f"airflow-scheduler line {n}" for n in (997, 998, 999))
    with standing_in(fake):
        quiet = run_module(service_control, {"action": "status", "records_dir": records, "components": ["mlflow"]})
    assert quiet["services"][0]["log"] == "" and [c for c in fake.commands if c[0] == "journalctl"] == [
        ("journalctl", "--unit", "mlflow.service", "--lines", "3", "--no-pager")]


def test_negative_log_lines_are_refused(records, run_module):
    with standing_in(FakeManagers()):
        result = run_module(service_control, {"action": "status", "records_dir": records, "log_lines": -1})
    assert result["failed"] and result["msg"] == "log_lines must be 0 or more, got -1"


def test_a_running_service_whose_port_is_closed_is_down(records, run_module, listener):
    with open(os.path.join(records, "mlflow.json"), encoding="utf-8") as stream:
        record = json.load(stream)
    record["ready"]["port"] = listener + 1 if listener < 65535 else listener - 1
    with open(os.path.join(records, "mlflow.json"), "w", encoding="utf-8") as stream:
        json.dump(record, stream)
    with standing_in(FakeManagers(running={"mlflow.service"})):
        result = run_module(service_control, {"action": "status", "records_dir": records, "components": ["mlflow"],
                                              "fail_on_down": False})
    assert not result["failed"] and result["down"] == ["mlflow"]
    assert result["services"][0]["health"].startswith("DOWN: port") and result["services"][0]["listening"] is False


def test_stop_acts_on_the_running_services_of_one_tier_only(records, run_module):
    fake = FakeManagers(running={"nginx.service", "mlflow.service", "postgresql@15-main.service"})
    with standing_in(fake):
        result = run_module(service_control, {"action": "stop", "records_dir": records, "tiers": ["front"]})
    assert result["changed"] and result["acted"] == ["nginx"]
    assert fake.acts() == [("systemctl", "stop", "nginx.service")]
    assert fake.running == {"mlflow.service", "postgresql@15-main.service"}


def test_start_of_a_component_starts_what_does_not_run_and_waits_for_its_port(records, run_module):
    fake = FakeManagers(running={"nginx.service"})
    with standing_in(fake):
        result = run_module(service_control, {"action": "start", "records_dir": records, "components": ["mlflow", "airflow"]})
    assert result["changed"] and result["acted"] == ["airflow-scheduler", "mlflow"]
    assert fake.acts() == [("systemctl", "start", "mlflow.service"), ("supervisorctl", "start", "airflow-scheduler")]
    assert not result["failed"] and result["down"] == []
    with standing_in(fake):
        again = run_module(service_control, {"action": "start", "records_dir": records, "components": ["mlflow", "airflow"]})
    assert not again["changed"] and again["acted"] == []


def test_a_stop_that_leaves_the_port_listening_fails_naming_the_service(records, run_module):
    fake = FakeManagers(running={"mlflow.service"})
    with standing_in(fake):
        result = run_module(service_control, {"action": "stop", "records_dir": records, "components": ["mlflow"], "timeout": 1})
    assert result["failed"] and result["msg"].startswith("mlflow stopped, but port")


def test_check_mode_predicts_and_acts_on_nothing(records, run_module):
    fake = FakeManagers(running={"nginx.service", "mlflow.service"})
    with standing_in(fake):
        result = run_module(service_control, {"action": "restart", "records_dir": records}, check_mode=True)
    assert result["changed"] and result["acted"] == ["nginx", "airflow-scheduler", "mlflow", "postgresql@15-main"]
    assert fake.acts() == []


def test_a_failed_command_fails_with_its_message(records, run_module):
    with standing_in(FakeManagers(fails={"start"})):
        result = run_module(service_control, {"action": "start", "records_dir": records, "tiers": ["store"]})
    assert result["failed"] and "systemctl start postgresql@15-main.service failed (exit 1): start failed" in result["msg"]


def test_a_record_that_is_not_one_is_refused(records, run_module):
    with open(os.path.join(records, "broken.json"), "w", encoding="utf-8") as stream:
        json.dump({"name": "x", "manager": "upstart", "tier": "app"}, stream)
    with standing_in(FakeManagers()):
        result = run_module(service_control, {"action": "status", "records_dir": records})
    assert result["failed"] and "broken.json is not a service record" in result["msg"]


def test_no_records_directory_means_no_services(tmp_path, run_module):
    with standing_in(FakeManagers()):
        result = run_module(service_control, {"action": "stop", "records_dir": str(tmp_path / "none")})
    assert not result["failed"] and not result["changed"] and result["services"] == []


def test_an_unknown_tier_is_refused(records, run_module):
    result = run_module(service_control, {"action": "stop", "records_dir": records, "tiers": ["database"]})
    assert result["failed"] and result["msg"] == "tiers must be of front, monitoring, app, store, got database"


class FakeLaunchctl:
    """launchctl with jobs that are loaded and running, loaded only, or not loaded."""

    def __init__(self, running=(), loaded=()):
        self.running, self.loaded, self.commands = set(running), set(loaded) | set(running), []

    def __call__(self, argv, **_kwargs):
        args = argv[1:]
        self.commands.append(tuple(args))
        label = args[-1].rsplit("/", 1)[-1]
        if args[0] == "print":
            if label not in self.loaded:
                return 113, "", "Could not find service"
            return 0, f"{args[-1]} = {{\n\tstate = {'running' if label in self.running else 'not running'}\n" + (
                f"\tpid = {os.getpid()}\n" if label in self.running else "") + "}\n", ""
        if args[0] == "bootstrap":
            self.loaded.add(os.path.basename(args[-1]).removesuffix(".plist"))
        elif args[0] == "kickstart":
            self.running.add(label)
        elif args[0] == "bootout":
            self.loaded.discard(label)
            self.running.discard(label)
        return 0, "", ""


def test_launchd_bootstraps_a_job_that_is_not_loaded_and_boots_it_out_to_stop_it(tmp_path, run_module):
    folder = tmp_path / "services"
    folder.mkdir()
    record = dict(service_record("mlflow", "mlflow", manager="launchd"), label="com.efficientai.mlflow",
                  plist="/Library/LaunchDaemons/com.efficientai.mlflow.plist")
    (folder / "mlflow.json").write_text(json.dumps(record), encoding="utf-8")
    fake = FakeLaunchctl()
    domain = "system" if os.getuid() == 0 else f"gui/{os.getuid()}"
    with standing_in(fake):
        started = run_module(service_control, {"action": "start", "records_dir": str(folder)})
        assert started["changed"] and started["services"][0]["state"] == "active"
        assert started["services"][0]["pid"] == os.getpid()
        assert ("bootstrap", domain, record["plist"]) in fake.commands
        assert ("kickstart", f"{domain}/com.efficientai.mlflow") in fake.commands
        stopped = run_module(service_control, {"action": "stop", "records_dir": str(folder)})
    assert stopped["changed"] and ("bootout", f"{domain}/com.efficientai.mlflow") in fake.commands
    assert stopped["services"][0]["state"] == "missing"
