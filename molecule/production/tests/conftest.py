"""Fixtures of the production scenarios: the repository's playbooks run against the
scenario's inventory (the production group_vars plus the test-bed host variables), the
vaulted secrets as Ansible templates them, and an MLflow REST client for the front.

The shipped production inventory is deployed by two scenarios that run in parallel lanes of
`make test`, each on its own network: `production` (the network, the front, the clients and
MLflow's day-2 playbooks) and `production_data` (the modules in DATA_TESTS: backups, restores,
the PostgreSQL, Airflow, BentoML and monitoring patches, Celery, alert delivery, services.yml). Both collect
this directory; each runs its share."""

import base64
import importlib
import json
import os
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "molecule", "_airflow"))
sys.path.insert(0, os.path.join(REPO, "molecule", "_shared"))
play_recap = importlib.import_module("testing").play_recap  # shared with the airflow scenarios
airflow_api = importlib.import_module("airflow_api")
ansible_playbook = importlib.import_module("playbook_run").ansible_playbook

API = "/api/2.0/mlflow"
SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "production")
DATA_TESTS = {"test_alert_delivery.py", "test_backup_freshness.py", "test_celery.py", "test_patch_airflow.py",
              "test_patch_bentoml.py", "test_patch_monitoring.py", "test_patch_postgres.py", "test_restore.py",
              "test_services.py"}
# Each patch test leaves the tracking hosts on another MLflow release than the inventory's
# (taking them back would be a third patch run, minutes each): they run after every other test,
# which may deploy the inventory's release. test_patch.py patches back to the shipped release,
# broken on the second host, so its rollback keeps the release test_patch_migration.py patched to.
LAST_TESTS = ["test_patch_migration.py", "test_patch.py"]
# An MLflow release beside the shipped one (mlflow_version) that `mlflow db upgrade` brings the schema to.
ANOTHER_MLFLOW = "3.17.1"


def host_name(role):
    """The inventory name of the scenario's host for a role (db, ops, worker, tracking-1, ...):
    the containers of both scenarios share one Docker engine, so each scenario's names are its own."""
    return f"{SCENARIO.replace('_', '-')}-{role}"


def pytest_collection_modifyitems(config, items):
    """Keep the tests of this scenario's share (DATA_TESTS for production_data, the others for production),
    the ones in LAST_TESTS last, in that order."""
    wanted = (lambda name: name in DATA_TESTS) if SCENARIO == "production_data" else (lambda name: name not in DATA_TESTS)
    kept = [item for item in items if wanted(item.path.name)]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = sorted(kept, key=lambda item: LAST_TESTS.index(item.path.name) + 1 if item.path.name in LAST_TESTS else 0)


def mlflow_release_to_patch_to(schema_version, templated):
    """The MLflow release a patch test moves the tracking hosts to from the one their schema was
    last brought to: the shipped release when they run another (a test before took them there), else
    ANOTHER_MLFLOW. Either way the patch changes the release, so the schema migrates. The shipped
    release is the inventory's mlflow_version, else the role's default (what the converge installed)."""
    shipped = templated("mlflow_version|default('')")
    if not shipped:
        with open(os.path.join(REPO, "roles", "mlflow", "defaults", "main.yml"), encoding="utf-8") as defaults:
            shipped = yaml.safe_load(defaults)["mlflow_version"]
    return shipped if schema_version != shipped else ANOTHER_MLFLOW


def airflow_units(node):
    """The Airflow components a host runs: its airflow-* systemd units, without the suffix."""
    listed = node.check_output("systemctl list-units 'airflow-*' --plain --no-legend --all | awk '{print $1}'").split()
    return [unit.removesuffix(".service") for unit in listed]


def run_playbook(playbook, *options):
    """ansible-playbook with the scenario's whole inventory directory (its hosts link too)."""
    return ansible_playbook(os.path.join(REPO, "playbooks", playbook), None, *options,
                            inventory=os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]))


def recaps(output):
    """{host: {'ok': .., 'changed': .., 'failed': ..}} of the last PLAY RECAP."""
    last = output.rsplit("PLAY RECAP", 1)[-1]
    return {line.split()[0]: play_recap(line) for line in last.splitlines() if " : ok=" in line}


# Rebuilds the installed release of $PACKAGE at $VERSION into the flat APT repository $REPOSITORY
# ($BROKEN: a file of the package, replaced by a program that exits 1), indexes it (Packages and an
# unsigned Release, trusted through the source's option) and points APT at it. The test bed has no
# security archive: this is where the tests' Debian updates come from.
REBUILD = """set -eu
installed=$(dpkg-query -W -f '${Version}' "$PACKAGE")
build=$(mktemp -d /var/tmp/update.XXXXXX) && cd "$build"
apt-get download -q "$PACKAGE=$installed" >/dev/null 2>&1 || { apt-get install -qy dpkg-repack >/dev/null && dpkg-repack "$PACKAGE" >/dev/null; }
dpkg-deb -R "$PACKAGE"_*.deb tree
sed -i "s/^Version: .*/Version: $VERSION/" tree/DEBIAN/control
if [ -n "$BROKEN" ]; then printf '#!/bin/sh\\nexit 1\\n' > "tree/$BROKEN"; fi
mkdir -p "$REPOSITORY" && dpkg-deb --root-owner-group -Zgzip -z1 -b tree "$REPOSITORY/${PACKAGE}_$VERSION.deb" >/dev/null
cd "$REPOSITORY" && rm -rf "$build"
for deb in *.deb; do dpkg-deb -f "$deb"; echo "Filename: ./$deb"; echo "Size: $(stat -c %s "$deb")"
  echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"; echo; done > Packages
printf 'Origin: tests\\nLabel: tests\\nSuite: tests\\nDate: %s\\nSHA256:\\n %s %s Packages\\n' \\
  "$(date -Ru)" "$(sha256sum Packages | cut -d' ' -f1)" "$(stat -c %s Packages)" > Release
echo "deb [trusted=yes] file:$REPOSITORY ./" > "/etc/apt/sources.list.d/$(basename "$REPOSITORY").list"
"""


def publish_rebuilt(host, package, version, repository, broken=""):
    """Offer `package` at `version` (rebuilt from the installed one) from the flat repository."""
    host.run_test(f"PACKAGE='{package}' VERSION='{version}' REPOSITORY='{repository}' BROKEN='{broken}' sh -s <<'EOF'\n{REBUILD}EOF")


@pytest.fixture(scope="module")
def repository(request, host):
    """The installed version of the test module's PACKAGE; its REPOSITORY and APT source go afterwards."""
    yield host.check_output(f"dpkg-query -W -f '${{Version}}' {request.module.PACKAGE}")
    host.run(f"rm -rf {request.module.REPOSITORY} /etc/apt/sources.list.d/$(basename {request.module.REPOSITORY}).list"
             " && apt-get update -qq")


# {(host, name): value} for the whole run: the inventory does not change under the tests.
_TEMPLATED = {}


@pytest.fixture(scope="module")
def templated(host):
    """A variable (or expression) of the host under test as Ansible templates it, vaulted
    values decrypted. Each name is asked once per host and run, whichever test module asks:
    every answer is an `ansible` run of its own (~2 CPU-s in CI)."""
    def value(name):
        key = (host.backend.host, name)
        if key not in _TEMPLATED:
            _TEMPLATED[key] = host.ansible("debug", f"var={name}", check=False)[name]
        return _TEMPLATED[key]
    return value


@pytest.fixture(scope="module")
def front(templated):
    """The MLflow REST API through the nginx front, as the admin, verifying the private CA."""
    ports = templated("mlops_front_ports")
    return MlflowClient(f"https://{templated('mlops_public_name')}:{ports['mlflow']}",
                        "admin", templated("hostvars[groups['tracking'][0]]['mlflow_admin_password']"),
                        ssl.create_default_context(cafile=templated("mlops_ca_dir") + "/ca.crt"))


@pytest.fixture(scope="module")
def airflow_front(templated):
    """Airflow's REST API through the nginx front, as the admin, verifying the private CA."""
    admin = [user for user in templated("hostvars[groups['orchestration'][0]]['airflow_users']") if user["role"] == "Admin"][0]
    return airflow_api.AirflowApi(f"https://{templated('mlops_public_name')}:{templated('mlops_front_ports')['airflow']}",
                                  admin["username"], admin["password"],
                                  ssl.create_default_context(cafile=templated("mlops_ca_dir") + "/ca.crt"))


def scheduler_health(api, timeout=120):
    """The scheduler's status in /api/v2/monitor/health once it is healthy, or after the timeout."""
    deadline = time.time() + timeout
    while True:
        health = api.call("GET", "/api/v2/monitor/health")[1] or {}
        state = health.get("scheduler", {}).get("status")
        if state == "healthy" or time.time() > deadline:
            return state
        time.sleep(5)


class MlflowClient:
    """What MLflow's Python client sends to log a run, without its retries: every request
    that fails counts."""

    def __init__(self, base_url, username, password, context):
        self.base_url = base_url
        self.context = context
        self.headers = {"Content-Type": "application/json",
                        "Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}

    def call(self, method, path, body=None):
        request = urllib.request.Request(self.base_url + path, method=method, headers=self.headers,
                                         data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(request, timeout=30, context=self.context) as response:
            return json.loads(response.read() or b"{}")

    def experiment(self, name):
        try:
            return self.call("GET", f"{API}/experiments/get-by-name?experiment_name={name}")["experiment"]["experiment_id"]
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
        return self.call("POST", f"{API}/experiments/create", {"name": name})["experiment_id"]

    def log_run(self, experiment_id, step):
        """Create a run, log a param and a metric, finish it; return its id."""
        run = self.call("POST", f"{API}/runs/create", {"experiment_id": experiment_id, "start_time": int(time.time() * 1000)})
        run_id = run["run"]["info"]["run_id"]
        self.call("POST", f"{API}/runs/log-batch", {
            "run_id": run_id, "params": [{"key": "step", "value": str(step)}],
            "metrics": [{"key": "loss", "value": 1.0 / (step + 1), "timestamp": int(time.time() * 1000), "step": step}]})
        self.call("POST", f"{API}/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": int(time.time() * 1000)})
        return run_id

    def runs(self, experiment_id):
        """Every run of the experiment: {run_id: params}."""
        found, token = {}, None
        while True:
            body = {"experiment_ids": [experiment_id], "max_results": 1000}
            if token:
                body["page_token"] = token
            page = self.call("POST", f"{API}/runs/search", body)
            for run in page.get("runs", []):
                found[run["info"]["run_id"]] = {p["key"]: p["value"] for p in run["data"].get("params", [])}
            token = page.get("next_page_token")
            if not token:
                return found


class RunLogger(threading.Thread):
    """Logs runs through the front in a loop until stopped, PAUSE seconds apart; keeps every
    failure and when each logged run was begun and finished (epoch seconds)."""

    # Steady traffic, not a load test: MLflow checks the password of every request (scrypt: 0.23 s
    # of CPU each on the test bed, measured with curl against a tracking host). A pause of 1 s
    # kept about 0.4 of a core busy on the tracking hosts for the whole test (test_scale alone:
    # 175 of its 412 CPU seconds on them), in every lane's way; at 2 s a scale or migration test
    # still logs well over the 10 runs it needs, a few seconds apart.
    PAUSE = 2.0

    def __init__(self, client, experiment_id):
        super().__init__(daemon=True)
        self.client, self.experiment_id = client, experiment_id
        self.logged, self.failures, self.spans = [], [], []
        self.stopping = threading.Event()

    def run(self):
        step = 0
        while not self.stopping.is_set():
            begun = time.time()
            try:
                self.logged.append(self.client.log_run(self.experiment_id, step))
                self.spans.append((begun, time.time()))
            except (urllib.error.URLError, OSError, ValueError) as error:
                self.failures.append(f"step {step}: {error!r}")
            step += 1
            self.stopping.wait(self.PAUSE)

    def stop(self):
        self.stopping.set()
        self.join(timeout=60)


@pytest.fixture
def run_logger(front):
    """A client logging runs through the front for the duration of a test."""
    logger = RunLogger(front, front.experiment(f"load-{uuid.uuid4().hex[:8]}"))
    logger.start()
    yield logger
    logger.stop()
