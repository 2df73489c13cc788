"""playbooks/patch.yml for PostgreSQL alone (patch_components: [postgres]). The test bed has no
security archive, so the updates come from a local APT repository on the db host: Debian's own
postgresql-15 package rebuilt at a higher version. The first update passes the gate (the cluster
restarted on it and answers); the second one, whose server binary cannot start, is rolled back
to the packages from before it, with the data intact. MLflow and Airflow answer after both."""

import json

import pytest
from conftest import host_name, run_playbook, scheduler_health

testinfra_hosts = [f"ansible://{host_name('db')}"]
PACKAGE = "postgresql-15"
REPOSITORY = "/var/lib/mlops-postgres-updates"
SOURCE = "/etc/apt/sources.list.d/mlops-postgres-updates.list"
BINARY = "usr/lib/postgresql/15/bin/postgres"

# Rebuilds the installed release of the package at VERSION (BROKEN=1: with a server binary that
# exits at once) into the flat repository, and points APT at it.
PUBLISH = f"""set -eu
installed=$(dpkg-query -W -f '${{Version}}' {PACKAGE})
build=$(mktemp -d /var/tmp/pg-update.XXXXXX) && cd "$build"
apt-get download -q "{PACKAGE}=$installed" >/dev/null 2>&1 || {{ apt-get install -qy dpkg-repack >/dev/null && dpkg-repack {PACKAGE} >/dev/null; }}
dpkg-deb -R {PACKAGE}_*.deb tree
sed -i "s/^Version: .*/Version: $VERSION/" tree/DEBIAN/control
if [ "${{BROKEN:-0}}" = 1 ]; then printf '#!/bin/sh\\nexit 1\\n' > tree/{BINARY}; fi
mkdir -p {REPOSITORY} && dpkg-deb --root-owner-group -b tree "{REPOSITORY}/{PACKAGE}_$VERSION.deb" >/dev/null
cd {REPOSITORY} && rm -rf "$build"
for deb in *.deb; do dpkg-deb -f "$deb"; echo "Filename: ./$deb"; echo "Size: $(stat -c %s "$deb")"
  echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"; echo; done > Packages
printf 'Origin: tests\\nLabel: tests\\nSuite: tests\\nDate: %s\\nSHA256:\\n %s %s Packages\\n' \\
  "$(date -Ru)" "$(sha256sum Packages | cut -d' ' -f1)" "$(stat -c %s Packages)" > Release
echo 'deb [trusted=yes] file:{REPOSITORY} ./' > {SOURCE}
"""


@pytest.fixture(scope="module")
def repository(host):
    base = host.check_output(f"dpkg-query -W -f '${{Version}}' {PACKAGE}")
    yield base
    host.run(f"rm -rf {REPOSITORY} {SOURCE} && apt-get update -qq")


def publish(host, version, broken=False):
    host.run_test(f"VERSION='{version}' BROKEN={int(broken)} sh -s <<'EOF'\n{PUBLISH}EOF")


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
