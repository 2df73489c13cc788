"""Airflow on CeleryExecutor as the production inventory ships it: a DAG triggered through the
front runs its task on the worker host (not on the scheduler's), its results land in
PostgreSQL on the db host, the API server reads the task's log from the worker's log server,
and scale.yml changes the worker's concurrency."""

import json
import time

import pytest
from conftest import airflow_units, host_name, run_playbook

testinfra_hosts = [f"ansible://{host_name('ops')}"]
WORKER = host_name("worker")
DAG_ID = "efficientai_celery_probe"
DAG_FILE = f"/opt/efficientai/airflow/home/dags/{DAG_ID}.py"
DAG_SOURCE = f'''import socket

from airflow.sdk import dag, task


@dag(dag_id="{DAG_ID}", schedule=None, catchup=False)
def celery_probe():
    @task
    def where():
        print("celery probe ran on", socket.gethostname())
        return {{"hostname": socket.gethostname()}}

    where()


celery_probe()
'''
CELERY = ("runuser -u airflow -- env AIRFLOW_HOME=/opt/efficientai/airflow/home PYTHONWARNINGS=ignore "
          "AIRFLOW__LOGGING__LOGGING_LEVEL=ERROR /opt/efficientai/airflow/venv/bin/celery "
          "--app airflow.providers.celery.executors.celery_executor.app")


@pytest.fixture(scope="module")
def worker(host):
    return host.get_host(f"ansible://{WORKER}", ansible_inventory=host.backend.ansible_inventory)


@pytest.fixture(scope="module")
def db(host):
    return host.get_host(f"ansible://{host_name('db')}", ansible_inventory=host.backend.ansible_inventory)


@pytest.fixture(scope="module")
def probe_dag(host, worker):
    """The probe DAG on the scheduler's host and on the worker (each parses its own copy)."""
    for each in (host, worker):
        each.run_test(f"cat > {DAG_FILE} <<'EOF'\n{DAG_SOURCE}EOF\nchmod 0644 {DAG_FILE}")
    host.run_test("runuser -u airflow -- env AIRFLOW_HOME=/opt/efficientai/airflow/home "
                  "/opt/efficientai/airflow/venv/bin/airflow dags reserialize")
    yield DAG_ID
    for each in (host, worker):
        each.run(f"rm -f {DAG_FILE}")


def psql(db, port, query):
    return db.check_output(f"runuser -u postgres -- psql -p {port} -d airflow -Atc {json.dumps(query)}")


def test_the_task_runs_on_the_worker_and_its_result_is_in_postgresql(host, worker, db, airflow_front, probe_dag, templated):
    api = airflow_front
    run = api.run_dag(probe_dag)
    assert run["state"] == "success", run
    worker_name = worker.check_output("hostname")
    assert worker_name != host.check_output("hostname")
    assert api.return_value(probe_dag, run["dag_run_id"], "where") == {"hostname": worker_name}

    # The task instance names the worker by the address the API server reaches its log server at.
    status, instance = api.call("GET", f"/api/v2/dags/{probe_dag}/dagRuns/{run['dag_run_id']}/taskInstances/where")
    assert status == 200, instance
    assert instance["hostname"] == templated(f"hostvars['{WORKER}']['mlops_private_address']"), instance
    status, log = api.call("GET", f"/api/v2/dags/{probe_dag}/dagRuns/{run['dag_run_id']}/taskInstances/where/logs/1")
    assert status == 200, log
    assert f"celery probe ran on {worker_name}" in json.dumps(log), str(log)[:3000]

    # The XCom and Celery's own result are rows of Airflow's database on the db host.
    port = templated(f"hostvars['{host_name('db')}']['postgres_port']")
    xcom = psql(db, port, f"SELECT value FROM xcom WHERE dag_id = '{probe_dag}' AND run_id = '{run['dag_run_id']}' "
                          "AND key = 'return_value'")
    assert worker_name in xcom, xcom
    # The worker stores Celery's result after the task has reported its state to Airflow.
    deadline = time.time() + 60
    while not int(psql(db, port, "SELECT count(*) FROM celery_taskmeta WHERE status = 'SUCCESS'")):
        assert time.time() < deadline, "no SUCCESS row in celery_taskmeta within 60 s of the run's end"
        time.sleep(2)


def worker_concurrency(worker, node):
    """{celery node name: max concurrency} of the worker host's Celery worker `node`. Named as the
    destination, Celery returns on its reply instead of waiting out the timeout for others'."""
    stats = json.loads(worker.check_output(f"{CELERY} inspect stats --json --timeout 10 --destination {node}").splitlines()[-1])
    return {name: each["pool"]["max-concurrency"] for name, each in stats.items()}


def test_scale_changes_the_concurrency_of_the_workers(worker, templated):
    before = templated(f"hostvars['{WORKER}']['airflow_celery_worker_concurrency']")
    node = f"airflow-worker-1@{worker.check_output('hostname')}"
    assert worker_concurrency(worker, node) == {node: before}
    try:
        scaled = run_playbook("scale.yml", "--tags", "airflow", "--limit", "workers",
                              "-e", f"airflow_celery_worker_concurrency={before + 1}")
        assert scaled.returncode == 0, (scaled.stdout + scaled.stderr)[-3000:]
        assert worker_concurrency(worker, node) == {node: before + 1}
        # More concurrency, not more workers.
        assert airflow_units(worker) == ["airflow-worker-1"]
    finally:
        back = run_playbook("scale.yml", "--tags", "airflow", "--limit", "workers")
        assert back.returncode == 0, (back.stdout + back.stderr)[-3000:]
    assert worker_concurrency(worker, node) == {node: before}
