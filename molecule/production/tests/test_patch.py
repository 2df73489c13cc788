"""playbooks/patch.yml to another MLflow release (mlflow_release_to_patch_to: the shipped one, after
test_patch_migration.py took the hosts to 3.17.1), deliberately broken on the second tracking host
only: Flask-WTF 0.14.3 installs there, which finds the shared schema already migrated by the first
host (once per run), then its server's auth app fails to load (Flask-WTF 0.14 needs an older
Werkzeug). The first host patched and passed its gate. The patch takes the pre-patch backup, stops
every tracking host before the first migrates, rolls both hosts back to their previous environments,
restores MLflow's databases (not Airflow's) from that backup while no replica runs, stops with a
report, and leaves the stack healthy with its data."""

import json

from conftest import mlflow_release_to_patch_to, run_playbook

testinfra_hosts = ["ansible://production-tracking-1"]
MARKER = "/var/lib/efficientai/mlflow/schema-version"


def venv_state(host):
    return host.check_output("readlink /opt/efficientai/mlflow/venv"), host.check_output("ls /opt/efficientai/mlflow/venvs")


def database_oid(db, port, name="mlflow"):
    """pg_database's oid of a database: a restore drops and re-creates it."""
    return db.check_output(f"runuser -u postgres -- psql -p {port} -Atc \"SELECT oid FROM pg_database WHERE datname = '{name}'\"")


def test_a_patch_that_fails_on_the_second_host_rolls_back_both(host, front, templated):
    other = host.get_host("ansible://production-tracking-2",
                          ansible_inventory=host.backend.ansible_inventory)
    db = host.get_host("ansible://production-db", ansible_inventory=host.backend.ansible_inventory)
    tracking = {"production-tracking-1": host, "production-tracking-2": other}
    experiment_id = front.experiment("before-patch")
    before_runs = {front.log_run(experiment_id, step) for step in range(3)}
    before = {name: (venv_state(node), node.file(MARKER).content_string) for name, node in tracking.items()}
    sets_before = set(db.check_output("ls /var/backups/efficientai").split())
    port = templated("postgres_port")
    oid_before = database_oid(db, port)
    airflow_oid_before = database_oid(db, port, "airflow")

    release = mlflow_release_to_patch_to(host.file(MARKER).content_string.strip(), templated)
    broken = {"mlflow_version": release,
              "mlflow_extra_packages": "{{ ['flask-wtf==0.14.3'] if inventory_hostname == 'production-tracking-2' else [] }}"}
    result = run_playbook("patch.yml", "-e", json.dumps(broken))
    output = result.stdout + result.stderr  # failures go to stderr (display_failed_stderr)
    assert result.returncode != 0, output[-5000:]
    assert "The patch stopped at production-tracking-2:" in output, output[-5000:]
    assert "Apply the service to its manager, mlflow: mlflow did not become ready" in output, output[-5000:]
    assert "Rolled back to the previous MLflow environment: production-tracking-1, production-tracking-2" in output, output[-5000:]
    assert "MLflow's databases restored from backup set" in output, output[-5000:]
    assert "Not patched: none" in output and "Patched: none" in output, output[-5000:]
    # Every host stopped before the first one migrated.
    assert "Stop every replica of every tracking host before the schema migrates" in output

    # The pre-patch backup set was taken and verified before anything changed, and MLflow's
    # database was restored from it (dropped and re-created).
    new_sets = set(db.check_output("ls /var/backups/efficientai").split()) - sets_before
    assert any(db.file(f"/var/backups/efficientai/{name}/manifest.json").exists for name in new_sets), new_sets
    assert database_oid(db, port) != oid_before
    # Only MLflow's databases: Airflow's, on the same server and in the same set, kept running.
    assert database_oid(db, port, "airflow") == airflow_oid_before

    # Both hosts are back on their environments and schema versions, the first one although its
    # patch had passed; the environment each patch installed or switched to is kept beside the one
    # rolled back to (python_app keeps two: the install pruned an older one, if any).
    for name, node in tracking.items():
        (link, venvs), marker = venv_state(node), node.file(MARKER).content_string
        (link_before, venvs_before), marker_before = before[name]
        assert link == link_before, name
        assert link.rsplit("/", 1)[-1] in venvs.split() and len(venvs.split()) >= 2, (name, venvs_before, venvs)
        assert marker == marker_before, name
        assert not node.file(MARKER + ".migrating").exists, name
        assert node.service("mlflow").is_running, name

    health = run_playbook("health.yml")
    assert health.returncode == 0, health.stdout[-4000:]
    assert before_runs <= set(front.runs(experiment_id))
