"""The shipped production routing, end to end: PostgreSQL stopped on the db host pages the
on-call (a PagerDuty Events API v2 event) and e-mails them (STARTTLS, the vaulted login), within
the rule's `for` plus the scrape, evaluation and grouping delays; started again, both are
resolved. The channels' addresses are the only override (inventory/hosts.yml): they lead to real
protocol sinks this test starts on the controller's address on the scenario's network."""

import os
import sys
import time
from urllib.parse import urlsplit

import pytest

from conftest import REPO, host_name, scheduler_health

sys.path.insert(0, os.path.join(REPO, "molecule", "_shared"))
from alert_sinks import MailSink, Receiver, readable  # noqa: E402  pylint: disable=wrong-import-position
from polling import wait_for  # noqa: E402  pylint: disable=wrong-import-position

testinfra_hosts = [f"ansible://{host_name('ops')}"]
POSTGRES = "postgresql@15-main"
# postgres_down's `for` (1m), plus a scrape (30s), two evaluations (30s each) and group_wait (30s).
FIRING_WITHIN = 240
# A scrape and an evaluation, then Alertmanager's group_interval (1m in the production inventory).
RESOLVED_WITHIN = 180


@pytest.fixture(scope="module")
def sinks(templated, tmp_path_factory):
    """The HTTP sink (Slack, PagerDuty) and the SMTP sink, where the inventory sends them."""
    pagerduty = urlsplit(templated("alert_pagerduty_url"))
    relay_host, _sep, relay_port = templated("alert_smtp_relay").rpartition(":")
    webhook = Receiver(pagerduty.hostname, pagerduty.port)
    mail = MailSink(relay_host, int(relay_port), templated("mlops_ca_dir"), str(tmp_path_factory.mktemp("smtp")))
    yield webhook, mail
    webhook.stop()
    mail.stop()


def test_postgres_down_pages_and_mails_the_on_call_and_resolves(host, templated, sinks, airflow_front):
    webhook, mail = sinks
    db = host.get_host(f"ansible://{host_name('db')}", ansible_inventory=host.backend.ansible_inventory)
    channels = templated("monitoring_channels")
    stopped = time.time()
    db.run_test(f"systemctl stop {POSTGRES}")
    try:
        event = wait_for("PagerDuty trigger for postgres_down", lambda: [
            e for e in webhook.posts("/pagerduty", '"trigger"') if e["payload"]["summary"].startswith("postgres_down")],
            FIRING_WITHIN)[0]
        tls, recipients, message = wait_for("e-mail for postgres_down", lambda: mail.mails("[FIRING:1] postgres_down"), 60)[0]
        paged = time.time()
    finally:
        db.run_test(f"systemctl start {POSTGRES}")
    # PagerDuty's Events API v2: the vaulted routing key, a critical event from the db host.
    assert event["routing_key"] == channels["pagerduty"]["routing_key"] and event["event_action"] == "trigger"
    assert event["payload"]["severity"] == "critical" and event["payload"]["source"] == host_name("db"), event
    assert event["payload"]["custom_details"]["runbook"].endswith("#postgres_down"), event
    # The e-mail: over STARTTLS, after the vaulted login, to the on-call, saying where and what to do.
    assert tls and recipients == [channels["email"]["to"]], (tls, recipients)
    assert mail.logins and set(mail.logins) == {(channels["email"]["auth_username"], channels["email"]["auth_password"])}
    text = readable(message)
    assert "[FIRING:1] postgres_down (critical)" in message["Subject"], message["Subject"]
    assert f"on {host_name('db')}" in text and "Runbook: " in text and "#postgres_down" in text, text
    # Critical alerts do not go to Slack (warnings do).
    assert not webhook.posts("/slack", "postgres_down")

    # The resolve event closes the same incident (PagerDuty matches it by dedup_key).
    assert wait_for("PagerDuty resolve for postgres_down", lambda: [
        e for e in webhook.posts("/pagerduty", '"resolve"') if e["dedup_key"] == event["dedup_key"]], RESOLVED_WITHIN)
    assert wait_for("resolved e-mail for postgres_down", lambda: mail.mails("[RESOLVED] postgres_down"), 60)
    print(f"postgres_down: paged and mailed {paged - stopped:.0f} s after PostgreSQL stopped, "
          f"resolved {time.time() - paged:.0f} s after it started again")
    # The stack came back with its database: Airflow's scheduler is healthy again.
    assert scheduler_health(airflow_front, timeout=180) == "healthy"
