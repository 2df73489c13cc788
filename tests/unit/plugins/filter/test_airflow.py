"""Unit tests of the airflow_unhealthy filter."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.airflow import airflow_unhealthy

HEALTHY = {
    "metadatabase": {"status": "healthy"},
    "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-11-27T16:40:05.123456+00:00"},
    "triggerer": {"status": "healthy", "latest_triggerer_heartbeat": "2026-11-27T16:40:03+00:00"},
    "dag_processor": {"status": "healthy", "latest_dag_processor_heartbeat": "2026-11-27T16:40:04+00:00"},
}
ALL = ["metadatabase", "scheduler", "triggerer", "dag_processor"]


def test_all_healthy():
    assert airflow_unhealthy(HEALTHY, ALL, "2026-11-27T16:40:00") == []


def test_unhealthy_component_is_named_although_http_was_200():
    health = dict(HEALTHY, triggerer={"status": "unhealthy", "latest_triggerer_heartbeat": "2026-11-27T16:30:00+00:00"})
    assert airflow_unhealthy(health, ALL) == ["triggerer (unhealthy)"]


def test_component_that_never_ran_is_named():
    health = dict(HEALTHY, dag_processor={"status": None, "latest_dag_processor_heartbeat": None})
    assert airflow_unhealthy(health, ALL) == ["dag_processor (no status)"]


def test_missing_component_is_named():
    health = {k: v for k, v in HEALTHY.items() if k != "scheduler"}
    assert airflow_unhealthy(health, ALL) == ["scheduler (not reported)"]


def test_heartbeat_from_before_the_restart_does_not_count():
    problems = airflow_unhealthy(HEALTHY, ALL, "2026-11-27T16:40:04")
    assert problems == ["triggerer (last heartbeat 2026-11-27T16:40:03+00:00, before 2026-11-27T16:40:04)"]


def test_only_expected_components_matter():
    health = dict(HEALTHY, triggerer={"status": "unhealthy"})
    assert airflow_unhealthy(health, ["metadatabase", "scheduler"]) == []


@pytest.mark.parametrize("health, expected", [("up", ALL), (HEALTHY, "scheduler"), (HEALTHY, None)])
def test_bad_input_is_refused(health, expected):
    with pytest.raises(AnsibleFilterError, match="airflow_unhealthy"):
        airflow_unhealthy(health, expected)
