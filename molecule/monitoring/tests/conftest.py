"""Helpers of the monitoring scenario's tests. The containers share the host's network,
so the tests reach Prometheus, Alertmanager, the Pushgateway and the dashboard on
loopback from the controller."""

import datetime
import email
import ipaddress
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(SCENARIO_DIR))
sys.path.insert(0, os.path.join(REPO, "molecule", "_shared"))
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position

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


def wait_for(what, probe, timeout=90, interval=1):
    """Call probe() until it returns something true; fail with the last value."""
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {value!r}")


def query(promql):
    data = get_json(f"{PROMETHEUS}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
    return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1]) for r in data["data"]["result"]}


@pytest.fixture
def journal(host):
    """The last journal lines of a unit of the host, shown when an assertion fails."""
    def read(unit):
        return host.run(f"journalctl -u {unit} -n 40 --no-pager").stdout
    return read


class Receiver:
    """An HTTP sink for Alertmanager: records every JSON payload by path (/alerts the webhook's,
    /slack Slack's, /pagerduty PagerDuty's Events API v2) and answers as each service does."""

    def __init__(self):
        self.payloads = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.payloads.setdefault(self.path, []).append(json.loads(body))
                self.send_response(202 if self.path == "/pagerduty" else 200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", WEBHOOK_PORT), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, name, status):
        return [alert for note in self.payloads.get("/alerts", []) for alert in note["alerts"]
                if alert["labels"].get("alertname") == name and alert["status"] == status]

    def posts(self, path, text):
        """The payloads posted to path whose JSON contains text."""
        return [payload for payload in self.payloads.get(path, []) if text in json.dumps(payload)]


class MailSink:
    """A real SMTP server (aiosmtpd) on SMTP_PORT that requires STARTTLS, with a certificate for
    127.0.0.1 signed by the scenario's CA (the one the role installs as stack-ca.crt)."""

    def __init__(self, ca_dir, workdir):
        self.messages = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
                sink.messages.append((session.ssl is not None, envelope.rcpt_tos,
                                      email.message_from_bytes(envelope.original_content)))
                return "250 OK"

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*server_certificate(ca_dir, workdir))
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT, tls_context=context,
                                     require_starttls=True)
        self.controller.start()

    def mails(self, text):
        """(sent over TLS, recipients, message) of the e-mails whose subject or text contains text."""
        return [(tls, to, message) for tls, to, message in self.messages if text in readable(message)]


def readable(message):
    """An e-mail's subject and plain-text parts, as a person reads them."""
    parts = [part.get_payload(decode=True).decode() for part in message.walk() if part.get_content_type() == "text/plain"]
    return "\n".join([message["Subject"] or "", *parts])


def server_certificate(ca_dir, workdir):
    """A certificate and key for 127.0.0.1, signed by the CA in ca_dir (ca.crt, ca.key)."""
    ca_cert = x509.load_pem_x509_certificate(open(os.path.join(ca_dir, "ca.crt"), "rb").read())
    ca_key = serialization.load_pem_private_key(open(os.path.join(ca_dir, "ca.key"), "rb").read(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp-sink")]))
                   .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    paths = (os.path.join(workdir, "smtp.crt"), os.path.join(workdir, "smtp.key"))
    with open(paths[0], "wb") as stream:
        stream.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(os.open(paths[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as stream:
        stream.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return paths


@pytest.fixture
def webhook():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def mail(tmp_path):
    sink = MailSink(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki"), str(tmp_path))
    yield sink
    sink.controller.stop()


@pytest.fixture
def run_playbook():
    """Run a playbook against the scenario's inventory."""
    def run(playbook, variables=None, limit=None):
        return ansible_playbook(playbook, variables, *(["--limit", limit] if limit else []))
    return run
