"""Unit tests of the alert rule translation and the Alertmanager configuration."""

import pathlib
import re

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.efficientai.mlops.plugins.filter.alerting import METRICS, alert_rules

SEED_ALERTS = [
    {"name": "high_error_rate", "condition": "error_rate > 0.05", "severity": "critical", "channels": ["slack", "email"]},
    {"name": "model_drift", "condition": "drift_score > 0.8", "severity": "warning", "channels": ["slack"]},
    {"name": "disk_space", "condition": "disk_usage_percent > 90", "severity": "critical", "channels": ["pagerduty"]},
]
CHANNELS = {
    "slack": {"type": "slack", "api_url": "https://hooks.slack.example/T0/B0/x", "channel": "#mlops"},
    "email": {"type": "email", "to": "oncall@example.com", "from": "alerts@example.com", "smarthost": "smtp.example.com:587",
              "auth_username": "alerts", "auth_password": "an-smtp-password"},
    "pagerduty": {"type": "pagerduty", "routing_key": "0123456789abcdef0123456789abcdef"},
    "ops-hook": {"type": "webhook", "url": "http://127.0.0.1:9999/alerts", "bearer_token": "t0ken-for-the-hook"},
}


def test_seed_alerts_become_promql_rules():
    rules = alert_rules(SEED_ALERTS, channels=CHANNELS)["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == ["high_error_rate", "model_drift", "disk_space"]
    error_rate, drift, disk = rules
    assert error_rate["expr"] == f"({METRICS['error_rate']}) > 0.05"
    assert 'bentoml_service_request_total{http_response_code=~"5.."}' in error_rate["expr"]
    assert drift["expr"] == "(drift_score) > 0.8"
    assert "node_filesystem_avail_bytes" in disk["expr"] and disk["expr"].endswith(") > 90")
    assert error_rate["labels"] == {"severity": "critical", "channels": "slack,email"}
    assert drift["for"] == "5m"
    assert "{{ $value }}" in drift["annotations"]["description"]


def test_annotations_name_the_host_and_link_the_runbook():
    rules = alert_rules([{"name": "postgres_down", "condition": "postgres_up < 1", "severity": "critical"}],
                        runbook_url="https://docs.example/alerts.md")["groups"][0]["rules"]
    annotations = rules[0]["annotations"]
    assert annotations["runbook_url"] == "https://docs.example/alerts.md#postgres_down"
    # Go's `or`: the probe's inventory host, else the server an exporter watches, the model, the instance.
    assert annotations["description"] == ("postgres_up is {{ $value }} (< 1) on "
                                          "{{ or $labels.node $labels.server $labels.model $labels.instance }}")
    assert "runbook_url" not in alert_rules(SEED_ALERTS)["groups"][0]["rules"][0]["annotations"]


ROOT = pathlib.Path(__file__).resolve().parents[4]


@pytest.mark.parametrize("source", ["roles/monitoring/defaults/main.yml", "inventories/production/group_vars/monitoring.yml"])
def test_every_shipped_alert_translates_and_has_a_runbook(source):
    alerts = yaml.safe_load((ROOT / source).read_text(encoding="utf-8"))["monitoring_alerts"]
    sections = set(re.findall(r"^## (\S+)$", (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8"), re.MULTILINE))
    rules = alert_rules(alerts, runbook_url="alerts.md")["groups"][0]["rules"]
    missing = [rule["alert"] for rule in rules if rule["annotations"]["runbook_url"].split("#")[1] not in sections]
    assert rules and not missing, f"alerts without a section in docs/alerts.md: {missing}"


def test_for_and_extra_metrics():
    rules = alert_rules([{"name": "queue_long", "condition": "queue_length >= 100", "for": "0s"}],
                        metrics={"queue_length": "sum(airflow_queue)"}, default_for="1m")["groups"][0]["rules"]
    assert rules[0]["expr"] == "(sum(airflow_queue)) >= 100"
    assert rules[0]["for"] == "0s"
    assert rules[0]["labels"] == {"severity": "warning", "channels": ""}


@pytest.mark.parametrize("alert, message", [
    ({"name": "x", "condition": "latency > 2"}, "unknown metric 'latency' in condition 'latency > 2'; known metrics:"),
    ({"name": "x", "condition": "error_rate >> 0.05"}, "is not '<metric> <operator> <number>'"),
    ({"name": "x", "condition": "error_rate > high"}, "is not '<metric> <operator> <number>'"),
    ({"name": "x", "condition": "error_rate > 0.05 and drift_score > 1"}, "is not '<metric> <operator> <number>'"),
    ({"name": "x"}, "condition None is not"),
    ({"name": "bad name", "condition": "drift_score > 1"}, "name must be letters, digits and _"),
    ({"name": "x", "condition": "drift_score > 1", "severity": "urgent"}, "severity must be one of critical, warning, info"),
    ({"name": "x", "condition": "drift_score > 1", "channels": "slack"}, "channels must be a list"),
    ({"name": "x", "condition": "drift_score > 1", "channels": ["sms"]}, "channel 'sms' is not defined; defined channels: email"),
    ({"name": "x", "condition": "drift_score > 1", "for": "5 minutes"}, "'for' must be a Prometheus duration"),
    ({"name": "x", "condition": "drift_score > 1", "treshold": 1}, "unknown keys ['treshold']"),
])
def test_bad_alerts_fail_with_a_clear_message(alert, message):
    with pytest.raises(AnsibleFilterError) as error:
        alert_rules([alert], channels={"email": {}, "ops-hook": {}})
    assert "alerts[0]" in str(error.value)
    assert message in str(error.value)


def test_routed_severities_refuse_an_alert_that_reaches_nobody():
    alerts = [{"name": "db_down", "condition": "postgres_up < 1", "severity": "critical"},
              {"name": "drift", "condition": "drift_score > 0.8", "severity": "warning"}]
    routed = alert_rules(alerts, channels=CHANNELS, severity_channels={"critical": ["pagerduty"]},
                         routed_severities=["critical"])["groups"][0]["rules"]
    assert [rule["labels"]["channels"] for rule in routed] == ["pagerduty", ""]
    for severity_channels, extra in (({}, {}), ({"critical": ["pagerduty"]}, {"channels": []})):
        with pytest.raises(AnsibleFilterError) as error:
            alert_rules([dict(alerts[0], **extra), alerts[1]], channels=CHANNELS, severity_channels=severity_channels,
                        routed_severities=["critical"])
        assert "alerts[0] (db_down): a critical alert must reach a person" in str(error.value)


def test_duplicate_names_fail():
    with pytest.raises(AnsibleFilterError, match="alerts\\[1\\] \\(a\\): the name is used by another alert"):
        alert_rules([{"name": "a", "condition": "drift_score > 1"}, {"name": "a", "condition": "drift_score > 2"}])


def test_not_a_list_fails():
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        alert_rules({"name": "a"})


def test_backup_conditions_read_the_hosts_own_figures():
    """The rules' behaviour is checked by promtool on the deployed rules (production scenario);
    here, that the conditions read what the backup runner and PostgreSQL's exporter export."""
    stale, wal = alert_rules([{"name": "stale_backup", "condition": "backup_age_hours > 26"},
                              {"name": "wal_archive_failing", "condition": "wal_archive_failures > 0"}])["groups"][0]["rules"]
    assert stale["expr"].startswith("((time() - mlops_backup_last_success_timestamp_seconds) / 3600")
    assert "absent(mlops_backup_configured)" in stale["expr"] and stale["expr"].endswith(") > 26")
    assert wal["expr"] == "(increase(pg_stat_archiver_failed_count[5m])) > 0"
