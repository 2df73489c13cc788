"""MLflow serves HTTPS (mlflow_tls): its certificate, from the scenario's private CA, names the
host; plain HTTP and TLS 1.1 are refused, a client that trusts another CA refuses the server,
the key is readable by the service user only, and bad TLS settings are refused by preflight."""

import json
import os
import subprocess

import pytest

testinfra_hosts = ["ansible://mlflow-prod-tracking"]
TLS_DIR = "/opt/efficientai/mlflow/tls"
URL = "https://127.0.0.1:15100"
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_server_answers_over_verified_https(host):
    answer = host.run(f"curl -sS --cacert {TLS_DIR}/ca.crt -w ' %{{ssl_verify_result}}' {URL}/health")
    assert answer.rc == 0 and answer.stdout == "OK 0", answer.stderr
    # By the inventory name too (the name the nginx front verifies).
    named = host.run(f"curl -sS --cacert {TLS_DIR}/ca.crt --resolve mlflow-prod-tracking:15100:127.0.0.1 "
                     "https://mlflow-prod-tracking:15100/health")
    assert named.stdout == "OK", named.stderr


def test_the_certificate_names_the_host_and_comes_from_the_private_ca(host):
    text = host.check_output(f"openssl x509 -noout -text -in {TLS_DIR}/mlflow.crt")
    for name in ("DNS:mlflow-prod-tracking", "DNS:localhost", "IP Address:127.0.0.1"):
        assert name in text, text
    controller_ca = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki", "ca.crt")
    with open(controller_ca, encoding="utf-8") as ca:
        assert host.file(f"{TLS_DIR}/ca.crt").content_string == ca.read()
    assert host.run(f"openssl verify -CAfile {TLS_DIR}/ca.crt {TLS_DIR}/mlflow.crt").rc == 0


def test_the_key_is_the_service_users_only(host):
    key = host.file(f"{TLS_DIR}/mlflow.key")
    assert (key.user, key.mode) == ("mlflow", 0o600)
    directory = host.file(TLS_DIR)
    assert (directory.user, directory.group, directory.mode) == ("root", "mlflow", 0o750)
    # The unit passes the files to uvicorn; nothing secret on the command line.
    unit = host.file("/etc/systemd/system/mlflow.service").content_string
    assert f"--ssl-certfile {TLS_DIR}/mlflow.crt --ssl-keyfile {TLS_DIR}/mlflow.key" in unit


def test_plain_http_is_refused(host):
    plain = host.run("curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:15100/health")
    assert plain.rc != 0 and plain.stdout == "000", plain.stdout


def test_a_client_with_another_ca_refuses_the_server(host):
    untrusted = host.run(f"curl -sS -o /dev/null {URL}/health")  # the system's CAs only
    assert untrusted.rc == 60, untrusted.stderr


def test_tls_11_is_refused(host):
    old = host.run(f"curl -sS -o /dev/null --cacert {TLS_DIR}/ca.crt --tlsv1.1 --tls-max 1.1 "
                   f"--ciphers DEFAULT@SECLEVEL=0 {URL}/health")
    assert old.rc == 35, old.stderr


@pytest.mark.parametrize("variables, message", [
    ({"mlflow_tls_certificate": "/nonexistent/mlflow.crt"}, "mlflow_tls_key is empty while mlflow_tls_certificate is set"),
    ({"mlflow_tls_certificate": "/nonexistent/mlflow.crt", "mlflow_tls_key": "/nonexistent/mlflow.key"},
     "mlflow_tls_ca is empty while mlflow_tls_certificate is given"),
    ({"mlflow_tls_extra_names": "mlflow.backend.internal"}, "mlflow_tls_extra_names must be a"),
])
def test_bad_tls_settings_are_refused(host, tmp_path, variables, message):
    unit = host.file("/etc/systemd/system/mlflow.service").content_string
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(dict(variables, target_role="mlflow", target_hosts="tracking")))
    result = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                             os.path.join(SCENARIO, "role.yml"), "-e", f"@{extra}"],
                            capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and message in output, output[-3000:]
    assert host.file("/etc/systemd/system/mlflow.service").content_string == unit
