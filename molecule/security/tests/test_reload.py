"""Changing the upstreams (the proxy role's `sites` entry point, as playbooks/scale.yml does)
reloads nginx (same master, new workers) while a client in the other container polls over HTTPS;
a replica that goes away is skipped. Not one request may fail (a GET on a kept-alive connection
that the old workers closed is retried once, as HTTP clients do: poll.py)."""

import json
import os
import subprocess
import time

from conftest import CLIENT

testinfra_hosts = ["ansible://security-proxy"]


def workers(host, master):
    return set(host.check_output(f"pgrep -P {master}").split())


def test_upstream_changes_and_a_lost_replica_fail_no_request(host, client, play, site):
    subprocess.run(["docker", "cp", os.path.join(os.path.dirname(__file__), "poll.py"), f"{CLIENT}:/root/poll.py"], check=True)
    client("rm", "-f", "/root/stop")
    master = host.file("/run/nginx.pid").content_string.strip()
    workers_before = workers(host, master)
    poller = subprocess.Popen(
        ["docker", "exec", CLIENT, "python3", "/root/poll.py", "--host", "127.0.0.1", "--port", str(site["port"]),
         "--ca", "/root/ca.crt", "--user", site["user"], "--password", site["password"], "--stop-file", "/root/stop"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
        steps = [[f"127.0.0.1:{site['replicas'][1]}"], [f"127.0.0.1:{port}" for port in site["replicas"]]]
        result = play("reload.yml", {"security_upstream_steps": steps})
        # A replica goes away behind both upstreams, then comes back.
        host.run("systemctl stop sample-b")
        time.sleep(3)
        host.run("systemctl start sample-b")
        time.sleep(2)
    finally:
        client("touch", "/root/stop")
        out, err = poller.communicate(timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert host.file("/run/nginx.pid").content_string.strip() == master, "nginx was restarted, not reloaded"
    assert workers(host, master).isdisjoint(workers_before), "the workers were not replaced: no reload happened"
    summary = json.loads(out or "{}")
    print(f"polling through the changes: {summary.get('answers')} answers, {summary.get('retried')} kept-alive"
          " connections closed by the old workers and retried on a new one")
    assert summary.get("failures") == [], f"{len(summary.get('failures', []))} of {summary.get('answers')} failed: {summary.get('failures', [])[:5]} {err}"
    assert summary["answers"] > 50
