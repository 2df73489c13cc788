"""Shared fixtures of the unit tests.

The collection is imported as ansible_collections.efficientai.mlops through the link
that `make setup` keeps under .cache/collections."""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))

from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402


class FakeHTTP:
    """An HTTP server on loopback whose answers each test programs.

    answer(method, path, status, body) queues an answer; the last answer queued for a
    route repeats. Every request is recorded in `requests`."""

    def __init__(self, tls_context=None):
        self.routes = {}
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake.requests.append({
                    "method": self.command, "path": url.path, "query": parse_qs(url.query),
                    "headers": dict(self.headers), "json": json.loads(raw) if raw else None})
                answers = fake.routes.get((self.command, url.path))
                if not answers:
                    status, body = 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "no route"}
                else:
                    status, body = answers.pop(0) if len(answers) > 1 else answers[0]
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, method, path, status=200, body=None):
        self.routes.setdefault((method, path), []).append((status, {} if body is None else body))

    def calls(self, method=None, path=None):
        return [r for r in self.requests
                if (method is None or r["method"] == method) and (path is None or r["path"] == path)]


@pytest.fixture
def fake_http():
    server = FakeHTTP()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def make_pki(directory, names=("localhost", "127.0.0.1"), ca_name="unit test CA"):
    """A CA and a server certificate for `names` signed by it, as PEM files in directory:
    {'ca': path, 'certificate': path, 'key': path}."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca = (x509.CertificateBuilder().subject_name(ca_subject).issuer_name(ca_subject).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    sans = [x509.IPAddress(ipaddress.ip_address(n)) if n.replace(".", "").isdigit() else x509.DNSName(n) for n in names]
    certificate = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                   .issuer_name(ca_subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    paths = {name: os.path.join(str(directory), f"{name}.pem") for name in ("ca", "certificate", "key")}
    with open(paths["ca"], "wb") as out:
        out.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["certificate"], "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(paths["key"], "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return paths


@pytest.fixture
def fake_https(tmp_path):
    """FakeHTTP over TLS with a certificate for 127.0.0.1 of its own CA (fake_https.pki['ca']);
    fake_https.other_ca is a CA that did not sign it."""
    import ssl

    pki = make_pki(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["certificate"], pki["key"])
    server = FakeHTTP(tls_context=context)
    server.pki = pki
    other = tmp_path / "other"
    other.mkdir()
    server.other_ca = make_pki(other, ca_name="another CA")["ca"]
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


class _ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def _exit_json(self, **result):
    raise _ModuleExit(dict(result, failed=False))


def _fail_json(self, msg, **result):
    raise _ModuleExit(dict(result, failed=True, msg=msg))


@pytest.fixture
def run_module():
    """Run a module's main() with the given arguments and return its result dict
    (with `failed`), as Ansible would see it."""
    def run(module, args, check_mode=False, diff=True):
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        with patch_module_args(args), mock.patch.multiple(
                basic.AnsibleModule, exit_json=_exit_json, fail_json=_fail_json):
            try:
                module.main()
            except _ModuleExit as done:
                return done.result
        raise AssertionError("the module returned without calling exit_json or fail_json")
    return run
