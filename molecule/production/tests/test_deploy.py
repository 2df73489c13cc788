"""The stack that playbooks/deploy.yml made from the production inventory: every service
healthy (playbooks/health.yml), MLflow's replicas behind the nginx front, and the four
front sites answering only over HTTPS with a certificate of the generated private CA."""

import base64
import json
import ssl
import urllib.error
import urllib.request

import pytest
from conftest import recaps, run_playbook

testinfra_hosts = ["ansible://production-ops"]
SITES = {"mlflow": "/health", "bentoml": "/readyz", "airflow": "/api/v2/monitor/health", "dashboard": "/health"}


def test_health_playbook_reports_every_service_ok():
    result = run_playbook("health.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    table = result.stdout
    for service in ("mlflow", "bentoml", "airflow", "postgres", "prometheus", "dashboard"):
        assert service in table, f"{service} is not in the health table:\n{table[-4000:]}"
    assert ", 0 DOWN" in table, table[-4000:]
    assert recaps(result.stdout)["production-ops"]["failed"] == 0


@pytest.mark.parametrize("site", sorted(SITES))
def test_front_site_answers_over_https_with_the_private_ca(templated, site):
    ports, name = templated("mlops_front_ports"), templated("mlops_public_name")
    context = ssl.create_default_context(cafile=templated("mlops_ca_dir") + "/ca.crt")
    request = urllib.request.Request(f"https://{name}:{ports[site]}{SITES[site]}")
    # BentoML and the dashboard ask for a front user (test_front_auth.py checks every site's login).
    users = [item for item in templated("proxy_sites") if item["name"] == site][0].get("auth_users") or []
    if users:
        request.add_header("Authorization", "Basic " + base64.b64encode(
            f"{users[0]['name']}:{users[0]['password']}".encode()).decode())
    with urllib.request.urlopen(request, timeout=30, context=context) as answer:
        assert answer.status == 200


@pytest.mark.parametrize("site", sorted(SITES))
def test_front_site_refuses_plain_http_and_unknown_cas(templated, site):
    ports, name = templated("mlops_front_ports"), templated("mlops_public_name")
    # Plain HTTP on the TLS port gets nginx's 400, never the service.
    with pytest.raises(urllib.error.HTTPError) as plain:
        urllib.request.urlopen(f"http://{name}:{ports[site]}{SITES[site]}", timeout=30)
    assert plain.value.code == 400
    # The system's CAs do not know the private CA.
    with pytest.raises(urllib.error.URLError) as untrusted:
        urllib.request.urlopen(f"https://{name}:{ports[site]}{SITES[site]}", timeout=30,
                               context=ssl.create_default_context())
    assert isinstance(untrusted.value.reason, ssl.SSLCertVerificationError)


def test_runs_logged_through_the_front_are_read_back(front):
    experiment_id = front.experiment("production-smoke")
    run_id = front.log_run(experiment_id, 7)
    assert front.runs(experiment_id)[run_id] == {"step": "7"}


IRIS = {"name": "iris", "bento": "iris_classifier:1.0.0", "source": "demo", "port": 3000}


@pytest.mark.parametrize("variables, named", [
    ({"airflow_api_port": 70000}, "airflow_api_port"),
    ({"monitoring_dashboard_port": -5}, "monitoring_dashboard_port"),
    ({"bentoml_services": [IRIS, IRIS]}, "bentoml_services"),
    ({"mlflow_replicas": 0}, "mlflow_replicas"),
    ({"backup_schedule": {"daily": {"hour": 25}}}, "backup_schedule"),
    ({"mlflow_artifacts_destination": "ftp://artifacts/prod"}, "mlflow_artifacts_destination"),
    ({"airflow_executor": "LocalExecutor"}, "airflow_executor"),
])
def test_a_bad_input_of_any_role_stops_deploy_before_its_first_change(variables, named):
    """Each role's checks run on every host in deploy.yml's second play: a bad value of a role
    that runs late (Airflow, BentoML, the backups, monitoring) stops the run before the first
    play that changes anything has started."""
    result = run_playbook("deploy.yml", "-e", json.dumps(variables))
    assert result.returncode != 0, result.stdout[-3000:]
    assert named in result.output, result.output[-3000:]
    assert "PLAY [Point the hosts at their package sources]" not in result.stdout, result.stdout[-3000:]
    assert all(recap["changed"] == 0 for recap in recaps(result.stdout).values()), result.stdout[-3000:]


@pytest.mark.parametrize("playbook, options, named, first_change", [
    ("scale.yml", ["--tags", "mlflow", "-e", "mlflow_replicas=0"], "mlflow_replicas",
     "PLAY [Count the MLflow replicas that run now]"),
    ("patch.yml", ["-e", json.dumps({"patch_components": ["airflow"], "airflow_api_port": 70000})], "airflow_api_port",
     "PLAY [Check that there are hosts to back up]"),
    ("restore.yml", ["-e", json.dumps({"backup_root": "relative/backups"})], "backup_root",
     "PLAY [Choose and check the backup sets]"),
])
def test_a_bad_input_stops_a_day2_playbook_before_its_first_change(playbook, options, named, first_change):
    """scale.yml, patch.yml and restore.yml check the inputs of the roles they run, on every host,
    before their first play (patch.yml: before the pre-patch backup)."""
    result = run_playbook(playbook, *options)
    assert result.returncode != 0, result.stdout[-3000:]
    assert named in result.output, result.output[-3000:]
    assert first_change not in result.stdout, result.stdout[-3000:]
    assert all(recap["changed"] == 0 for recap in recaps(result.stdout).values()), result.stdout[-3000:]
