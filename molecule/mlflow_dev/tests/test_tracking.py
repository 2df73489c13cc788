"""The tracking server as its users see it: MLflow's Python client logs a run that survives
a restart, anonymous requests are refused, and the modules manage users and experiments
idempotently, with check mode predicting each real run (modules.yml, old_runs.yml)."""

import uuid

import pytest

testinfra_hosts = ["ansible://tracking"]
API = "/api/2.0/mlflow"


def test_health_and_version(host, mlflow, service_log):
    assert host.socket(f"tcp://127.0.0.1:{mlflow['url'].rsplit(':', 1)[1]}").is_listening, service_log()
    assert host.check_output(f"{mlflow['curl']} -sf {mlflow['url']}/health") == "OK"
    version = host.check_output(f"{mlflow['curl']} -sf -u {mlflow['admin']}:{mlflow['password']} {mlflow['url']}/version")
    assert version == host.check_output("/opt/efficientai/mlflow/venv/bin/python -c "
                                        "'import mlflow; print(mlflow.__version__)'")


@pytest.mark.parametrize("path", [f"{API}/experiments/search?max_results=1", "/version", "/"])
def test_anonymous_access_is_refused(host, mlflow, path):
    assert host.check_output(f"{mlflow['curl']} -s -o /dev/null -w '%{{http_code}}' '{mlflow['url']}{path}'") == "401"


def test_a_run_survives_a_restart(host, tracking_client, restart_mlflow, service_log):
    written = tracking_client("write", f"verify-{uuid.uuid4().hex[:8]}")
    assert written.rc == 0, written.stderr + service_log()
    before = written.answer[0]
    assert before["params"] == {"alpha": "0.5", "layers": "3", "optimizer": "adam"}
    assert [point[0] for point in before["history"]["loss"]] == list(range(10))
    assert before["artifact_uri"].startswith("mlflow-artifacts:/"), "artifacts must be proxied by the server"
    assert before["status"] == "FINISHED"
    assert_artifact_stored(host, before)

    restart_mlflow()
    read = tracking_client("read", before["run_id"])
    assert read.rc == 0, read.stderr + service_log()
    assert read.answer == [before]


def assert_artifact_stored(host, run):
    """The artifact is where the role sends artifacts: the S3 bucket or the local directory."""
    variables = host.ansible.get_variables()
    destination = variables.get("mlflow_artifacts_destination", "")
    if destination.startswith("s3://"):
        bucket, prefix = destination[len("s3://"):].split("/", 1)
        listing = host.check_output(f"curl -sf '{variables['mlflow_s3_endpoint_url']}/{bucket}?list-type=2&prefix={prefix}/'")
        assert f"{prefix}/{run['experiment_id']}/{run['run_id']}/artifacts/model-card.txt" in listing
    else:
        card = host.file(f"/var/lib/efficientai/mlflow/artifacts/{run['experiment_id']}/{run['run_id']}/artifacts/model-card.txt")
        assert card.content_string == run["artifact"]
        assert card.user == "mlflow"


def test_modules_manage_users_and_experiments(run_playbook, tracking_client):
    """modules.yml runs each step in check mode, for real and again, and asserts that the
    prediction equals the real run and the repeat changes nothing."""
    user = f"user-{uuid.uuid4().hex[:6]}"
    passwords = {"verify_password": "first-Password-123", "verify_new_password": "second-Password-456"}
    result = run_playbook("modules.yml", dict(passwords, verify_user=user, verify_experiment=f"exp-{user}"))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

    # What the module made is what MLflow's client sees.
    login = tracking_client("login", user=user, password=passwords["verify_new_password"])
    assert login.rc == 0, login.stderr
    assert f"exp-{user}" in login.answer["experiments"]
    for name, password in ((user, passwords["verify_password"]), (f"{user}-gone", passwords["verify_password"])):
        refused = tracking_client("login", user=name, password=password)
        assert refused.rc != 0 and "401" in refused.stderr, (name, refused.stdout)


def test_cleanup_deletes_only_what_is_old(run_playbook, tracking_client, backdate):
    prefix = f"cleanup-{uuid.uuid4().hex[:6]}"
    written = tracking_client("write", f"{prefix}-old", f"{prefix}-busy", f"{prefix}-new")
    assert written.rc == 0, written.stderr
    runs = dict(zip(("old", "busy", "new"), written.answer))
    # "old": experiment and run 40 days old; "busy": old experiment, old run plus a new run.
    backdate(40, f"{prefix}-old", f"{prefix}-busy")
    recent = tracking_client("write", f"{prefix}-busy")
    assert recent.rc == 0, recent.stderr
    runs["recent"] = recent.answer[0]

    result = run_playbook("old_runs.yml", {
        "verify_filter": f"name LIKE '{prefix}-%'",
        "verify_deleted_experiments": [f"{prefix}-old"],
        "verify_deleted_runs": [runs["busy"]["run_id"]]})
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    read = tracking_client("read", *(run["run_id"] for run in runs.values()))
    assert read.rc == 0, read.stderr
    # Deleting an experiment deletes its runs too (softly, like everything in MLflow).
    assert dict(zip(runs, (run["lifecycle_stage"] for run in read.answer))) == {
        "old": "deleted", "busy": "deleted", "new": "active", "recent": "active"}


def test_secrets_stay_private(host, on_systemd):
    for path in ("/etc/efficientai/mlflow.env", "/etc/efficientai/mlflow-auth.ini"):
        secret = host.file(path)
        assert secret.user == "mlflow" and secret.mode == 0o600, path
    definition = ("/etc/systemd/system/mlflow.service" if on_systemd
                  else "/opt/efficientai/supervisor/conf.d/mlflow.conf")
    password = host.ansible.get_variables()["mlflow_admin_password"]
    assert password not in host.file(definition).content_string
    assert password not in host.check_output("ps -eo args")
    assert "MLFLOW_BACKEND_STORE_URI" in host.file("/etc/efficientai/mlflow.env").content_string
    assert host.process.get(comm="mlflow").user == "mlflow"


def test_the_server_keeps_checked_logins_for_the_configured_seconds(host):
    # Without the cache every request pays the password hash (benchmarks/mlflow_auth_cache.py).
    seconds = host.ansible.get_variables().get("mlflow_auth_cache_seconds", 60)  # the role's default
    settings = host.file("/etc/efficientai/mlflow-auth.ini").content_string.splitlines()
    assert f"auth_cache_ttl_seconds = {seconds}" in settings, settings
