"""The exporters reach PostgreSQL and Redis over TLS: seen from the database host."""

from conftest import wait_for

testinfra_hosts = ["monitoring-db"]


def test_the_postgres_exporter_connects_over_tls(host):
    query = ("select count(*) filter (where s.ssl), count(*) from pg_stat_activity a join pg_stat_ssl s using (pid)"
             " where a.usename = 'monitoring'")

    def counts():
        encrypted, total = (int(n) for n in host.check_output(f"runuser -u postgres -- psql -p 19132 -tAc \"{query}\"").split("|"))
        return (encrypted, total) if total > 0 else None
    encrypted, total = wait_for("a connection of the PostgreSQL exporter", counts, timeout=30)
    assert encrypted == total, (encrypted, total)


def test_redis_has_no_plain_port(host):
    plain = host.run("redis-cli --no-auth-warning -h 127.0.0.1 -p 19179 ping")
    assert plain.rc != 0 and "PONG" not in plain.stdout, plain.stdout + plain.stderr
