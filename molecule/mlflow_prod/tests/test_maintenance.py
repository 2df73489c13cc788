"""playbooks/maintenance.yml against PostgreSQL and MLflow with artifacts in S3: check mode and a
dry run change nothing and predict the real run; the real run soft-deletes the stale
experiment, purges for good (database rows and S3 artifacts) only what was deleted more than
30 days ago, and runs VACUUM ANALYZE; a repeat finds nothing to do."""

import importlib.util
import json
import os
import subprocess
import uuid

import pytest
import testinfra

testinfra_hosts = ["ansible://mlflow-prod-tracking"]
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PLAYBOOK = os.path.join(REPO, "playbooks", "maintenance.yml")
PSQL = "runuser -u postgres -- psql --port 15432 --no-psqlrc --tuples-only --no-align --dbname mlflow --command"
CLEANUP, LISTED, GC = "Delete what saw no activity", "List what mlflow gc would purge", "Run mlflow gc"


def load(name, path):
    """Helpers of other scenarios' tests, by path (each scenario's conftest is a module named conftest)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, "molecule", path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_mlflow = load("mlflow_dev_helpers", "mlflow_dev/tests/conftest.py")
_results = load("dvc_helpers", "dvc/tests/conftest.py")
mlflow, tracking_client, backdate = _mlflow.mlflow, _mlflow.tracking_client, _mlflow.backdate


@pytest.fixture
def db():
    return testinfra.get_host("ansible://mlflow-prod-db", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture
def sql(db):
    return lambda statement: db.check_output(f'{PSQL} "{statement}"')


@pytest.fixture
def maintenance(tmp_path):
    """Run playbooks/maintenance.yml; return (returncode, JSON results, output)."""
    def run(variables, *options):
        extra = tmp_path / "vars.json"
        extra.write_text(json.dumps(variables))
        done = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], PLAYBOOK,
                               "--limit", "tracking,db", "-e", f"@{extra}", *options],
                              capture_output=True, text=True, check=False,
                              env=dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
        return done.returncode, _results.json_document(done.stdout), done.stdout[-6000:] + done.stderr[-2000:]
    return run


def result(results, name, host="mlflow-prod-tracking"):
    return _results.task_result(results, name, host)


def s3_keys(host):
    variables = host.ansible.get_variables()
    bucket, prefix = variables["mlflow_artifacts_destination"][len("s3://"):].split("/", 1)
    return host.check_output(f"curl -sf '{variables['mlflow_s3_endpoint_url']}/{bucket}?list-type=2&prefix={prefix}/'")


def test_maintenance_cleans_up_purges_and_vacuums(host, mlflow, tracking_client, backdate, sql, maintenance):
    prefix = f"maint-{uuid.uuid4().hex[:6]}"
    names = {kind: f"{prefix}-{kind}" for kind in ("stale", "fresh", "purge", "binned")}
    written = tracking_client("write", *names.values())
    assert written.rc == 0, written.stderr
    runs = dict(zip(names, written.answer))
    backdate(40, names["stale"])
    # "purge" was deleted 40 days ago, "binned" just now: gc (30 days) takes only the first.
    for kind in ("purge", "binned"):
        host.run_test(f"{mlflow['curl']} -sf -u {mlflow['admin']}:{mlflow['password']} -H 'Content-Type: application/json' "
                      f"-d '{{\"experiment_id\": \"{runs[kind]['experiment_id']}\"}}' "
                      f"{mlflow['url']}/api/2.0/mlflow/experiments/delete")
    aged = "(EXTRACT(EPOCH FROM now() - interval '40 days') * 1000)::bigint"
    sql(f"UPDATE experiments SET last_update_time = {aged} WHERE name = '{names['purge']}'; "
        f"UPDATE runs SET deleted_time = {aged} WHERE run_uuid = '{runs['purge']['run_id']}'")
    variables = {"maintenance_mlflow_cleanup_days": 30, "maintenance_mlflow_cleanup_filter": f"name LIKE '{prefix}-%'"}
    tags = ["--tags", "mlflow,vacuum"]

    predicted = {}
    for mode, options in (("check", ["--check"]), ("dry run", ["-e", "maintenance_dry_run=true"])):
        rc, results, output = maintenance(variables, *tags, *options)
        assert rc == 0, output
        cleanup, listed = result(results, CLEANUP), json.loads(result(results, LISTED)["stdout"])
        assert [e["name"] for e in cleanup["deleted_experiments"]] == [names["stale"]], (mode, cleanup)
        assert [e["name"] for e in listed["experiments"] if e["name"].startswith(prefix)] == [names["purge"]], mode
        assert runs["purge"]["run_id"] in [r["run_id"] for r in listed["runs"]], mode
        assert runs["binned"]["run_id"] not in [r["run_id"] for r in listed["runs"]], mode
        # gc's result is censored (no_log: the password on stdin); the rows below show it did not run.
        assert not result(results, GC)["changed"], mode
        predicted[mode] = (cleanup["deleted_experiments"], listed)
        assert sql(f"SELECT lifecycle_stage FROM experiments WHERE name = '{names['stale']}'") == "active", mode
        assert sql(f"SELECT count(*) FROM runs WHERE run_uuid = '{runs['purge']['run_id']}'") == "1", mode
    assert predicted["check"] == predicted["dry run"]

    vacuumed = sql("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'runs'")
    rc, results, output = maintenance(variables, *tags)
    assert rc == 0, output
    assert result(results, CLEANUP)["changed"] and result(results, GC)["changed"]
    assert result(results, CLEANUP)["deleted_experiments"] == predicted["check"][0]
    stages = sql("SELECT name || ' ' || lifecycle_stage FROM experiments WHERE name LIKE '" + prefix + "-%' ORDER BY name")
    assert stages.splitlines() == [f"{names['binned']} deleted", f"{names['fresh']} active", f"{names['stale']} deleted"]
    assert sql(f"SELECT count(*) FROM runs WHERE run_uuid = '{runs['purge']['run_id']}'") == "0"
    keys = s3_keys(host)
    assert f"/{runs['purge']['run_id']}/artifacts/" not in keys
    for kind in ("stale", "fresh", "binned"):
        assert f"/{runs[kind]['run_id']}/artifacts/model-card.txt" in keys, kind
    assert sql("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'runs'") != vacuumed

    rc, results, output = maintenance(variables, *tags)
    assert rc == 0, output
    assert not result(results, CLEANUP)["changed"] and not result(results, GC)["changed"]
    assert not [e for e in json.loads(result(results, LISTED)["stdout"])["experiments"] if e["name"].startswith(prefix)]


def test_bad_settings_fail_before_any_step(sql, maintenance):
    before = sql("SELECT count(*) || '/' || sum(CASE WHEN lifecycle_stage = 'active' THEN 1 ELSE 0 END) FROM runs")
    rc, output = maintenance({"maintenance_mlflow_cleanup_days": 0, "maintenance_mlflow_cleanup_filter": ""})[::2]
    assert rc != 0 and "maintenance_mlflow_cleanup_days" in output and "at least 1" in output, output
    rc, output = maintenance({"maintenance_log_patterns": "*.log.*"})[::2]
    assert rc != 0 and "maintenance_log_patterns" in output, output
    assert sql("SELECT count(*) || '/' || sum(CASE WHEN lifecycle_stage = 'active' THEN 1 ELSE 0 END) FROM runs") == before
