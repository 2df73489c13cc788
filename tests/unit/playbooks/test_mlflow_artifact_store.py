"""Several tracking hosts need one artifact store: MLflow's preflight refuses host-local
artifacts and bad artifacts-server settings, naming the variable; with the artifacts-only
server of one host, the firewall's listeners and the backup's artifact directory follow."""

import os

import pytest

INVENTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inventories", "two_tracking_hosts.yml")
SECRETS = {"mlflow_admin_password": "Vq8-tukm-Rz3w-Lp2x", "mlflow_flask_secret_key": "Yh4cN9sQ2mV7bX1kT6rW3pZ8dF5gJ0aL",
           "mlflow_backend": "postgresql", "mlflow_db_password": "Nw7-pqbz-Kc4t-Hs9m"}
ONE_STORE = {"mlflow_tls": True, "mlflow_artifacts_url": "https://10.0.0.21:5500"}


def results(run, task):
    """{host: result} of the named task."""
    return {host: result for play in run.data["plays"] for found in play["tasks"]
            if found["task"]["name"].split(" : ", 1)[-1] == task for host, result in found["hosts"].items()}


def declared(run):
    return {host: result["msg"] for host, result in results(run, "Show what was declared").items()}


def test_host_local_artifacts_on_two_tracking_hosts_are_refused(ansible_playbook):
    run = ansible_playbook("mlflow_artifact_store.yml", SECRETS, inventory=INVENTORY)
    refused = results(run, "Check the settings")
    assert set(refused) == {"tracking-1", "tracking-2"}, run.output[-3000:]
    for result in refused.values():
        assert result.get("failed") is True
        assert result["msg"].startswith("mlflow_artifacts_destination is '/var/lib/efficientai/mlflow/artifacts'"), result["msg"]
        assert "the 2 hosts of group tracking" in result["msg"] and "mlflow_artifacts_url" in result["msg"]
    assert declared(run) == {}
    assert SECRETS["mlflow_db_password"] not in run.output


def test_the_artifacts_server_is_declared_where_it_runs(ansible_playbook):
    run = ansible_playbook("mlflow_artifact_store.yml", dict(SECRETS, **ONE_STORE), inventory=INVENTORY)
    assert run.data["stats"]["tracking-1"]["failures"] == 0, run.output[-3000:]
    found = declared(run)
    listeners = {host: {item["name"]: item for item in value["listeners"]} for host, value in found.items()}
    assert set(listeners["tracking-2"]) == {"mlflow"}
    artifacts = listeners["tracking-1"]["mlflow-artifacts"]
    assert (int(artifacts["port"]), artifacts["addresses"], artifacts["clients"]) == (5500, ["10.0.0.21"], ["tracking", "monitoring"])
    # Only the artifacts host keeps artifacts, so only it backs them up.
    assert found["tracking-1"]["artifacts_path"] == "/var/lib/efficientai/mlflow/artifacts"
    assert found["tracking-2"]["artifacts_path"] == ""


def test_an_s3_store_is_one_store(ansible_playbook):
    run = ansible_playbook("mlflow_artifact_store.yml", dict(SECRETS, mlflow_artifacts_destination="s3://mlflow-artifacts/prod"),
                           inventory=INVENTORY)
    assert {host: value["artifacts_path"] for host, value in declared(run).items()} == {"tracking-1": "", "tracking-2": ""}


@pytest.mark.parametrize("variables, message", [
    ({"mlflow_artifacts_url": "http://10.0.0.21:5500"},
     "mlflow_artifacts_url must be the base URL of the artifacts-only server"),
    ({"mlflow_artifacts_url": "https://10.0.0.21:5500/api"}, "got 'https://10.0.0.21:5500/api'"),
    ({"mlflow_artifacts_url": "https://10.0.0.21:5500", "mlflow_tls": False},
     "https needs mlflow_tls"),
    ({"mlflow_artifacts_server_port": 5000},
     "mlflow_artifacts_server_port must be 1-65535 and outside the replicas' ports 5000-5000 (got 5000)"),
])
def test_bad_artifacts_server_settings_are_refused(ansible_playbook, variables, message):
    run = ansible_playbook("mlflow_artifact_store.yml", {**SECRETS, **ONE_STORE, **variables}, inventory=INVENTORY)
    failed = {host: result for host, result in results(run, "Check the settings").items() if result.get("failed")}
    assert failed and all(message in result["msg"] for result in failed.values()), run.output[-3000:]
    assert not set(failed) & set(declared(run))
