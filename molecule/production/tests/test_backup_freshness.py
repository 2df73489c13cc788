"""Backup freshness measured where the backups are: a scheduled run (the timer's unit) on every
backup host writes its figures to node_exporter's textfile, Prometheus on the monitoring host
scrapes them from each host, and stale_backup is quiet after them. promtool checks the deployed
rules: stale_backup fires for a host whose sets stopped, for one that never took a set, and when
no host exports the figures at all; wal_archive_failing fires while PostgreSQL fails to archive
WAL (its pg_stat_archiver counters, which Prometheus scrapes). The other rules of the shipped
inventory (PostgreSQL and Redis down, connections, certificates, disks, BentoML latency, a
replica down) read figures that are scraped, and fire on the figures of trouble only."""

import json
import os
import re
import sys
import time

from conftest import REPO, host_name

sys.path.insert(0, os.path.join(REPO, "molecule", "_shared"))
from polling import wait_for  # noqa: E402  pylint: disable=wrong-import-position

testinfra_hosts = [f"ansible://{host_name('ops')}"]
TEXTFILE = "/var/lib/prometheus/node-exporter/efficientai_backup.prom"
RULE_TEST = os.path.join(os.path.dirname(__file__), "rules", "backup_rules_test.yml")
STACK_RULE_TEST = os.path.join(os.path.dirname(__file__), "rules", "stack_rules_test.yml")


def figures(node):
    """The textfile's gauges as {name: value}."""
    lines = node.file(TEXTFILE).content_string.splitlines()
    return {name: float(value) for name, value in (line.split() for line in lines if line and not line.startswith("#"))}


def prometheus_get(ops, path, **params):
    """A GET of Prometheus's API on the monitoring host (where its unit listens)."""
    listen = re.search(r"--web\.listen-address=(\S+)", ops.check_output("systemctl show prometheus -p ExecStart --value")).group(1)
    encoded = " ".join(f"--data-urlencode '{key}={value}'" for key, value in params.items())
    return json.loads(ops.check_output(f"curl -sfG 'http://{listen}{path}' {encoded}"))["data"]


def prometheus_query(ops, promql):
    return {sample["metric"].get("instance", ""): float(sample["value"][1])
            for sample in prometheus_get(ops, "/api/v1/query", query=promql)["result"]}


def stale_backup_state(ops):
    rules = prometheus_get(ops, "/api/v1/rules", type="alert")["groups"]
    return [rule["state"] for group in rules for rule in group["rules"] if rule["name"] == "stale_backup"]


def test_every_backup_host_reports_its_newest_set_to_prometheus(host, templated):
    backup_hosts = {name: host.get_host(f"ansible://{name}", ansible_inventory=host.backend.ansible_inventory)
                    for name in templated("groups['backup']")}
    started = time.time()
    instances = {}
    for name, node in backup_hosts.items():
        node.run_test("systemctl start efficientai-backup@manual.service")
        found = figures(node)
        assert found["mlops_backup_configured"] == 1 and found["mlops_backup_last_run_success"] == 1, (name, found)
        assert found["mlops_backup_last_success_timestamp_seconds"] >= started - 5, (name, found)
        assert found["mlops_backup_last_verified"] == 1 and found["mlops_backup_last_size_bytes"] > 0, (name, found)
        assert node.file(TEXTFILE).mode == 0o644
        address = node.ansible("debug", "var=mlops_private_address", check=False)["mlops_private_address"]
        instances[f"{address}:9100"] = found["mlops_backup_last_success_timestamp_seconds"]

    deadline, seen = time.time() + 120, {}
    while time.time() < deadline:
        seen = prometheus_query(host, "mlops_backup_last_success_timestamp_seconds")
        if all(seen.get(instance) == value for instance, value in instances.items()):
            break
        time.sleep(5)
    assert {instance: seen.get(instance) for instance in instances} == instances, seen
    # The dashboard shows each backup host's newest set from Prometheus.
    dashboard = "http://{}:{}/health".format(*(host.ansible("debug", f"var={name}", check=False)[name]
                                               for name in ("monitoring_dashboard_listen_host", "monitoring_dashboard_port")))
    while time.time() < deadline + 60:
        shown = {b["instance"]: b["timestamp"] for b in json.loads(host.check_output(f"curl -sf {dashboard}"))["backups"]
                 if b["instance"] in instances}
        if shown == instances:
            break
        time.sleep(5)
    assert shown == instances
    # The rule's next evaluation finds no backup host older than 26 hours.
    while stale_backup_state(host) != ["inactive"] and time.time() < deadline + 60:
        time.sleep(5)
    assert stale_backup_state(host) == ["inactive"]


def promtool_test(ops, path):
    """promtool test rules, on the monitoring host, of a test file of this directory."""
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as stream:
        ops.run_test(f"cat > /tmp/{name} <<'EOF'\n{stream.read()}EOF")
    return ops.run(f"promtool test rules /tmp/{name}")


def test_the_stack_rules_read_live_figures_fire_on_trouble_and_name_the_host(host):
    # The figures the rules read are scraped, carrying the host they describe: the exporters'
    # node label names the db and redis hosts (they run on the monitoring host), and the HTTPS
    # probes report their certificates' expiry.
    def labelled(promql):
        return {(sample["metric"].get("node"), float(sample["value"][1]))
                for sample in prometheus_get(host, "/api/v1/query", query=promql)["result"]}
    assert labelled("pg_up") == {(host_name("db"), 1.0)}
    assert labelled("redis_up") == {(host_name("ops"), 1.0)}
    assert labelled("max(pg_settings_max_connections) by (node)") and labelled("sum(pg_stat_activity_count) by (node)")
    # The exporter's login is in pg_monitor: it sizes every database, although CONNECT on them is
    # revoked from PUBLIC.
    sizes = prometheus_get(host, "/api/v1/query", query="pg_database_size_bytes")["result"]
    sized = {sample["metric"]["datname"] for sample in sizes}
    assert sized >= {"mlflow", "mlflow_auth", "airflow"}, sized
    expiry = dict(labelled("min by (node) ((probe_ssl_earliest_cert_expiry - time()) / 86400)"))
    assert set(expiry) >= {host_name("tracking-1"), host_name("serving")}, expiry
    assert all(days > 21 for days in expiry.values()), expiry
    result = promtool_test(host, STACK_RULE_TEST)
    assert result.rc == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def archived_everywhere(ops):
    """{instance: archived WAL segments} once every exporter reports at least one, else None."""
    archived = prometheus_query(ops, "pg_stat_archiver_archived_count")
    return archived if archived and all(value > 0 for value in archived.values()) else None


def test_the_deployed_rules_fire_when_backups_stop_or_vanish_and_when_wal_archiving_fails(host):
    # wal_archive_failing reads PostgreSQL's own archiver counters, which Prometheus has. Right after
    # the converge no segment may be archived yet: PostgreSQL switches one within archive_timeout
    # (backup_pitr_archive_timeout, 60 s), and Prometheus scrapes the exporter every 15 s.
    wait_for("an archived WAL segment on every PostgreSQL server in Prometheus (pg_stat_archiver_archived_count)",
             lambda: archived_everywhere(host), timeout=180, interval=5)
    result = promtool_test(host, RULE_TEST)
    assert result.rc == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr
