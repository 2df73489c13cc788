"""Prometheus, Alertmanager and the exporters: running, configured from the inventory,
every target up, an alert that reaches every channel and resolves, and playbooks/alert_test.yml."""

import json
import os
import re
import urllib.parse
import urllib.request

from conftest import PROMETHEUS, PUSHGATEWAY, REPO, get_json, query, wait_for

testinfra_hosts = ["monitoring-server"]

UNITS = ["prometheus", "prometheus-alertmanager", "prometheus-pushgateway", "prometheus-node-exporter",
         "prometheus-blackbox-exporter", "prometheus-postgres-exporter", "prometheus-redis-exporter", "mlops-dashboard"]
PORTS = [19090, 19093, 19091, 19100, 19115, 19187, 19121, 19080]


def test_services_run_and_listen_on_their_ports(host, journal):
    for unit, port in zip(UNITS, PORTS):
        service = host.service(unit)
        assert service.is_running and service.is_enabled, journal(unit)
        assert host.socket(f"tcp://127.0.0.1:{port}").is_listening, journal(unit)


def test_alertmanager_runs_without_a_cluster_listener(host):
    assert get_json("http://127.0.0.1:19093/api/v2/status")["cluster"]["status"] == "disabled"
    listening = host.check_output("ss -Hltun")
    assert not [line for line in listening.splitlines() if ":9094 " in line], listening


def test_configs_pass_their_checkers(host):
    assert host.run("promtool check config /etc/prometheus/prometheus.yml").rc == 0
    assert host.run("amtool check-config /etc/prometheus/alertmanager.yml").rc == 0


def test_secrets_are_private_and_off_the_command_lines(host):
    for path in ("/etc/default/prometheus-postgres-exporter", "/etc/default/prometheus-redis-exporter"):
        secret = host.file(path)
        assert (secret.user, secret.mode) == ("root", 0o600)
    alertmanager = host.file("/etc/prometheus/alertmanager.yml")
    assert (alertmanager.user, alertmanager.group, alertmanager.mode) == ("root", "prometheus", 0o640)
    command_lines = host.check_output("ps -eo args")
    assert "molecule-redis-Secret-19" not in command_lines
    assert "molecule-monitor-Secret-19" not in command_lines
    assert "0123456789abcdef0123456789abcdef" not in command_lines  # the PagerDuty routing key


def test_every_target_is_up():
    def targets():
        active = get_json(f"{PROMETHEUS}/api/v1/targets")["data"]["activeTargets"]
        return active if active and all(t["health"] == "up" for t in active) else None
    active = wait_for("every target up", targets, timeout=60)
    jobs = sorted({t["labels"]["job"] for t in active})
    assert jobs == ["alertmanager", "bentoml-tlsdemo", "blackbox_exporter", "mlops_dashboard", "node",
                    "postgres_exporter", "probe_http", "probe_tcp", "prometheus", "pushgateway", "redis_exporter"]
    nodes = sorted(t["scrapeUrl"] for t in active if t["labels"]["job"] == "node")
    assert nodes == ["http://127.0.0.1:19100/metrics", "http://127.0.0.1:19101/metrics"]


def test_exporters_and_probes_see_their_services():
    def seen():
        values = {"pg_up": query("pg_up"), "redis_up": query("redis_up"),
                  "probes": query('probe_success{job="probe_tcp"}')}
        return values if len(values["probes"]) == 2 and all(
            v == 1.0 for group in values.values() for v in group.values()) and values["pg_up"] and values["redis_up"] else None
    values = wait_for("PostgreSQL and Redis seen by their exporters and probes", seen, timeout=60)
    services = sorted(json.loads(labels)["service"] for labels in values["probes"])
    assert services == ["postgresql", "redis"]


def test_exporters_verify_postgresql_and_redis_against_the_ca(host):
    dsn = host.check_output("grep ^DATA_SOURCE_NAME= /etc/default/prometheus-postgres-exporter")
    assert "sslmode=verify-full&sslrootcert=/etc/prometheus/postgres-ca.crt" in dsn, "DSN without verify-full"
    redis_command = host.check_output("systemctl show -p ExecStart --value prometheus-redis-exporter")
    assert "-redis.addr=rediss://127.0.0.1:19179" in redis_command and "-tls-ca-cert-file=/etc/prometheus/redis-ca.crt" in redis_command
    for ca in ("/etc/prometheus/postgres-ca.crt", "/etc/prometheus/redis-ca.crt"):
        assert host.file(ca).mode == 0o644


def test_rules_come_from_the_seed_format():
    groups = get_json(f"{PROMETHEUS}/api/v1/rules")["data"]["groups"]
    rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
    assert rules["model_drift"]["query"] == "(drift_score) > 0.8"
    assert rules["model_drift"]["labels"] == {"severity": "warning",
                                              "channels": "test-webhook,test-slack,test-pagerduty,test-email"}
    assert "node_filesystem_avail_bytes" in rules["disk_space"]["query"]
    assert rules["noisy_logs"]["query"] == "(mlops_log_errors) > 1000"
    # Prometheus parsed every metric's PromQL and evaluates it without errors.
    assert len(rules) == 16
    # An alert that names no channels takes its severity's (monitoring_severity_channels).
    assert rules["disk_filling"]["labels"] == {"severity": "warning", "channels": "test-slack"}
    assert {name: rule["health"] for name, rule in rules.items() if rule["health"] != "ok"} == {}


def push_drift(score):
    request = urllib.request.Request(f"{PUSHGATEWAY}/metrics/job/drift_check/model/iris", method="PUT",
                                     data=f"# TYPE drift_score gauge\ndrift_score {score}\n".encode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status in (200, 202)


RUNBOOK = "https://github.com/efficientai/ansible-collection-mlops/blob/main/docs/alerts.md#model_drift"


def test_drift_alert_reaches_every_channel_and_resolves(webhook, mail):
    push_drift(0.9)
    try:
        fired = wait_for("a firing model_drift notification", lambda: webhook.alerts("model_drift", "firing"), timeout=90)
        assert fired[0]["labels"]["model"] == "iris"
        assert fired[0]["labels"]["severity"] == "warning"
        assert fired[0]["annotations"]["runbook_url"] == RUNBOOK
        alerts = get_json("http://127.0.0.1:19080/health")["alerts"]
        assert "model_drift" in [a["name"] for a in alerts] or wait_for(
            "the alert on the dashboard",
            lambda: "model_drift" in [a["name"] for a in get_json("http://127.0.0.1:19080/health")["alerts"]], timeout=20)

        # Slack's incoming webhook, as Alertmanager posts it: the channel and an attachment whose
        # title and text a person reads (what fired, the value and where, the runbook).
        slack = wait_for("Slack's message", lambda: webhook.posts("/slack", "[FIRING"), timeout=60)[0]
        assert slack["channel"] == "#mlops"
        attachment = slack["attachments"][0]
        assert attachment["title"] == "[FIRING:1] model_drift (warning)"
        assert attachment["text"] == (f"FIRING: model_drift: drift_score > 0.8\ndrift_score is 0.9 (> 0.8) on iris\n"
                                      f"Runbook: {RUNBOOK}\n")
        # PagerDuty's Events API v2.
        event = wait_for("PagerDuty's trigger event", lambda: webhook.posts("/pagerduty", '"trigger"'), timeout=60)[0]
        assert event["routing_key"] == "0123456789abcdef0123456789abcdef" and event["event_action"] == "trigger"
        assert event["dedup_key"]
        assert event["payload"]["summary"] == "model_drift: drift_score > 0.8 on iris"
        assert (event["payload"]["severity"], event["payload"]["source"]) == ("warning", "iris")
        assert event["payload"]["custom_details"]["runbook"] == RUNBOOK
        # The e-mail, delivered over STARTTLS (Alertmanager verified the sink's certificate).
        tls, recipients, message = wait_for("the e-mail", lambda: mail.mails("[FIRING"), timeout=60)[0]
        assert tls and recipients == ["oncall@example.com"] and message["From"] == "alerts@example.com"
        assert message["Subject"] == "[FIRING:1] model_drift (warning)"
        assert mail.mails(f"Runbook: {RUNBOOK}")
    finally:
        push_drift(0.1)
    resolved = wait_for("a resolved model_drift notification", lambda: webhook.alerts("model_drift", "resolved"), timeout=90)
    assert resolved[0]["labels"]["model"] == "iris"
    assert wait_for("Slack's resolved message", lambda: webhook.posts("/slack", "[RESOLVED]"), timeout=60)
    resolve = wait_for("PagerDuty's resolve event", lambda: webhook.posts("/pagerduty", '"resolve"'), timeout=60)[0]
    assert resolve["dedup_key"] == event["dedup_key"]
    assert wait_for("the resolved e-mail", lambda: mail.mails("[RESOLVED]"), timeout=60)


def test_services_that_serve_tls_are_probed_and_scraped_over_verified_https(host):
    config = host.file("/etc/prometheus/prometheus.yml").content_string
    assert "scheme: https" in config and "ca_file: /etc/prometheus/stack-ca.crt" in config, config
    assert "ca_file: /etc/prometheus/stack-ca.crt" in host.file("/etc/prometheus/blackbox.yml").content_string
    assert host.file("/etc/prometheus/stack-ca.crt").mode == 0o644

    def seen():
        probes = query('probe_success{job="probe_http",service="bentoml-tlsdemo"}')
        scraped = query('tls_backend_up{job="bentoml-tlsdemo"}')
        return (probes, scraped) if list(probes.values()) == [1.0] and list(scraped.values()) == [1.0] else None
    wait_for("the TLS service probed and scraped", seen, timeout=60)
    active = get_json(f"{PROMETHEUS}/api/v1/targets")["data"]["activeTargets"]
    assert [t["scrapeUrl"] for t in active if t["labels"]["job"] == "bentoml-tlsdemo"] == ["https://127.0.0.1:19140/metrics"]


def probe(target):
    url = "http://127.0.0.1:19115/probe?" + urllib.parse.urlencode({"module": "http_2xx", "target": target})
    with urllib.request.urlopen(url, timeout=20) as answer:
        lines = answer.read().decode().splitlines()
    return {line.split()[0]: line.split()[1] for line in lines if line.startswith(("probe_success ", "probe_http_ssl "))}


def test_the_probe_verifies_the_certificate():
    assert probe("https://127.0.0.1:19140/readyz") == {"probe_success": "1", "probe_http_ssl": "1"}
    # The certificate names 127.0.0.1 and monitoring-db, not localhost: the probe fails.
    assert probe("https://localhost:19140/readyz")["probe_success"] == "0"


ALERT_TEST = os.path.join(REPO, "playbooks", "alert_test.yml")


def test_alert_test_reports_each_channel_delivered(webhook, mail, run_playbook):
    result = run_playbook(ALERT_TEST)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    for channel, kind in (("test-email", "email"), ("test-pagerduty", "pagerduty"), ("test-slack", "slack"),
                          ("test-webhook", "webhook")):
        assert re.search(rf"{channel} +{kind} +delivered", output), output[-3000:]
    # What the channels received is the test alert, and it is resolved when the run ends.
    assert webhook.alerts("mlops_alert_test", "firing") and webhook.posts("/slack", "mlops_alert_test")
    assert webhook.posts("/pagerduty", "mlops_alert_test") and mail.mails("mlops_alert_test")
    assert wait_for("the test alert resolved", lambda: webhook.alerts("mlops_alert_test", "resolved"), timeout=30)


def test_alert_test_names_the_channels_that_did_not_deliver(run_playbook):
    # No sinks run: every channel fails to connect.
    result = run_playbook(ALERT_TEST, {"monitoring_alert_test_timeout": 5})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Not delivered: test-email, test-pagerduty, test-slack, test-webhook (monitoring_channels)" in output, output[-3000:]
