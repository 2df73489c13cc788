"""Unit tests of the inventory -> services -> Prometheus scrape jobs filters."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.efficientai.mlops.plugins.filter.monitoring_targets import host_targets, scrape_configs, stack_services

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


def test_each_mlflow_replica_is_a_service_on_its_own_port():
    services = stack_services({"tracking": ["t"]}, {"t": {"mlflow_port": 5010, "mlflow_replicas": "3"}})
    assert [(s["name"], s["target"]) for s in services] == [
        ("mlflow", "http://t:5010/health"), ("mlflow-2", "http://t:5011/health"), ("mlflow-3", "http://t:5012/health")]


def test_no_groups_no_services():
    assert stack_services({"all": ["x"], "ungrouped": ["x"]}, {"x": {}}) == []


def test_scrape_jobs_metrics_and_probes():
    configs = scrape_configs(stack_services(GROUPS, HOSTVARS), blackbox_address="127.0.0.1:9115", jobs=[
        {"job": "prometheus", "targets": ["127.0.0.1:9090"]},
        {"job": "pushgateway", "targets": ["127.0.0.1:9091"], "honor_labels": True}])
    jobs = {c["job_name"]: c for c in configs}
    assert list(jobs) == ["prometheus", "pushgateway", "bentoml-fraud", "bentoml-iris", "mlflow",
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
