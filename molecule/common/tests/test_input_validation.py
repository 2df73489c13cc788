"""Bad input to _common fails before anything changes, with a message that names
the option. Validation does not depend on the backend: checked on one host."""

testinfra_hosts = ["ansible://common-systemd"]


def test_wrong_type_fails_before_any_change(host, run_caller):
    result = run_caller("service", {"_common_service": {
        "name": "typo", "user": "sample", "working_dir": "/", "command": ["/bin/true"],
        "listen_port": "eighty"}})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "listen_port" in output
    assert not host.file("/etc/efficientai/typo.env").exists


def test_string_instead_of_list_fails_before_any_change(host, run_caller):
    result = run_caller("python_app", {"_common_app": {"name": "typo", "packages": "waitress"}})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "packages must be a list" in output
    assert not host.file("/opt/efficientai/typo").exists


def test_missing_option_fails_before_any_change(host, run_caller):
    result = run_caller("service", {"_common_service": {
        "name": "nameless", "command": ["/bin/true"], "working_dir": "/"}})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "user" in output and "missing required arguments" in output
    assert not host.file("/etc/efficientai/nameless.env").exists


def test_direct_use_is_refused(run_playbook):
    result = run_playbook("direct.yml", {})
    assert result.returncode != 0
    assert "efficientai.mlops._common is internal" in result.stdout + result.stderr
