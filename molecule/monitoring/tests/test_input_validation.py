"""Bad input fails in preflight with a message that names what to change, before
anything on the host changes. (The filters' other messages are unit-tested.)"""

import os

import pytest

from conftest import SCENARIO_DIR

testinfra_hosts = ["monitoring-server"]
CONVERGE = os.path.join(SCENARIO_DIR, "converge.yml")
WATCHED = "/etc/prometheus/prometheus.yml /etc/prometheus/rules/mlops.yml /etc/prometheus/alertmanager.yml /etc/default/prometheus"


@pytest.mark.parametrize("variables, message", [
    ({"monitoring_alerts": [{"name": "slow", "condition": "latency > 2"}]}, "unknown metric 'latency'"),
    ({"monitoring_channels": {"ops": {"type": "slack"}}}, "channel 'ops' (slack): missing api_url"),
    ({"monitoring_channels": {"ops": {"type": "webhook", "url": "alerts.example.internal/hook"}}},
     "monitoring_channels: channel 'ops' (webhook): url must be an http:// or https:// URL with a host, "
     "got 'alerts.example.internal/hook'"),
    ({"monitoring_channels": {"mail": {"type": "email", "to": "a@example.com", "from": "b@example.com",
                                       "smarthost": "smtp.example.com:70000"}}},
     "monitoring_channels: channel 'mail' (email): smarthost must be host:port with a port of 1-65535"),
    ({"monitoring_severity_channels": {"critical": ["pager"]}}, "severity_channels.critical: channel 'pager' is not defined"),
    ({"mlops_allow_example_secrets": False},
     "monitoring_channels: channel 'test-email' (email): to points to 'example.com', a domain reserved for examples"),
    ({"monitoring_routed_severities": ["critical"]}, "(service_down): a critical alert must reach a person"),
    ({"monitoring_prometheus_listen_address": "everywhere"}, "must be host:port"),
    ({"monitoring_prometheus_retention_time": "two weeks"}, "monitoring_prometheus_retention_time must be a Prometheus duration"),
    ({"monitoring_postgres_exporter_password": "short"}, "monitoring_postgres_exporter_password"),
    ({"monitoring_components": "prometheus"}, "monitoring_components must be a list"),
    ({"monitoring_target_address": "192.0.2.10", "monitoring_postgres_exporter_sslmode": "disable"},
     "monitoring_postgres_exporter_sslmode must be require, verify-ca or"),
])
def test_bad_input_fails_before_any_change(host, run_playbook, variables, message):
    before = host.check_output(f"md5sum {WATCHED}")
    result = run_playbook(CONVERGE, variables, limit="monitoring-server")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output, output[-3000:]
    assert host.check_output(f"md5sum {WATCHED}") == before
    assert "changed=0" in output
