"""Unit tests of the inventory -> services -> Prometheus scrape jobs filters."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.efficientai.mlops.plugins.filter.monitoring_targets import (
    dashboard_links, host_targets, scrape_configs, stack_services)

GROUPS = {
    "all": ["t1", "s1", "o1", "db1"],
    "tracking": ["t1"],
    "serving": ["s1"],
    "orchestration": ["o1"],
    "db": ["db1"],
    "redis": ["o1"],
    "ungrouped": [],
}
HOSTVARS = {
    "t1": {"ansible_host": "10.0.0.11", "mlflow_port": 5001, "mlflow_prometheus_dir": "/var/lib/mlflow/metrics"},
    "s1": {"bentoml_services": [{"name": "iris", "port": 3000}, {"name": "fraud", "port": 3001},
                                {"name": "old", "port": 3002, "state": "absent"}]},
    "o1": {"monitoring_target_address": "orch.internal", "redis_port": 6380},
    "db1": {},
}


def test_services_come_from_the_groups_with_the_roles_defaults():
    services = stack_services(GROUPS, HOSTVARS)
    assert services == [
        {"name": "mlflow", "node": "t1", "kind": "http", "target": "http://10.0.0.11:5001/health", "metrics_path": "/metrics"},
        {"name": "bentoml-iris", "node": "s1", "kind": "http", "target": "http://s1:3000/readyz", "metrics_path": "/metrics"},
        {"name": "bentoml-fraud", "node": "s1", "kind": "http", "target": "http://s1:3001/readyz", "metrics_path": "/metrics"},
        {"name": "airflow", "node": "o1", "kind": "airflow", "target": "http://orch.internal:8080/api/v2/monitor/health",
         "metrics_path": ""},
        {"name": "postgresql", "node": "db1", "kind": "tcp", "target": "db1:5432", "metrics_path": ""},
        {"name": "redis", "node": "o1", "kind": "tcp", "target": "orch.internal:6380", "metrics_path": ""},
    ]


def test_defaults_when_the_roles_set_nothing():
    services = stack_services({"tracking": ["t"], "serving": ["s"]}, {"t": {}, "s": {}})
    assert [(s["name"], s["target"], s["metrics_path"]) for s in services] == [
        ("mlflow", "http://t:5000/health", ""), ("bentoml", "http://s:3000/readyz", "/metrics")]


def test_the_artifacts_only_server_is_a_service_where_it_runs():
    hostvars = {"t1": {"mlflow_tls": True, "mlflow_artifacts_server": "true", "mlflow_artifacts_server_port": 5600},
                "t2": {"mlflow_tls": True, "mlflow_artifacts_url": "https://t1:5600"}}
    services = stack_services({"tracking": ["t1", "t2"]}, hostvars, ca_path="/ca.crt")
    assert [(s["name"], s["node"], s["target"], s.get("ca_path")) for s in services] == [
        ("mlflow", "t1", "https://t1:5000/health", "/ca.crt"), ("mlflow-artifacts", "t1", "https://t1:5600/health", "/ca.crt"),
        ("mlflow", "t2", "https://t2:5000/health", "/ca.crt")]


def test_each_mlflow_replica_is_a_service_on_its_own_port():
    services = stack_services({"tracking": ["t"]}, {"t": {"mlflow_port": 5010, "mlflow_replicas": "3"}})
    assert [(s["name"], s["target"]) for s in services] == [
        ("mlflow", "http://t:5010/health"), ("mlflow-2", "http://t:5011/health"), ("mlflow-3", "http://t:5012/health")]


def test_no_groups_no_services():
    assert stack_services({"all": ["x"], "ungrouped": ["x"]}, {"x": {}}) == []


def test_scrape_jobs_metrics_and_probes():
    configs = scrape_configs(stack_services(GROUPS, HOSTVARS), blackbox_address="127.0.0.1:9115", jobs=[
        {"job": "prometheus", "targets": ["127.0.0.1:9090"]},
        {"job": "pushgateway", "targets": ["127.0.0.1:9091"], "honor_labels": True},
        {"job": "postgres_exporter", "targets": ["127.0.0.1:9187"], "labels": {"node": "db1"}}])
    jobs = {c["job_name"]: c for c in configs}
    # An exporter that watches another host labels its figures with that host.
    assert jobs["postgres_exporter"]["static_configs"] == [{"targets": ["127.0.0.1:9187"], "labels": {"node": "db1"}}]
    assert list(jobs) == ["prometheus", "pushgateway", "postgres_exporter", "bentoml-fraud", "bentoml-iris", "mlflow",
                          "probe_http", "probe_airflow", "probe_tcp"]
    assert jobs["pushgateway"]["honor_labels"] is True
    assert "honor_labels" not in jobs["prometheus"]
    assert jobs["mlflow"] == {"job_name": "mlflow", "metrics_path": "/metrics",
                              "static_configs": [{"targets": ["10.0.0.11:5001"], "labels": {"node": "t1"}}]}
    probe = jobs["probe_airflow"]
    assert probe["params"] == {"module": ["airflow_health"]}
    assert probe["static_configs"] == [{"targets": ["http://orch.internal:8080/api/v2/monitor/health"],
                                        "labels": {"service": "airflow", "node": "o1"}}]
    assert probe["relabel_configs"][-1] == {"target_label": "__address__", "replacement": "127.0.0.1:9115"}
    assert [c["targets"] for c in jobs["probe_tcp"]["static_configs"]] == [["db1:5432"], ["orch.internal:6380"]]


def test_no_probes_without_blackbox():
    configs = scrape_configs(stack_services(GROUPS, HOSTVARS))
    assert not [c for c in configs if c["job_name"].startswith("probe_")]


def test_unknown_kind_fails():
    with pytest.raises(AnsibleFilterError, match="service 'x' has an unknown kind 'udp'"):
        scrape_configs([{"name": "x", "kind": "udp", "target": "h:1"}])


def test_host_targets_use_each_hosts_port_and_address():
    hostvars = {"a": {"ansible_host": "10.0.0.1"}, "b": {"node_listen": "0.0.0.0:9200", "monitoring_target_address": "b.lan"}}
    assert host_targets(["a", "b"], hostvars, "node_listen", "0.0.0.0:9100") == ["10.0.0.1:9100", "b.lan:9200"]
    with pytest.raises(AnsibleFilterError, match="node_listen of a must be host:port"):
        host_targets(["a"], {"a": {"node_listen": "everywhere"}}, "node_listen", "")


TLS_GROUPS = {"tracking": ["t1", "t2"], "serving": ["s1"], "orchestration": ["o1"]}
TLS_HOSTVARS = {
    "t1": {"ansible_host": "10.0.0.21", "mlflow_tls": True, "mlflow_replicas": 2, "mlflow_prometheus_dir": "/m"},
    "t2": {"ansible_host": "10.0.0.22", "mlflow_tls": "true", "mlflow_prometheus_dir": "/m"},
    "s1": {"ansible_host": "10.0.0.31", "bentoml_tls": True, "bentoml_services": [{"name": "iris", "port": 3000}]},
    "o1": {"ansible_host": "10.0.0.40", "mlflow_tls": True},
}
CA = "/etc/prometheus/stack-ca.crt"


def test_services_that_serve_tls_are_https_with_the_ca():
    services = stack_services(TLS_GROUPS, TLS_HOSTVARS, ca_path=CA)
    assert [(s["name"], s["target"], s.get("tls"), s.get("ca_path")) for s in services] == [
        ("mlflow", "https://10.0.0.21:5000/health", True, CA),
        ("mlflow-2", "https://10.0.0.21:5001/health", True, CA),
        ("mlflow", "https://10.0.0.22:5000/health", True, CA),
        ("bentoml-iris", "https://10.0.0.31:3000/readyz", True, CA),
        # mlflow_tls of a host that runs no MLflow changes nothing.
        ("airflow", "http://10.0.0.40:8080/api/v2/monitor/health", None, None),
    ]


def test_tls_without_a_ca_path_has_no_ca_key():
    services = stack_services({"serving": ["s1"]}, TLS_HOSTVARS)
    assert services == [{"name": "bentoml-iris", "node": "s1", "kind": "http", "target": "https://10.0.0.31:3000/readyz",
                         "metrics_path": "/metrics", "tls": True}]


@pytest.mark.parametrize("value", [False, "false", "no", "", None])
def test_tls_off_keeps_plain_http(value):
    services = stack_services({"tracking": ["t"]}, {"t": {"mlflow_tls": value}}, ca_path=CA)
    assert services == [{"name": "mlflow", "node": "t", "kind": "http", "target": "http://t:5000/health", "metrics_path": ""}]


def test_ca_path_must_be_absolute():
    with pytest.raises(AnsibleFilterError, match="ca_path must be an absolute path"):
        stack_services(TLS_GROUPS, TLS_HOSTVARS, ca_path="stack-ca.crt")


def test_tls_services_are_scraped_over_https_with_the_ca():
    jobs = {c["job_name"]: c for c in scrape_configs(stack_services(TLS_GROUPS, TLS_HOSTVARS, ca_path=CA),
                                                     blackbox_address="127.0.0.1:9115")}
    assert jobs["mlflow"] == {"job_name": "mlflow", "metrics_path": "/metrics", "scheme": "https",
                              "tls_config": {"ca_file": CA}, "static_configs": [
                                  {"targets": ["10.0.0.21:5000"], "labels": {"node": "t1"}},
                                  {"targets": ["10.0.0.22:5000"], "labels": {"node": "t2"}}]}
    assert jobs["bentoml-iris"]["scheme"] == "https"
    assert "scheme" not in jobs["probe_http"]
    assert [c["targets"][0] for c in jobs["probe_http"]["static_configs"]][:2] == [
        "https://10.0.0.21:5000/health", "https://10.0.0.21:5001/health"]
    # Without a CA the system's CAs verify the scrape.
    jobs = {c["job_name"]: c for c in scrape_configs(stack_services({"serving": ["s1"]}, TLS_HOSTVARS))}
    assert jobs["bentoml-iris"]["scheme"] == "https" and "tls_config" not in jobs["bentoml-iris"]


def test_a_job_mixing_http_and_https_fails():
    hostvars = dict(TLS_HOSTVARS, t2={"ansible_host": "10.0.0.22", "mlflow_prometheus_dir": "/m"})
    with pytest.raises(AnsibleFilterError, match="the 'mlflow' services mix HTTP and HTTPS"):
        scrape_configs(stack_services(TLS_GROUPS, hostvars, ca_path=CA))


def test_dashboard_links_lead_to_each_ui_once_per_host():
    hostvars = dict(HOSTVARS, t1=dict(HOSTVARS["t1"], mlflow_replicas=2, mlflow_tls=True, mlflow_artifacts_server=True))
    links = dashboard_links(stack_services(GROUPS, hostvars), extra=[{"name": "Prometheus", "url": "http://10.0.0.40:9090/"}])
    assert links == [
        {"name": "MLflow (t1)", "url": "https://10.0.0.11:5001/"},
        {"name": "BentoML iris (s1)", "url": "http://s1:3000/"},
        {"name": "BentoML fraud (s1)", "url": "http://s1:3001/"},
        {"name": "Airflow (o1)", "url": "http://orch.internal:8080/"},
        {"name": "Prometheus", "url": "http://10.0.0.40:9090/"},
    ]


@pytest.mark.parametrize("extra", [[{"name": "UI"}], [{"name": "UI", "url": "ftp://h/"}], ["http://h/"]])
def test_dashboard_links_refuse_a_link_without_a_web_url(extra):
    with pytest.raises(AnsibleFilterError, match=r"extra\[0\] must be \{name, url\}"):
        dashboard_links([], extra=extra)
