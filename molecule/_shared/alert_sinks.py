"""Real protocol sinks for Alertmanager's notifications, started by the tests on the controller:
an HTTP server that records the webhook, Slack and PagerDuty payloads as those services receive
them, and an SMTP server (aiosmtpd) that requires STARTTLS, with a certificate signed by the
scenario's CA, and records the login Alertmanager gave."""

import datetime
import email
import ipaddress
import json
import os
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class Receiver:
    """An HTTP sink on address:port: records every JSON payload by path (/alerts the webhook's,
    /slack Slack's, /pagerduty PagerDuty's Events API v2) and answers as each service does."""

    def __init__(self, address, port):
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

        self.server = ThreadingHTTPServer((address, port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, name, status):
        return [alert for note in self.payloads.get("/alerts", []) for alert in note["alerts"]
                if alert["labels"].get("alertname") == name and alert["status"] == status]

    def posts(self, path, text):
        """The payloads posted to path whose JSON contains text."""
        return [payload for payload in self.payloads.get(path, []) if text in json.dumps(payload)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class MailSink:
    """A real SMTP server on address:port that requires STARTTLS before mail or a login, with a
    certificate for the address signed by the CA in ca_dir (ca.crt, ca.key)."""

    def __init__(self, address, port, ca_dir, workdir):
        self.messages, self.logins = [], []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
                sink.messages.append((session.ssl is not None, envelope.rcpt_tos,
                                      email.message_from_bytes(envelope.original_content)))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            sink.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=True)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*server_certificate(ca_dir, workdir, address))
        self.controller = Controller(Handler(), hostname=address, port=port, tls_context=context,
                                     require_starttls=True, authenticator=authenticator, auth_require_tls=True,
                                     # aiosmtpd's LOGIN prompts "User Name", which Alertmanager (like Go's
                                     # clients) does not take: offer PLAIN, as common relays do.
                                     auth_exclude_mechanism=["LOGIN"])
        self.controller.start()

    def mails(self, text):
        """(sent over TLS, recipients, message) of the e-mails whose subject or text contains text."""
        return [(tls, to, message) for tls, to, message in self.messages if text in readable(message)]

    def stop(self):
        self.controller.stop()


def readable(message):
    """An e-mail's subject and plain-text parts, as a person reads them."""
    parts = [part.get_payload(decode=True).decode() for part in message.walk() if part.get_content_type() == "text/plain"]
    return "\n".join([message["Subject"] or "", *parts])


def server_certificate(ca_dir, workdir, address):
    """A certificate and key for the IP address, signed by the CA in ca_dir (ca.crt, ca.key)."""
    with open(os.path.join(ca_dir, "ca.crt"), "rb") as stream:
        ca_cert = x509.load_pem_x509_certificate(stream.read())
    with open(os.path.join(ca_dir, "ca.key"), "rb") as stream:
        ca_key = serialization.load_pem_private_key(stream.read(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp-sink")]))
                   .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    paths = (os.path.join(workdir, "smtp.crt"), os.path.join(workdir, "smtp.key"))
    with open(paths[0], "wb") as stream:
        stream.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(os.open(paths[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as stream:
        stream.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return paths
