"""Unit tests of the Alertmanager configuration: receivers, routes, what a notification says,
and the settings refused before Alertmanager would refuse them (or fail at the first alert).
The configurations are checked by Debian's amtool (tools/prometheus-tools fetches it)."""

import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.efficientai.mlops.plugins.filter.alertmanager import CONTENT, alertmanager_config

CHANNELS = {
    "slack": {"type": "slack", "api_url": "https://hooks.slack.example/T0/B0/x", "channel": "#mlops"},
    "email": {"type": "email", "to": "oncall@example.com", "from": "alerts@example.com", "smarthost": "smtp.example.com:587",
              "auth_username": "alerts", "auth_password": "an-smtp-password", "ca_file": "/etc/prometheus/smtp-ca.crt"},
    "pagerduty": {"type": "pagerduty", "routing_key": "0123456789abcdef0123456789abcdef"},
    "ops-hook": {"type": "webhook", "url": "http://127.0.0.1:9999/alerts", "bearer_token": "t0ken-for-the-hook"},
}
AMTOOL = shutil.which(pathlib.Path(__file__).resolve().parents[4] / ".cache" / "tools" / "bin" / "amtool") or shutil.which("amtool")


def test_each_channel_gets_a_receiver_and_a_route():
    config = alertmanager_config(CHANNELS, group_wait="1s", group_interval="2s", repeat_interval="1h", allow_examples=True)
    route = config["route"]
    assert route["receiver"] == "null"
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("1s", "2s", "1h")
    assert [r["receiver"] for r in route["routes"]] == ["email", "ops-hook", "pagerduty", "slack"]
    assert route["routes"][3]["matchers"] == ['channels=~"(.*,)?slack(,.*)?"']
    assert all(r["continue"] for r in route["routes"])
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["null"] == {"name": "null"}
    assert receivers["slack"]["slack_configs"] == [
        {"send_resolved": True, **CONTENT["slack"], "api_url": CHANNELS["slack"]["api_url"], "channel": "#mlops"}]
    email = receivers["email"]["email_configs"][0]
    assert email["auth_password"] == "an-smtp-password"
    assert email["tls_config"] == {"ca_file": "/etc/prometheus/smtp-ca.crt"} and "ca_file" not in email
    assert receivers["pagerduty"]["pagerduty_configs"][0]["routing_key"] == CHANNELS["pagerduty"]["routing_key"]
    assert receivers["ops-hook"]["webhook_configs"] == [{
        "send_resolved": True, "url": "http://127.0.0.1:9999/alerts",
        "http_config": {"authorization": {"type": "Bearer", "credentials": "t0ken-for-the-hook"}}}]


def test_notifications_carry_the_alert_where_the_value_and_the_runbook():
    receivers = {r["name"]: r for r in alertmanager_config(CHANNELS, allow_examples=True)["receivers"]}
    slack, email, pagerduty = (receivers[name][f"{name}_configs"][0] for name in ("slack", "email", "pagerduty"))
    for body in (slack["text"], email["text"], pagerduty["details"]["firing"]):
        assert all(part in body for part in (".Annotations.summary", ".Annotations.description", ".Annotations.runbook_url"))
    assert ".CommonLabels.alertname" in slack["title"] and email["headers"]["Subject"] == slack["title"]
    # PagerDuty's payload.severity takes critical, error, warning or info only.
    assert re.findall(r"}}(\w+){{", pagerduty["severity"]) == ["critical", "warning", "info"]
    assert ".CommonLabels.node" in pagerduty["source"]
    # A channel's own settings win.
    own = alertmanager_config({"s": dict(CHANNELS["slack"], text="{{ .CommonAnnotations.summary }}")}, allow_examples=True)
    assert own["receivers"][1]["slack_configs"][0]["text"] == "{{ .CommonAnnotations.summary }}"


def test_channel_matchers_do_not_match_other_channels():
    pattern = re.compile(r"(.*,)?slack(,.*)?")
    assert pattern.fullmatch("slack") and pattern.fullmatch("email,slack") and pattern.fullmatch("slack,email")
    assert not pattern.fullmatch("slack-dev") and not pattern.fullmatch("noslack")


@pytest.mark.parametrize("channels, message", [
    ({"x": {"type": "sms"}}, "type must be one of email, pagerduty, slack, webhook, got 'sms'"),
    ({"x": {"type": "slack"}}, "channel 'x' (slack): missing api_url"),
    ({"x": {"type": "email", "to": "a@b.c", "smarthost": "s:25"}}, "missing from"),
    ({"x": {"type": "webhook", "url": "http://h/", "token": "t"}}, "unknown keys ['token']"),
    ({"bad name": {"type": "webhook", "url": "http://h/"}}, "channel name 'bad name'"),
    ({"null": {"type": "webhook", "url": "http://h/"}}, "channel name 'null'"),
    ({"x": {"type": "webhook", "url": "hooks.example/alerts"}},
     "channel 'x' (webhook): url must be an http:// or https:// URL with a host, got 'hooks.example/alerts'"),
    ({"x": {"type": "webhook", "url": "http:///alerts"}}, "url must be an http:// or https:// URL with a host"),
    ({"x": {"type": "email", "to": "a@b.c", "from": "d@e.f", "smarthost": "smtp.example.com:70000"}},
     "smarthost must be host:port with a port of 1-65535, got 'smtp.example.com:70000'"),
    ({"x": {"type": "email", "to": "a@b.c", "from": "d@e.f", "smarthost": "smtp.example.com"}},
     "smarthost must be host:port"),
    ({"x": {"type": "email", "to": "oncall", "from": "d@e.f", "smarthost": "s:25"}},
     "to must be e-mail addresses (comma-separated), got 'oncall'"),
    ({"x": {"type": "pagerduty", "routing_key": "short"}}, "routing_key must be the 32 characters"),
])
def test_bad_channels_fail_with_a_clear_message(channels, message):
    with pytest.raises(AnsibleFilterError) as error:
        alertmanager_config(channels)
    assert message in str(error.value)


@pytest.mark.parametrize("channel", [
    {"type": "slack", "api_url": "hooks.slack.example/T0/B0/s3cret"},
    {"type": "pagerduty", "routing_key": "s3cret"},
])
def test_secrets_are_not_shown_in_messages(channel):
    with pytest.raises(AnsibleFilterError) as error:
        alertmanager_config({"x": channel})
    assert "s3cret" not in str(error.value) and "not shown" in str(error.value)


# Example vault values (plugins/test/strong_password.py): the routing key and Slack URL of the
# shipped production inventory.
EXAMPLE_ROUTING_KEY = "e93c6f0d1a2b47c58d9e0f1a2b3c4d5e"
EXAMPLE_SLACK_URL = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"


@pytest.mark.parametrize("channel, message", [
    (CHANNELS["email"], "channel 'x' (email): smarthost points to 'smtp.example.com', a domain reserved for examples"),
    (dict(CHANNELS["email"], smarthost="smtp.corp.internal:587"), "to points to 'example.com'"),
    (dict(CHANNELS["email"], smarthost="mx:25", to="oncall@corp.internal", **{"from": "am@mail.test"}),
     "from points to 'mail.test'"),
    ({"type": "webhook", "url": "https://alerts.invalid/hook"}, "url points to 'alerts.invalid'"),
    ({"type": "slack", "api_url": "https://hooks.example.org/T0"}, "api_url points to a value that is not shown"),
    ({"type": "pagerduty", "routing_key": EXAMPLE_ROUTING_KEY}, "routing_key is a value of the example vault"),
    ({"type": "slack", "api_url": EXAMPLE_SLACK_URL}, "api_url is a value of the example vault"),
])
def test_placeholders_are_refused_unless_a_test_stack_opts_in(channel, message):
    with pytest.raises(AnsibleFilterError) as error:
        alertmanager_config({"x": channel})
    assert message in str(error.value) and "mlops_allow_example_secrets" in str(error.value)
    assert "T00000000" not in str(error.value) and EXAMPLE_ROUTING_KEY not in str(error.value)
    assert alertmanager_config({"x": channel}, allow_examples=True)["receivers"][1]["name"] == "x"


def test_real_destinations_pass_and_empty_optional_settings_are_unset():
    email = {"type": "email", "to": "oncall@corp.internal", "from": "am@corp.internal", "smarthost": "smtp.corp.internal:587",
             "ca_file": "", "auth_username": None}
    config = alertmanager_config({"mail": email, "hook": {"type": "webhook", "url": "https://hooks.examples.com/x"}})
    receivers = {r["name"]: r for r in config["receivers"]}
    assert "tls_config" not in receivers["mail"]["email_configs"][0]
    assert "auth_username" not in receivers["mail"]["email_configs"][0]
    assert receivers["hook"]["webhook_configs"][0]["url"] == "https://hooks.examples.com/x"


@pytest.mark.skipif(AMTOOL is None, reason="no amtool: run tools/prometheus-tools (Debian's prometheus-alertmanager)")
def test_amtool_accepts_the_configuration(tmp_path):
    (tmp_path / "smtp-ca.crt").write_text("")
    channels = dict(CHANNELS, email=dict(CHANNELS["email"], ca_file=str(tmp_path / "smtp-ca.crt")))
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(alertmanager_config(channels, allow_examples=True)))
    result = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr
    assert "5 receivers" in result.stdout, result.stdout


def _templates(value, where):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _templates(item, f"{where}.{key}")
    else:
        yield where, value


@pytest.mark.skipif(AMTOOL is None, reason="no amtool: run tools/prometheus-tools (Debian's prometheus-alertmanager)")
@pytest.mark.parametrize("where, template", [item for kind, content in CONTENT.items() for item in _templates(content, kind)],
                         ids=lambda value: value if "{{" not in value else "")
def test_amtool_renders_each_template(tmp_path, where, template):
    # amtool's example data: an alert without labels or annotations (a check of the Go syntax).
    (tmp_path / "none.tmpl").write_text("")
    result = subprocess.run([AMTOOL, "template", "render", f"--template.glob={tmp_path / 'none.tmpl'}",
                             f"--template.text={template}"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, (where, result.stderr)
