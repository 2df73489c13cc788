"""The Celery broker of airflow_prod on its own host: TLS only (the plain port is
closed), a certificate of the scenario's private CA, the password still required,
loopback only."""

import pytest

testinfra_hosts = ["ansible://airflow-prod-broker"]
CA = "/etc/redis/tls/ca.crt"


@pytest.fixture
def port(host):
    return host.ansible.get_variables()["airflow_redis_port"]


def redis_cli(host, port, *args, password=None):
    auth = f"REDISCLI_AUTH='{password}' " if password else ""
    return host.run(f"{auth}redis-cli --no-auth-warning -h 127.0.0.1 -p {port} {' '.join(args)} ping")


def test_plain_connections_are_closed(host, port):
    plain = redis_cli(host, port, password=host.ansible.get_variables()["airflow_redis_password"])
    assert plain.rc != 0 and "PONG" not in plain.stdout, plain.stdout + plain.stderr


def test_tls_with_the_password_answers(host, port):
    answer = redis_cli(host, port, "--tls", "--cacert", CA, password=host.ansible.get_variables()["airflow_redis_password"])
    assert answer.stdout.strip() == "PONG", answer.stdout + answer.stderr


def test_tls_without_the_password_is_refused(host, port):
    assert "NOAUTH" in redis_cli(host, port, "--tls", "--cacert", CA).stdout


def test_a_client_trusting_another_ca_fails_verification(host, port):
    host.run_test("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other-ca"
                  " -keyout /tmp/other-ca.key -out /tmp/other-ca.crt -days 1")
    answer = redis_cli(host, port, "--tls", "--cacert", "/tmp/other-ca.crt",
                       password=host.ansible.get_variables()["airflow_redis_password"])
    assert answer.rc != 0 and "certificate verify failed" in answer.stderr + answer.stdout, answer.stdout + answer.stderr


@pytest.mark.parametrize("protocol,accepted", [("-tls1_1", False), ("-tls1_2", True), ("-tls1_3", True)])
def test_only_tls_1_2_and_newer(host, port, protocol, accepted):
    handshake = host.run(f"openssl s_client -connect 127.0.0.1:{port} {protocol} -cipher DEFAULT@SECLEVEL=0 -CAfile {CA} -verify_return_error </dev/null")
    assert (handshake.rc == 0) == accepted, handshake.stdout[-2000:] + handshake.stderr[-2000:]


def test_the_key_is_readable_by_redis_only(host):
    key = host.file("/etc/redis/tls/redis.key")
    assert (key.user, key.mode) == ("redis", 0o600)
    assert host.file("/etc/redis/tls").mode == 0o750


def test_broker_binds_loopback_only(host, port):
    listening = [s for s in host.socket.get_listening_sockets() if s.endswith(f":{port}")]
    assert listening == [f"tcp://127.0.0.1:{port}"], listening
    assert host.file("/etc/redis/redis.conf").mode == 0o640
    assert host.service("redis-server").is_enabled
