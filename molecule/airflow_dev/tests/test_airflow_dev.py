"""Airflow for development (LocalExecutor, SQLite, SimpleAuthManager): every
component healthy, a DAG triggered through the REST API succeeds, the API
refuses anonymous and unprivileged callers, secrets stay private."""

import pytest

from airflow_api import AirflowApi
from testing import ALL_HEALTHY, assert_runs_as_airflow, health_statuses, journal, listening_on, log_server_ports

COMPONENTS = ["airflow-api-server", "airflow-scheduler-1", "airflow-dag-processor", "airflow-triggerer"]


@pytest.mark.parametrize("unit", COMPONENTS)
def test_component_runs_as_the_airflow_user(host, unit):
    assert_runs_as_airflow(host, unit)
    assert host.service(unit).is_enabled


def test_health_json_says_every_component_is_healthy(host, variables):
    assert health_statuses(host, variables["airflow_api_port"]) == ALL_HEALTHY


def test_api_listens_on_loopback_only_and_no_log_server_is_exposed(host, variables):
    assert listening_on(host, variables["airflow_api_port"]) == [f"tcp://127.0.0.1:{variables['airflow_api_port']}"]
    assert listening_on(host, *log_server_ports(variables)) == []


def test_anonymous_and_wrong_password_are_refused(api, variables):
    assert api.call("GET", "/api/v2/dags", token=False)[0] == 401
    intruder = AirflowApi(api.base_url, "admin", "not-the-password")
    assert intruder.call("POST", "/auth/token", {"username": "admin", "password": "not-the-password"}, token=False)[0] == 401


def test_dag_triggered_with_a_token_succeeds_under_the_local_executor(api, host):
    run = api.run_dag("efficientai_smoke")
    assert run["state"] == "success", journal(host, "airflow-scheduler-1")
    report = api.return_value("efficientai_smoke", run["dag_run_id"], "report")
    processes = " | ".join(report["processes"])
    assert "LocalExecutor" in processes and "airflow scheduler" in processes, processes
    assert "celery" not in processes, processes


def test_viewer_cannot_trigger(api, variables):
    viewer = variables["airflow_users"][1]
    watcher = AirflowApi(api.base_url, viewer["username"], viewer["password"])
    assert watcher.call("GET", "/api/v2/dags")[0] == 200
    assert watcher.call("POST", "/api/v2/dags/efficientai_smoke/dagRuns", {"logical_date": None})[0] == 403


def test_secrets_are_private(host):
    config = host.file("/opt/efficientai/airflow/home/airflow.cfg")
    assert (config.user, config.group, config.mode) == ("root", "airflow", 0o640)
    passwords = host.file("/opt/efficientai/airflow/home/passwords.json")
    assert (passwords.user, passwords.mode) == ("airflow", 0o600)
    assert host.file("/opt/efficientai/airflow/home").mode == 0o750
    assert host.run("runuser -u nobody -- cat /opt/efficientai/airflow/home/airflow.cfg").rc != 0


def test_bad_secret_fails_before_any_change(host, play):
    before = host.file("/opt/efficientai/airflow/home/airflow.cfg").sha256sum
    result = play({"airflow_jwt_secret": "too-short"})
    assert result.returncode != 0
    assert "airflow_jwt_secret needs at least 64 characters" in result.stdout + result.stderr
    assert "too-short" not in result.stdout + result.stderr
    assert host.file("/opt/efficientai/airflow/home/airflow.cfg").sha256sum == before
