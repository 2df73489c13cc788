"""playbooks/restore.yml of a fresh set on the production hosts while an Airflow DAG runs (its
task on the Celery worker host). Airflow's database (on the db host) is in the set, so every
Airflow component, on the operations host and on the worker host, stops before it is replaced
and starts again after; the backup roots stay marked for the whole
restore, so the scheduled backup started meanwhile (the timer's unit) refuses and makes no set;
and the run triggered after the set is gone with the rest of Airflow's newer state. The probe's
task would run for 15 minutes: the run gives the Celery worker a warm-shutdown window of
WARM_SHUTDOWN seconds (airflow_worker_stop_timeout) instead of the default 120, which the test
would otherwise spend waiting for it."""

import concurrent.futures
import re
import time

from conftest import airflow_units, host_name, recaps, run_playbook

testinfra_hosts = [f"ansible://{host_name('ops')}"]
ROOT = "/var/backups/efficientai"
RESTORING = f"{ROOT}/.restoring"
DAG_ID = "efficientai_restore_probe"
DAG_FILE = f"/opt/efficientai/airflow/home/dags/{DAG_ID}.py"
WARM_SHUTDOWN = 15
DAG_SOURCE = f'''import time

from airflow.sdk import dag, task


@dag(dag_id="{DAG_ID}", schedule=None, catchup=False)
def restore_probe():
    @task
    def wait():
        time.sleep(900)

    wait()


restore_probe()
'''


def stops_and_starts(ops, unit, since):
    """[(epoch seconds, 'Stopped' or 'Started')] of the unit since then, from systemd's journal."""
    lines = ops.check_output(f"journalctl -u {unit} --since @{int(since)} -o short-unix --no-pager")
    return [(float(line.split()[0]), line.split("systemd[1]: ", 1)[1].split()[0]) for line in lines.splitlines()
            if "systemd[1]: Stopped " in line or "systemd[1]: Started " in line]


def backup_sets(db):
    return sorted(name for name in db.check_output(f"ls {ROOT}").split() if re.fullmatch(r"[0-9]{8}T[0-9]{6}Z", name))


def database_oid(db, port, name):
    return db.check_output(f"runuser -u postgres -- psql -p {port} -Atc \"SELECT oid FROM pg_database WHERE datname = '{name}'\"")


def running_dag(host, worker, api):
    """Publish the probe DAG (on the scheduler's host and the worker's), trigger it through the
    front and wait until its task runs."""
    for each in (host, worker):
        each.run_test(f"cat > {DAG_FILE} <<'EOF'\n{DAG_SOURCE}EOF\nchmod 0644 {DAG_FILE}")
    host.run_test("runuser -u airflow -- env AIRFLOW_HOME=/opt/efficientai/airflow/home "
                  "/opt/efficientai/airflow/venv/bin/airflow dags reserialize")
    api.wait_for_dag(DAG_ID)
    assert api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})[0] == 200
    status, run = api.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None})
    assert status == 200, run
    deadline = time.time() + 180
    while time.time() < deadline:
        tasks = api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances")[1]
        if [task["state"] for task in tasks["task_instances"]] == ["running"]:
            return api, run["dag_run_id"]
        time.sleep(3)
    raise AssertionError(f"the probe's task did not start within 180 s: {tasks}")


def test_a_restore_stops_airflow_and_the_scheduled_backups(host, templated, airflow_front):
    db = host.get_host(f"ansible://{host_name('db')}", ansible_inventory=host.backend.ansible_inventory)
    worker = host.get_host(f"ansible://{host_name('worker')}", ansible_inventory=host.backend.ansible_inventory)
    port = templated("postgres_port")
    taken = run_playbook("backup.yml")
    assert taken.returncode == 0, (taken.stdout + taken.stderr)[-3000:]
    # Sets are taken where the backups are deployed (group backup), and nowhere else (localhost
    # only checks that the group has hosts).
    assert sorted(set(recaps(taken.output)) - {"localhost"}) == sorted(templated("groups['backup']")), taken.output[-3000:]
    sets = backup_sets(db)
    oids = {name: database_oid(db, port, name) for name in ("airflow", "mlflow")}
    units = {each: airflow_units(each) for each in (host, worker)}
    assert "airflow-api-server" in units[host] and "airflow-scheduler-1" in units[host], units
    assert units[worker] == ["airflow-worker-1"], units
    try:
        api, run_id = running_dag(host, worker, airflow_front)
        started = int(time.time())
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            restore = pool.submit(run_playbook, "restore.yml", "-e", f"backup_id={sets[-1]}",
                                  "-e", f"airflow_worker_stop_timeout={WARM_SHUTDOWN}")
            deadline = time.monotonic() + 300
            while not db.file(RESTORING).exists and not restore.done() and time.monotonic() < deadline:
                time.sleep(0.5)
            scheduled = db.run("systemctl start efficientai-backup@daily.service")
            result = restore.result()
        ended = int(time.time()) + 1
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-5000:]
        assert f"Restored set {sets[-1]}" in output, output[-3000:]

        # Airflow stopped before its database was replaced, and started after the restore.
        order = [output.index(task) for task in ("Stop every Airflow component", "Restore the PostgreSQL databases",
                                                 "Run every Airflow component and check its health")]
        assert order == sorted(order), order
        assert database_oid(db, port, "airflow") != oids["airflow"] and database_oid(db, port, "mlflow") != oids["mlflow"]
        for each, names in units.items():
            for unit in names:
                events = stops_and_starts(each, unit, started)
                assert [event for _when, event in events] == ["Stopped", "Started"], (unit, events)
                assert events[-1][0] <= ended and each.service(unit).is_running, (unit, events, ended)
        assert api.call("GET", "/api/v2/monitor/health")[1]["scheduler"]["status"] == "healthy"
        # The worker's unit took the run's warm-shutdown window.
        assert worker.check_output("systemctl show airflow-worker-1 -p TimeoutStopUSec --value") == f"{WARM_SHUTDOWN}s"
        # The run started after the set: Airflow's state is the set's.
        assert api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")[0] == 404

        # The scheduled backup refused while the roots were marked, made no set, and the mark is gone.
        assert scheduled.rc != 0, scheduled.stdout
        journal = db.check_output("journalctl -u efficientai-backup@daily.service --no-pager -n 20")
        assert "a restore is in progress" in journal, journal
        assert backup_sets(db) == sets
        assert not db.file(RESTORING).exists
    finally:
        for each in (host, worker):
            each.run(f"rm -f {DAG_FILE}")


def test_a_host_without_deployed_backups_is_refused_and_left_alone(host):
    serving = host.get_host(f"ansible://{host_name('serving')}", ansible_inventory=host.backend.ansible_inventory)
    result = run_playbook("backup.yml", "-e", f"backup_hosts={host_name('serving')}")
    assert result.returncode != 0, result.output[-3000:]
    assert "has no backup configuration" in result.output and "--tags backup" in result.output, result.output[-3000:]
    assert not serving.file(ROOT).exists
