"""Airflow for production: CeleryExecutor with two workers on a Redis broker,
PostgreSQL as metadata DB and result backend on another host, FAB users. A DAG
triggered through the REST API runs on a Celery worker; the worker count scales
up and down with one variable."""

import base64
import json
import urllib.error
import urllib.request

import pytest

from airflow_api import AirflowApi
from testing import ALL_HEALTHY, assert_runs_as_airflow, health_statuses, journal, listening_on, log_server_ports, play_recap

testinfra_hosts = ["ansible://airflow-prod"]
HOME = "/opt/efficientai/airflow/home"
COMPONENTS = ["airflow-api-server", "airflow-scheduler-1", "airflow-dag-processor", "airflow-triggerer",
              "airflow-worker-1", "airflow-worker-2", "airflow-flower"]


def flower(variables, path, auth=True):
    user = variables["airflow_flower_users"][0]
    request = urllib.request.Request(f"http://127.0.0.1:{variables['airflow_flower_port']}{path}")
    if auth:
        token = base64.b64encode(f"{user['username']}:{user['password']}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def workers(host):
    return sorted(line.split()[0] for line in host.check_output(
        "systemctl list-units --plain --no-legend 'airflow-worker-*'").splitlines())


@pytest.mark.parametrize("unit", COMPONENTS)
def test_component_runs_as_the_airflow_user(host, unit):
    assert_runs_as_airflow(host, unit)


def test_health_json_says_every_component_is_healthy(host, variables):
    assert health_statuses(host, variables["airflow_api_port"]) == ALL_HEALTHY


def test_no_log_server_is_exposed(host, variables):
    assert listening_on(host, *log_server_ports(variables)) == []


def test_anonymous_callers_are_refused(api, variables):
    assert api.call("GET", "/api/v2/dags", token=False)[0] == 401
    assert flower(variables, "/api/workers", auth=False)[0] == 401


def test_dag_from_git_runs_on_a_celery_worker(api, host):
    run = api.run_dag("efficientai_smoke")
    assert run["state"] == "success", journal(host, "airflow-scheduler-1", "airflow-worker-1", "airflow-worker-2")
    processes = " | ".join(api.return_value("efficientai_smoke", run["dag_run_id"], "report")["processes"])
    assert "celery" in processes and "airflow-worker-" in processes, processes
    assert "LocalExecutor" not in processes, processes


def test_two_workers_are_online(variables):
    status, online = flower(variables, "/api/workers?refresh=1")
    assert status == 200
    assert sorted(name.split("@")[0] for name in online) == ["airflow-worker-1", "airflow-worker-2"], online
    assert all({q["name"] for q in worker["active_queues"]} == {"default", "training"} for worker in online.values())


def test_celery_and_flower_verify_the_broker_with_its_ca(host, variables):
    config = host.check_output(f"grep -E '^(broker_url|ssl_active|ssl_cacert) =' {HOME}/airflow.cfg")
    ca_path = f"{HOME}/redis-ca.crt"
    assert "broker_url = rediss://" in config and f"ssl_cert_reqs=required&ssl_ca_certs={ca_path}" in config
    assert "ssl_active = True" in config and f"ssl_cacert = {ca_path}" in config
    assert host.file(ca_path).mode == 0o644
    # Flower reads the queues from Redis itself, with broker_use_ssl only.
    status, lengths = flower(variables, "/api/queues/length")
    assert status == 200 and {q["name"] for q in lengths["active_queues"]} == {"default", "training"}, lengths


def test_the_database_connections_verify_postgresql(host):
    config = host.check_output(f"grep -E '^(sql_alchemy_conn|result_backend) =' {HOME}/airflow.cfg").splitlines()
    assert len(config) == 2 and all(f"?sslmode=verify-full&sslrootcert={HOME}/postgres-ca.crt" in line for line in config), len(config)
    assert host.file(f"{HOME}/postgres-ca.crt").mode == 0o644


def test_viewer_cannot_trigger(api, variables):
    analyst = variables["airflow_users"][1]
    viewer = AirflowApi(api.base_url, analyst["username"], analyst["password"])
    assert viewer.call("GET", "/api/v2/dags")[0] == 200
    assert viewer.call("POST", "/api/v2/dags/efficientai_smoke/dagRuns", {"logical_date": None})[0] == 403


def test_airflow_user_checks_the_database_instead_of_the_exit_code(host, api):
    def user(state, **extra):
        return host.ansible("efficientai.mlops.airflow_user", " ".join(
            [f"username=temp state={state} airflow_home=/opt/efficientai/airflow/home",
             "airflow_bin=/opt/efficientai/airflow/venv/bin/airflow"] + [f"{k}={v}" for k, v in extra.items()]),
            become=True, become_user="airflow", check=False)
    created = user("present", role="Op", password="temp-user-password")
    assert created["changed"] and created["user"]["roles"] == ["Op"], created
    # `airflow users create` would exit 0 here too: the module must see the user and do nothing.
    assert not user("present", role="Op", password="temp-user-password")["changed"]
    assert AirflowApi(api.base_url, "temp", "temp-user-password").token()
    assert user("absent")["changed"]
    assert api.call("POST", "/auth/token", {"username": "temp", "password": "temp-user-password"}, token=False)[0] == 401


def test_worker_count_scales_up_and_down_with_one_variable(host, play):
    up = play({"airflow_celery_workers": 3}, "--tags", "airflow_run")
    assert up.returncode == 0 and play_recap(up.stdout)["changed"] > 0, up.stdout[-3000:]
    assert workers(host) == ["airflow-worker-1.service", "airflow-worker-2.service", "airflow-worker-3.service"]
    again = play({"airflow_celery_workers": 3}, "--tags", "airflow_run")
    assert again.returncode == 0 and play_recap(again.stdout)["changed"] == 0, again.stdout[-3000:]
    down = play({"airflow_celery_workers": 2}, "--tags", "airflow_run")
    assert down.returncode == 0 and play_recap(down.stdout)["changed"] > 0, down.stdout[-3000:]
    assert workers(host) == ["airflow-worker-1.service", "airflow-worker-2.service"]
    assert not host.file("/etc/systemd/system/airflow-worker-3.service").exists


def test_a_plain_broker_off_loopback_is_refused_before_anything_changes(play):
    refused = play({"airflow_redis_tls": False, "airflow_redis_host": "192.0.2.10"}, "--tags", "always")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "airflow_redis_tls=false is allowed only" in output, output[-3000:]
