"""playbooks/patch.yml for PostgreSQL alone (patch_components: [postgres]). The test bed has no
security archive, so the updates come from a local APT repository on the db host: Debian's own
postgresql-15 package rebuilt at a higher version. The first update passes the gate (the cluster
restarted on it and answers); the second one, whose server binary cannot start, is rolled back
to the packages from before it, with the data intact. MLflow and Airflow answer after both."""

import json

from conftest import host_name, publish_rebuilt, run_playbook, scheduler_health

testinfra_hosts = [f"ansible://{host_name('db')}"]
PACKAGE = "postgresql-15"
REPOSITORY = "/var/lib/mlops-postgres-updates"
BINARY = "usr/lib/postgresql/15/bin/postgres"


def publish(host, version, broken=False):
    """Debian's own package rebuilt at `version` (broken: with a server binary that exits at once)."""
    publish_rebuilt(host, PACKAGE, version, REPOSITORY, BINARY if broken else "")


def installed(host):
    return host.check_output(f"dpkg-query -W -f '${{Version}}' {PACKAGE}")


def started(host, port):
    return host.check_output(f"runuser -u postgres -- psql -p {port} -Atc 'SELECT pg_postmaster_start_time()'")


def rows(host, port):
    return host.check_output(f"runuser -u postgres -- psql -p {port} -d mlflow -Atc 'SELECT count(*) FROM runs'")


def test_a_minor_update_restarts_the_cluster_and_passes_the_gate(host, repository, front, airflow_front, templated):
    port = templated("postgres_port")
    publish(host, f"{repository}+mlops1")
    before = started(host, port)
    experiment_id = front.experiment("postgres-patch")
    logged = {front.log_run(experiment_id, 0)}

    result = run_playbook("patch.yml", "-e", json.dumps({"patch_components": ["postgres"]}))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert installed(host) == f"{repository}+mlops1"
    assert started(host, port) != before
    # The clients reconnect: MLflow through the front, Airflow's scheduler.
    logged.add(front.log_run(experiment_id, 1))
    assert logged <= set(front.runs(experiment_id))
    assert scheduler_health(airflow_front) == "healthy"


def test_a_broken_update_is_rolled_back_with_the_data(host, repository, front, airflow_front, templated):
    port = templated("postgres_port")
    current = installed(host)
    publish(host, f"{repository}+mlops2", broken=True)
    runs_before = rows(host, port)

    result = run_playbook("patch.yml", "-e", json.dumps({"patch_components": ["postgres"]}))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-5000:]
    assert f"The PostgreSQL patch failed on {host_name('db')}: " in output and "Restart the cluster" in output, output[-5000:]
    assert "Rolled back to libpq5=" in output, output[-5000:]
    assert f"{PACKAGE}={current}" in output, output[-5000:]
    assert installed(host) == current
    assert host.service("postgresql@15-main").is_running
    assert rows(host, port) == runs_before
    experiment_id = front.experiment("postgres-patch")
    front.log_run(experiment_id, 2)
    assert scheduler_health(airflow_front) == "healthy"
