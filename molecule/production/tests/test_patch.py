"""playbooks/patch.yml to a deliberately broken version: MLflow 3.17.1 with Flask-WTF 0.14.3,
which installs and migrates the tracking schema, then fails on the auth app (Flask-WTF 0.14
needs an older Werkzeug), so the database may be half migrated. The patch takes the pre-patch
backup, rolls the first tracking host back to its previous environment, restores MLflow's databases
(not Airflow's) from that backup, leaves the second host untouched, stops with a report, and leaves the stack
healthy with its data."""

from conftest import run_playbook

testinfra_hosts = ["ansible://production-tracking-1"]
BROKEN = '{"mlflow_version": "3.17.1", "mlflow_extra_packages": ["flask-wtf==0.14.3"]}'
MARKER = "/var/lib/efficientai/mlflow/schema-version"


def venv_state(host):
    return host.check_output("readlink /opt/efficientai/mlflow/venv"), host.check_output("ls /opt/efficientai/mlflow/venvs")


def database_oid(db, port, name="mlflow"):
    """pg_database's oid of a database: a restore drops and re-creates it."""
    return db.check_output(f"runuser -u postgres -- psql -p {port} -Atc \"SELECT oid FROM pg_database WHERE datname = '{name}'\"")


def test_a_broken_patch_rolls_back_the_first_host_and_its_database(host, front, templated):
    other = host.get_host("ansible://production-tracking-2",
                          ansible_inventory=host.backend.ansible_inventory)
    db = host.get_host("ansible://production-db", ansible_inventory=host.backend.ansible_inventory)
    experiment_id = front.experiment("before-patch")
    before_runs = {front.log_run(experiment_id, step) for step in range(3)}
    first_before, other_before = venv_state(host), venv_state(other)
    marker_before = host.file(MARKER).content_string
    sets_before = set(db.check_output("ls /var/backups/efficientai").split())
    port = templated("postgres_port")
    oid_before = database_oid(db, port)
    airflow_oid_before = database_oid(db, port, "airflow")

    result = run_playbook("patch.yml", "-e", BROKEN)
    output = result.stdout + result.stderr  # failures go to stderr (display_failed_stderr)
    assert result.returncode != 0, output[-5000:]
    assert "The patch stopped at production-tracking-1:" in output, output[-5000:]
    assert "Migrating MLflow's auth database on production-tracking-1 failed" in output, output[-5000:]
    assert "Not patched: production-tracking-2" in output, output[-5000:]
    assert "the database restored from backup set" in output, output[-5000:]

    # The pre-patch backup set was taken and verified before anything changed, and the
    # database was restored from it (dropped and re-created).
    new_sets = set(db.check_output("ls /var/backups/efficientai").split()) - sets_before
    assert any(db.file(f"/var/backups/efficientai/{name}/manifest.json").exists for name in new_sets), new_sets
    assert database_oid(db, port) != oid_before
    # Only MLflow's databases: Airflow's, on the same server and in the same set, kept running.
    assert database_oid(db, port, "airflow") == airflow_oid_before

    # The first host is back on its environment and schema version; the broken environment
    # is kept next to it (the next install prunes it) and the rollback target is the good one.
    link, venvs = venv_state(host)
    assert link == first_before[0]
    assert set(venvs.split()) >= set(first_before[1].split()) and len(venvs.split()) >= 2, (first_before, venvs)
    assert host.check_output("readlink /opt/efficientai/mlflow/venv.previous") == link
    assert host.file(MARKER).content_string == marker_before
    assert not host.file(MARKER + ".migrating").exists
    assert host.service("mlflow").is_running
    # The second host was not touched at all.
    assert venv_state(other) == other_before

    health = run_playbook("health.yml")
    assert health.returncode == 0, health.stdout[-4000:]
    assert before_runs <= set(front.runs(experiment_id))
