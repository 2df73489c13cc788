"""The HAProxy front serves HTTPS (bentoml_tls) with a certificate of the scenario's private CA
that names the host; plain HTTP, TLS 1.1 and clients that trust another CA are refused; the key
is readable by the service user only; bad TLS settings are refused before anything changes."""

import os
import ssl
import urllib.error
import urllib.request

import pytest

from conftest import CA, front, http

TLS_DIR = "/opt/efficientai/bentoml/tls"


def test_the_front_answers_over_verified_https(iris):
    status, body = http("GET", f"{front(iris['port'])}/readyz")
    assert status == 200, body


def test_the_certificate_names_the_host_and_comes_from_the_private_ca(host):
    text = host.check_output(f"openssl x509 -noout -text -in {TLS_DIR}/bentoml.crt")
    for name in ("DNS:bentoml-systemd", "DNS:localhost", "IP Address:127.0.0.1"):
        assert name in text, text
    with open(CA, encoding="utf-8") as ca:
        assert host.file(f"{TLS_DIR}/ca.crt").content_string == ca.read()


def test_the_key_is_the_service_users_only(host):
    key = host.file(f"{TLS_DIR}/bentoml.crt.key")
    assert (key.user, key.mode) == ("bentoml", 0o600)
    assert (host.file(TLS_DIR).group, host.file(TLS_DIR).mode) == ("bentoml", 0o750)
    config = host.file("/etc/efficientai/bentoml-front.cfg").content_string
    assert f"ssl crt {TLS_DIR}/bentoml.crt ssl-min-ver TLSv1.2" in config


def test_plain_http_is_refused(iris):
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        urllib.request.urlopen(f"http://127.0.0.1:{iris['port']}/readyz", timeout=10)


def test_a_client_with_another_ca_refuses_the_front(iris):
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(f"{front(iris['port'])}/readyz", timeout=10, context=ssl.create_default_context())
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)


def test_tls_11_is_refused(iris):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(CA)
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT@SECLEVEL=0")
    with pytest.raises((urllib.error.URLError, ssl.SSLError)):
        urllib.request.urlopen(f"{front(iris['port'])}/readyz", timeout=10, context=context)


@pytest.mark.parametrize("variables, message", [
    ({"bentoml_tls_certificate": "/nonexistent/bentoml.crt"},
     "bentoml_tls_key is empty while bentoml_tls_certificate is set: give both"),
    ({"bentoml_tls_certificate": "/nonexistent/b.crt", "bentoml_tls_key": "/nonexistent/b.key"},
     "bentoml_tls_ca is empty while bentoml_tls_certificate is given"),
])
def test_bad_tls_settings_are_refused(host, play, variables, message):
    config = host.file("/etc/efficientai/bentoml-front.cfg").content_string
    result = play(variables)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and message in output, output[-3000:]
    assert host.file("/etc/efficientai/bentoml-front.cfg").content_string == config


def test_the_ca_is_the_scenarios():
    assert os.path.exists(CA)
