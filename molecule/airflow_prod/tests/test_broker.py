"""The Celery broker of airflow_prod on its own host: it wants its password and
binds loopback only."""

testinfra_hosts = ["ansible://airflow-prod-broker"]


def test_broker_wants_the_password_and_binds_loopback(host):
    port = host.ansible.get_variables()["airflow_redis_port"]
    assert "NOAUTH" in host.run(f"redis-cli -p {port} ping").stdout
    listening = [s for s in host.socket.get_listening_sockets() if s.endswith(f":{port}")]
    assert listening == [f"tcp://127.0.0.1:{port}"], listening
    assert host.file("/etc/redis/redis.conf").mode == 0o640
    assert host.service("redis-server").is_enabled
