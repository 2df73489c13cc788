"""PostgreSQL admits MLflow's roles over TLS only (hostssl), with a certificate of the scenario's
private CA; MLflow verifies it (verify-full), and a client with another CA is refused."""

import os

import pytest
import testinfra

testinfra_hosts = ["ansible://mlflow-prod-tracking"]

CA = "/etc/efficientai/mlflow-postgres-ca.crt"
PYTHON = "/opt/efficientai/mlflow/venv/bin/python"
PSQL = "runuser -u postgres -- psql --port 15432 --no-psqlrc --tuples-only --no-align"
# Connects as MLflow does (psycopg2 of its venv); prints the TLS version or the error.
CONNECT = ("import sys, psycopg2; c = psycopg2.connect(host='127.0.0.1', port=15432, user='mlflow', dbname='mlflow', "
           "password=sys.argv[1], sslmode=sys.argv[2], sslrootcert=sys.argv[3], connect_timeout=10); "
           "print(c.info.ssl_attribute('protocol'))")


@pytest.fixture
def db_host():
    return testinfra.get_host("ansible://mlflow-prod-db", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture
def password(db_host):
    return db_host.ansible.get_variables()["test_tracking_db_password"]


def connect(host, password, sslmode, rootcert=CA):
    return host.run(f"{PYTHON} -c \"{CONNECT}\" '{password}' {sslmode} {rootcert}")


def test_mlflow_urls_verify_the_server(host):
    environment = host.file("/etc/efficientai/mlflow.env")
    assert environment.mode == 0o600
    assert f"sslmode=verify-full&sslrootcert={CA.replace('/', '%2F')}" in environment.content_string
    assert host.file(CA).mode == 0o644


def test_mlflow_sessions_are_encrypted(host, db_host):
    # A request that needs the database, so that MLflow's pool holds a session.
    variables = host.ansible.get_variables()
    host.run_test(f"curl -sf --cacert /opt/efficientai/mlflow/tls/ca.crt -u admin:'{variables['mlflow_admin_password']}' "
                  "'https://127.0.0.1:15100/api/2.0/mlflow/experiments/search?max_results=1'")
    sessions = db_host.check_output(f'{PSQL} --command "SELECT a.usename, s.ssl, s.version FROM pg_stat_activity a '
                                    "JOIN pg_stat_ssl s USING (pid) WHERE a.usename IN ('mlflow', 'mlflow_auth')\"")
    rows = [row.split("|") for row in sessions.splitlines()]
    assert rows and all(row[1:] in (["t", "TLSv1.2"], ["t", "TLSv1.3"]) for row in rows), sessions


def test_a_plain_connection_with_the_right_password_is_refused(host, password):
    refused = connect(host, password, "disable")
    assert refused.rc != 0 and "no encryption" in refused.stderr, refused.stderr


def test_the_server_certificate_verifies_against_the_ca(host, password):
    verified = connect(host, password, "verify-full")
    assert verified.rc == 0 and verified.stdout.strip() in ("TLSv1.2", "TLSv1.3"), verified.stderr
    controller_ca = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki", "ca.crt")
    with open(controller_ca, encoding="ascii") as ca:
        assert host.file(CA).content_string == ca.read()
    handshake = host.run(f"openssl s_client -starttls postgres -connect 127.0.0.1:15432 -CAfile {CA} "
                         "-verify_return_error -verify_ip 127.0.0.1 </dev/null")
    assert handshake.rc == 0 and "Verify return code: 0 (ok)" in handshake.stdout, handshake.stdout + handshake.stderr


def test_a_client_with_another_ca_is_refused(host, password):
    host.run_test("test -f /root/other-ca.crt || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                  "-subj '/CN=another CA' -days 1 -keyout /root/other-ca.key -out /root/other-ca.crt")
    refused = connect(host, password, "verify-full", "/root/other-ca.crt")
    assert refused.rc != 0 and "certificate verify failed" in refused.stderr, refused.stderr


def test_tls_is_on_from_1_2(db_host):
    settings = db_host.check_output(f'{PSQL} --command "SELECT name, setting FROM pg_settings WHERE name IN '
                                    "('ssl', 'ssl_min_protocol_version') ORDER BY name\"")
    assert settings.splitlines() == ["ssl|on", "ssl_min_protocol_version|TLSv1.2"]
