"""_common on systemd and on supervisor: a service that listens, runs as its own
unprivileged user, keeps its secrets private, and comes back after kill -9."""

import json
import time


def main_pid(host):
    return host.check_output("pgrep -f -o 'waitress-serve --listen'")


def test_listens_on_loopback(host, port, service_log):
    assert host.socket(f"tcp://127.0.0.1:{port}").is_listening, service_log()


def test_runs_as_its_own_unprivileged_user(host, port):
    user = host.user("sample")
    assert user.uid != 0
    assert user.shell == "/usr/sbin/nologin"
    assert host.process.get(pid=int(main_pid(host))).user == "sample"
    answer = json.loads(host.check_output(f"curl -sf http://127.0.0.1:{port}/"))
    assert answer == {"user": "sample", "secret_set": True}


def test_secrets_are_readable_by_the_service_user_only(host):
    env_file = host.file("/etc/efficientai/sample.env")
    assert env_file.user == "sample"
    assert env_file.mode == 0o600


def test_code_is_not_writable_by_the_service(host):
    venv = host.file("/opt/efficientai/sample/venv")
    assert venv.is_symlink
    assert host.file(venv.linked_to).user == "root"
    assert host.run("runuser -u sample -- touch /opt/efficientai/sample/venv/x").rc != 0


def test_comes_back_after_kill_9(host, port, service_log):
    before = main_pid(host)
    host.run(f"kill -9 {before}")
    deadline = time.time() + 30
    after = None
    while time.time() < deadline:
        after = host.run("pgrep -f -o 'waitress-serve --listen'").stdout.strip()
        if after and after != before and host.run(f"curl -sf http://127.0.0.1:{port}/").rc == 0:
            break
        time.sleep(1)
    assert after and after != before, service_log()
    assert host.run(f"curl -sf http://127.0.0.1:{port}/").rc == 0, service_log()


def test_service_that_never_gets_ready_fails_with_its_log(host, run_caller):
    result = run_caller("service", {"_common_service": {
        "name": "broken", "user": "sample", "working_dir": "/",
        "command": ["/bin/sh", "-c", "echo broken-service-marker; sleep 60"],
        "listen_port": 18199, "ready_timeout": 5}})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "did not become ready" in output
    assert "broken-service-marker" in output
    removed = run_caller("service", {"_common_service": {
        "name": "broken", "user": "sample", "working_dir": "/", "command": ["/bin/true"], "state": "absent"}})
    assert removed.returncode == 0, removed.stdout
    assert not host.file("/etc/efficientai/broken.env").exists


def test_a_killed_service_leaves_no_child_holding_its_port(host, run_caller):
    """kill -9 of a service's main process: the children it forked go too before it starts again
    (systemd ends the unit's cgroup; under supervisor the launcher ends the previous process group),
    so the new start binds the port instead of failing while an orphan serves the old code."""
    port = 18197
    child = f"pgrep -f '^/usr/bin/python3 -m http.server {port}'"
    result = run_caller("service", {"_common_service": {
        "name": "forking", "user": "sample", "working_dir": "/", "restart": "always",
        "command": ["/bin/sh", "-c", f"/usr/bin/python3 -m http.server {port} --bind 127.0.0.1 & wait"],
        "listen_port": port}})
    assert result.returncode == 0, result.stdout[-3000:]
    try:
        old_child = host.check_output(child)
        main = host.check_output(f"ps -o ppid= -p {old_child}").strip()
        host.run_test(f"kill -9 {main}")
        deadline, children = time.time() + 60, set()
        while time.time() < deadline:
            children = set(host.run(child).stdout.split())
            if children and old_child not in children and host.socket(f"tcp://127.0.0.1:{port}").is_listening:
                break
            time.sleep(1)
        assert children and old_child not in children, host.run("ps -eo pid,ppid,pgid,stat,args").stdout
        # Gone, or a zombie where the container's PID 1 does not reap (it no longer runs).
        assert host.run(f"ps -o stat= -p {old_child}").stdout.strip() in ("", "Z"), "the old child still runs"
    finally:
        removed = run_caller("service", {"_common_service": {
            "name": "forking", "user": "sample", "working_dir": "/", "command": ["/bin/true"], "state": "absent"}})
        assert removed.returncode == 0, removed.stdout[-3000:]
