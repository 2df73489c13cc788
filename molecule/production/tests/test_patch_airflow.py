"""playbooks/patch.yml for Airflow alone (patch_components: [airflow]) on the production hosts:
a new package set passes the health gate on the scheduler's host, then on the Celery worker's;
celery 5.7.0, which the celery provider cannot run with, is rolled back on every Airflow host the
run switched, without a migration Airflow's database is left alone, MLflow is not touched, and
Airflow is healthy again."""

import json

import pytest
from conftest import host_name, run_playbook, scheduler_health

testinfra_hosts = [f"ansible://{host_name('ops')}"]
VENV = "/opt/efficientai/airflow/venv"
AIRFLOW_HOSTS = ("ops", "worker")


@pytest.fixture(scope="module")
def hosts(host):
    """The hosts by role (ops, worker, tracking-1, db)."""
    roles = AIRFLOW_HOSTS + ("tracking-1", "db")
    return {role: host.get_host(f"ansible://{host_name(role)}", ansible_inventory=host.backend.ansible_inventory)
            for role in roles}


def links(hosts, path, names=AIRFLOW_HOSTS):
    return {name: hosts[name].check_output(f"readlink {path}") for name in names}


def database_oid(db, port, name):
    return db.check_output(f"runuser -u postgres -- psql -p {port} -Atc \"SELECT oid FROM pg_database WHERE datname = '{name}'\"")


def test_a_new_package_set_passes_the_gate_host_by_host(hosts):
    before = links(hosts, VENV)
    mlflow_before = hosts["tracking-1"].check_output("readlink /opt/efficientai/mlflow/venv")

    result = run_playbook("patch.yml", "-e", json.dumps({"patch_components": ["airflow"],
                                                         "airflow_extra_packages": ["humanize==4.17.0"]}))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    after = links(hosts, VENV)
    for name in AIRFLOW_HOSTS:
        assert after[name] != before[name], (name, before, after)
        hosts[name].run_test(f"{VENV}/bin/python -c 'import humanize'")
    # The worker restarted after the scheduler's host passed its gate.
    started = {name: float(hosts[name].check_output(f"systemctl show -P ActiveEnterTimestampMonotonic {unit}")) / 1e6
               for name, unit in (("ops", "airflow-scheduler-1"), ("worker", "airflow-worker-1"))}
    # Monotonic clocks are the machine's own (the containers share its kernel): comparable.
    assert started["ops"] < started["worker"], started
    # MLflow was not patched.
    assert hosts["tracking-1"].check_output("readlink /opt/efficientai/mlflow/venv") == mlflow_before


def celery_versions(hosts):
    return {name: hosts[name].check_output(f"{VENV}/bin/python -c 'import celery; print(celery.__version__)'")
            for name in AIRFLOW_HOSTS}


def test_a_broken_celery_is_rolled_back_on_every_host_it_reached(hosts, templated, airflow_front):
    before = links(hosts, VENV)
    celery_before = celery_versions(hosts)
    assert "5.7.0" not in celery_before.values(), celery_before
    db, port = hosts["db"], templated(f"hostvars['{host_name('db')}']['postgres_port']")
    oids = {name: database_oid(db, port, name) for name in ("airflow", "mlflow")}

    # The gate that catches the broken worker waits airflow_health_timeout, pinging it every few seconds
    # with Airflow's CLI (seconds of CPU each): half the default is still ample for a sound worker.
    result = run_playbook("patch.yml", "-e", json.dumps({"patch_components": ["airflow"], "airflow_celery_version": "5.7.0",
                                                         "airflow_extra_packages": ["humanize==4.17.0"],
                                                         "airflow_health_timeout": 60}))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-5000:]
    assert f"The Airflow patch stopped at {host_name('')}" in output, output[-5000:]
    assert f"Rolled back to the previous Airflow environment: {host_name('ops')}" in output, output[-5000:]
    assert "Airflow's database restored" not in output
    # Every Airflow host is on the environment it had, and nothing else moved.
    assert links(hosts, VENV) == before
    assert {name: database_oid(db, port, name) for name in ("airflow", "mlflow")} == oids
    assert celery_versions(hosts) == celery_before
    assert hosts["worker"].service("airflow-worker-1").is_running
    assert scheduler_health(airflow_front) == "healthy"
