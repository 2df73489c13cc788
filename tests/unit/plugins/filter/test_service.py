"""Unit tests of the service rendering filters."""

import plistlib
import shlex
import subprocess

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.service import env_file, launchd_plist, service_record, systemd_command


class TestEnvFile:
    def test_sorted_quoted_lines(self):
        assert env_file({"B": "two", "A": 1}) == 'A="1"\nB="two"\n'

    @pytest.mark.parametrize("value", ['a"b', "a$HOME", "back\\slash", "tick`date`", "it's", "50%"])
    def test_shell_reads_back_the_same_value(self, tmp_path, value):
        path = tmp_path / "env"
        path.write_text(env_file({"VALUE": value}))
        out = subprocess.run(["sh", "-c", f"set -a; . {shlex.quote(str(path))}; printf %s \"$VALUE\""],
                             capture_output=True, text=True, check=True).stdout
        assert out == value

    def test_booleans_are_lowercase(self):
        assert env_file({"DEBUG": False}) == 'DEBUG="false"\n'

    @pytest.mark.parametrize("key", ["1ABC", "A-B", "", "A B"])
    def test_invalid_name_is_refused(self, key):
        with pytest.raises(AnsibleFilterError, match="not a valid environment variable name"):
            env_file({key: "x"})

    def test_newline_is_refused(self):
        with pytest.raises(AnsibleFilterError, match="newline"):
            env_file({"A": "x\ny"})

    def test_nested_value_is_refused(self):
        with pytest.raises(AnsibleFilterError, match="string or number"):
            env_file({"A": {"b": 1}})

    def test_not_a_dict_is_refused(self):
        with pytest.raises(AnsibleFilterError, match="expects a dict"):
            env_file(["A=1"])


class TestSystemdCommand:
    def test_every_word_quoted(self):
        assert systemd_command(["/bin/app", "--name", "x y"]) == '"/bin/app" "--name" "x y"'

    def test_specifiers_and_variables_are_escaped(self):
        assert systemd_command(["/bin/app", "50%", "$HOME", 'say "hi"', "a\\b"]) == \
            '"/bin/app" "50%%" "$$HOME" "say \\"hi\\"" "a\\\\b"'

    def test_empty_is_refused(self):
        with pytest.raises(AnsibleFilterError, match="non-empty list"):
            systemd_command([])

    def test_string_is_refused(self):
        with pytest.raises(AnsibleFilterError, match="non-empty list"):
            systemd_command("/bin/app --flag")


class TestLaunchdPlist:
    JOB = {
        "label": "com.efficientai.mlflow",
        "program_arguments": ["/opt/efficientai/etc/mlflow.run"],
        "working_dir": "/opt/efficientai/mlflow",
        "log_file": "/opt/efficientai/log/mlflow.log",
    }

    def test_parses_as_a_property_list(self):
        job = plistlib.loads(launchd_plist(self.JOB).encode())
        assert job["Label"] == "com.efficientai.mlflow"
        assert job["ProgramArguments"] == ["/opt/efficientai/etc/mlflow.run"]
        assert job["RunAtLoad"] is True
        assert job["KeepAlive"] == {"SuccessfulExit": False}
        assert "UserName" not in job

    @pytest.mark.parametrize("policy,expected", [("always", True), ("no", False)])
    def test_restart_policy(self, policy, expected):
        job = plistlib.loads(launchd_plist(dict(self.JOB, keep_alive=policy)).encode())
        assert job["KeepAlive"] is expected

    def test_not_started_at_load(self):
        job = plistlib.loads(launchd_plist(dict(self.JOB, run_at_load=False, keep_alive="no")).encode())
        assert (job["RunAtLoad"], job["KeepAlive"]) == (False, False)

    def test_run_at_load_given_as_text(self):
        assert plistlib.loads(launchd_plist(dict(self.JOB, run_at_load="false")).encode())["RunAtLoad"] is False
        with pytest.raises(AnsibleFilterError, match="run_at_load must be a boolean"):
            launchd_plist(dict(self.JOB, run_at_load="sometimes"))

    def test_daemon_user(self):
        job = plistlib.loads(launchd_plist(dict(self.JOB, user="mlflow", group="mlflow")).encode())
        assert (job["UserName"], job["GroupName"]) == ("mlflow", "mlflow")

    def test_xml_special_characters_survive(self):
        job = plistlib.loads(launchd_plist(dict(self.JOB, program_arguments=["/bin/app", "<a & b>"])).encode())
        assert job["ProgramArguments"][1] == "<a & b>"

    def test_missing_field_is_named(self):
        job = dict(self.JOB)
        del job["working_dir"]
        with pytest.raises(AnsibleFilterError, match="'working_dir' is required"):
            launchd_plist(job)

    def test_unknown_restart_policy_is_refused(self):
        with pytest.raises(AnsibleFilterError, match="keep_alive must be one of"):
            launchd_plist(dict(self.JOB, keep_alive="sometimes"))


class TestServiceRecord:
    def test_a_wildcard_address_is_probed_on_loopback(self):
        record = service_record("mlflow", "mlflow", listen="0.0.0.0:5000", path="/health")
        assert record == {"name": "mlflow", "component": "mlflow", "tier": "app", "manager": "systemd",
                          "ready": {"host": "127.0.0.1", "port": 5000, "path": "/health", "https": False, "ca_path": None}}

    @pytest.mark.parametrize("listen, host, port", [("10.0.0.5:443", "10.0.0.5", 443), ("[::]:9090", "::1", 9090),
                                                    ("::1:5432", "::1", 5432), (":9100", "127.0.0.1", 9100)])
    def test_addresses(self, listen, host, port):
        ready = service_record("x", "c", listen=listen)["ready"]
        assert (ready["host"], ready["port"]) == (host, port)

    def test_no_port(self):
        assert service_record("airflow-scheduler", "airflow")["ready"]["port"] == 0

    def test_supervisor_names_its_control(self):
        record = service_record("mlflow", "mlflow", manager="supervisor",
                                supervisor={"supervisorctl": "/sv/bin/supervisorctl", "supervisor_conf": "/sv/s.conf"})
        assert (record["supervisorctl"], record["supervisor_conf"]) == ("/sv/bin/supervisorctl", "/sv/s.conf")

    @pytest.mark.parametrize("kwargs, message", [
        ({"tier": "database"}, "tier must be one of front, monitoring, app, store, got 'database'"),
        ({"manager": "upstart"}, "manager must be systemd, supervisor or launchd"),
        ({"listen": "5000"}, "listen must be host:port, got '5000'"),
        ({"listen": "h:70000"}, "listen must be host:port"),
        ({"manager": "supervisor"}, "under supervisor, give supervisor with supervisorctl and supervisor_conf"),
    ])
    def test_bad_input(self, kwargs, message):
        with pytest.raises(AnsibleFilterError, match=message.replace("(", "\\(").replace(")", "\\)")):
            service_record("x", "c", **kwargs)
