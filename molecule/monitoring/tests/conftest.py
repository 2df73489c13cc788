"""Helpers of the monitoring scenario's tests. The containers share the host's network,
so the tests reach Prometheus, Alertmanager, the Pushgateway and the dashboard on
loopback from the controller."""

import json
import os
import sys
import urllib.parse
import urllib.request

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(SCENARIO_DIR))
sys.path.insert(0, os.path.join(REPO, "molecule", "_shared"))
from alert_sinks import MailSink, Receiver  # noqa: E402  pylint: disable=wrong-import-position
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position
# The tests import wait_for from here.
from polling import wait_for  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

PROMETHEUS = "http://127.0.0.1:19090"
PUSHGATEWAY = "http://127.0.0.1:19091"
DASHBOARD = "http://127.0.0.1:19080"
WEBHOOK_PORT = 19150
SMTP_PORT = 19151


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def json_when(url, accept):
    """The JSON document at url if accept(document) holds, else None (a probe for wait_for)."""
    document = get_json(url)
    return document if accept(document) else None


def query(promql):
    data = get_json(f"{PROMETHEUS}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
    return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1]) for r in data["data"]["result"]}


@pytest.fixture
def journal(host):
    """The last journal lines of a unit of the host, shown when an assertion fails."""
    def read(unit):
        return host.run(f"journalctl -u {unit} -n 40 --no-pager").stdout
    return read


@pytest.fixture
def webhook():
    receiver = Receiver("127.0.0.1", WEBHOOK_PORT)
    yield receiver
    receiver.stop()


@pytest.fixture
def mail(tmp_path):
    sink = MailSink("127.0.0.1", SMTP_PORT, os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki"), str(tmp_path))
    yield sink
    sink.stop()


@pytest.fixture
def run_playbook():
    """Run a playbook against the scenario's inventory."""
    def run(playbook, variables=None, limit=None):
        return ansible_playbook(playbook, variables, *(["--limit", limit] if limit else []))
    return run
