"""playbooks/patch.yml for the monitoring packages alone (patch_components: [monitoring]) on the
monitoring host. The updates come from a local APT repository: Debian's own prometheus package
rebuilt at a higher version. The first update is installed, Prometheus restarts on it and every
monitoring component answers; the second one, whose binary exits at once, fails the gate and is
rolled back to the package from before it, with Prometheus's data intact."""

import json
import re

import pytest
from conftest import host_name, publish_rebuilt, run_playbook

testinfra_hosts = [f"ansible://{host_name('ops')}"]
PACKAGE = "prometheus"
REPOSITORY = "/var/lib/mlops-monitoring-updates"


@pytest.fixture(scope="module")
def prometheus(host):
    """GET a path of Prometheus's API where its unit listens; the parsed answer."""
    listen = re.search(r"--web\.listen-address=(\S+)", host.check_output("systemctl show prometheus -p ExecStart --value")).group(1)
    return lambda path: json.loads(host.check_output(f"curl -sf 'http://{listen}{path}'"))


def installed(host):
    return host.check_output(f"dpkg-query -W -f '${{Version}}' {PACKAGE}")


def started(host):
    return host.check_output("systemctl show -P ActiveEnterTimestampMonotonic prometheus")


def oldest_sample(prometheus):
    """The start of Prometheus's stored data (its TSDB head and blocks)."""
    return prometheus("/api/v1/status/tsdb")["data"]["headStats"]["minTime"]


def test_an_update_restarts_prometheus_and_passes_the_gate(host, repository, prometheus):
    publish_rebuilt(host, PACKAGE, f"{repository}+mlops1", REPOSITORY)
    before = started(host)

    result = run_playbook("patch.yml", "-e", json.dumps({"patch_components": ["monitoring"]}))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert installed(host) == f"{repository}+mlops1"
    assert started(host) != before
    assert prometheus("/api/v1/query?query=up")["status"] == "success"


def test_a_broken_update_is_rolled_back_with_the_data(host, repository, prometheus):
    current, data_since = installed(host), oldest_sample(prometheus)
    publish_rebuilt(host, PACKAGE, f"{repository}+mlops2", REPOSITORY, broken="usr/bin/prometheus")

    result = run_playbook("patch.yml", "-e", json.dumps({"patch_components": ["monitoring"]}))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-5000:]
    assert f"The monitoring patch failed on {host_name('ops')}: " in output, output[-5000:]
    assert f"Rolled back to {PACKAGE}={current}" in output, output[-5000:]
    assert installed(host) == current
    assert host.service("prometheus").is_running
    assert oldest_sample(prometheus) == data_since
