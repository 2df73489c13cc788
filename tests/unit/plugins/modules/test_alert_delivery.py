"""Unit tests of alert_delivery: Alertmanager's request counters read per integration, each
channel judged from them, and the alert posted and resolved (against a fake Alertmanager
that serves the counters of a real 0.25 run; the monitoring scenario runs the real one)."""

from ansible_collections.efficientai.mlops.plugins.modules import alert_delivery
from ansible_collections.efficientai.mlops.plugins.modules.alert_delivery import channel_results, notification_counters


def metrics(**integrations):
    """Alertmanager 0.25's /metrics text: integration=(requests, failed requests)."""
    lines = ['# HELP alertmanager_notification_requests_total The total number of attempted notification requests.',
             'alertmanager_notifications_total{integration="webhook"} 99']
    for name, (sent, failed) in integrations.items():
        lines += [f'alertmanager_notification_requests_total{{integration="{name}"}} {sent}',
                  f'alertmanager_notification_requests_failed_total{{integration="{name}"}} {failed}']
    return "\n".join(lines) + "\n"


def test_counters_are_the_requests_per_integration():
    assert notification_counters(metrics(email=(2, 0), webhook=(8, 6))) == {
        "email": {"sent": 2.0, "failed": 0.0}, "webhook": {"sent": 8.0, "failed": 6.0}}


def test_each_channel_is_judged_by_its_integration():
    channels = {"pager": "pagerduty", "mail": "email", "chat": "slack"}
    before = notification_counters(metrics(pagerduty=(3, 0), email=(1, 1), slack=(0, 0)))
    after = notification_counters(metrics(pagerduty=(4, 0), email=(4, 4), slack=(0, 0)))
    assert {r["name"]: r["status"] for r in channel_results(channels, before, after)} == {
        "chat": "no notification", "mail": "failed", "pager": "delivered"}


def test_channels_of_one_type_need_a_success_each():
    channels = {"hook": "webhook", "broken-hook": "webhook"}
    one_of_two = channel_results(channels, {}, notification_counters(metrics(webhook=(7, 6))))
    assert [(r["name"], r["status"], r["shared"]) for r in one_of_two] == [
        ("broken-hook", "failed", True), ("hook", "failed", True)]
    both = channel_results(channels, {}, notification_counters(metrics(webhook=(2, 0))))
    assert {r["status"] for r in both} == {"delivered"}


def test_the_alert_is_posted_for_every_channel_then_resolved(run_module, fake_http):
    fake_http.answer("GET", "/metrics", 200, metrics(email=(1, 0)).encode())
    fake_http.answer("GET", "/metrics", 200, metrics(email=(2, 0), slack=(1, 0)).encode())
    fake_http.answer("POST", "/api/v2/alerts", 200, b"")
    result = run_module(alert_delivery, {"url": fake_http.url, "channels": {"mail": "email", "chat": "slack"},
                                         "source": "ops-1", "timeout": 5})
    assert not result["failed"] and result["changed"] and result["all_delivered"], result
    fired, resolved = (call["json"][0] for call in fake_http.calls("POST", "/api/v2/alerts"))
    assert fired["labels"] == {"alertname": "mlops_alert_test", "severity": "info", "channels": "chat,mail", "node": "ops-1"}
    assert fired["endsAt"] > fired["startsAt"] and resolved["endsAt"] <= fired["endsAt"]
    assert resolved["labels"] == fired["labels"]
    assert result["table"][1:] == ["chat     slack  delivered", "mail     email  delivered"]


def test_a_channel_that_never_delivers_is_reported_after_the_timeout(run_module, fake_http):
    fake_http.answer("GET", "/metrics", 200, metrics(webhook=(0, 0)).encode())
    fake_http.answer("GET", "/metrics", 200, metrics(webhook=(3, 3)).encode())
    fake_http.answer("POST", "/api/v2/alerts", 200, b"")
    result = run_module(alert_delivery, {"url": fake_http.url, "channels": {"hook": "webhook"}, "timeout": 1})
    assert not result["failed"] and not result["all_delivered"]
    assert result["channels"][0]["status"] == "failed" and "3 failed requests" in result["table"][1]


def test_check_mode_sends_nothing(run_module, fake_http):
    result = run_module(alert_delivery, {"url": fake_http.url, "channels": {"hook": "webhook"}}, check_mode=True)
    assert result["changed"] and result["channels"][0]["status"] == "not sent" and not fake_http.requests


def test_bad_channels_are_refused(run_module, fake_http):
    result = run_module(alert_delivery, {"url": fake_http.url, "channels": {"hook": "sms"}})
    assert result["failed"] and "each of type email, slack, pagerduty, webhook" in result["msg"] and not fake_http.requests
