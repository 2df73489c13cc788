"""A host of group workers runs Celery workers only: it must use CeleryExecutor (refused
otherwise, naming the variable), serves its task logs to the orchestration hosts only, records
itself by airflow_hostname, and verifies an https execution API against a CA of its own."""

import os

INVENTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inventories", "airflow_workers.yml")
HOME = "/opt/efficientai/airflow/home"


def results(run, task):
    """{host: result} of the named task."""
    return {host: result for play in run.data["plays"] for found in play["tasks"]
            if found["task"]["name"].split(" : ", 1)[-1] == task for host, result in found["hosts"].items()}


def declared(run):
    return {host: result["msg"] for host, result in results(run, "Show what was declared").items()}


def test_a_worker_host_without_celery_is_refused(ansible_playbook):
    run = ansible_playbook("airflow_workers.yml", {"airflow_executor": "LocalExecutor"}, inventory=INVENTORY)
    refused = results(run, "Check the settings")
    assert refused["worker-1"].get("failed") is True, run.output[-3000:]
    assert refused["worker-1"]["msg"] == ("airflow_executor must be CeleryExecutor on worker-1, which is in group workers "
                                          "and runs Celery workers only (got 'LocalExecutor').")
    assert refused["ops-1"].get("failed") is not True
    assert "worker-1" not in declared(run)


def test_the_worker_serves_its_logs_to_the_orchestration_hosts_only(ansible_playbook):
    run = ansible_playbook("airflow_workers.yml", inventory=INVENTORY)
    found = declared(run)
    assert set(found) == {"ops-1", "worker-1"}, run.output[-3000:]
    worker = {item["name"]: item for item in found["worker-1"]["listeners"]}
    assert set(worker) == {"airflow-worker-logs"}
    assert (int(worker["airflow-worker-logs"]["port"]), worker["airflow-worker-logs"]["clients"]) == (8793, ["orchestration"])
    ops = {item["name"]: item for item in found["ops-1"]["listeners"]}
    assert set(ops) == {"airflow-api", "redis"}
    assert ops["redis"]["clients"] == ["orchestration", "workers", "monitoring"]
    assert (found["ops-1"]["runs_core"], found["worker-1"]["runs_core"]) == (True, False)


def test_the_worker_names_itself_and_verifies_the_execution_api(ansible_playbook):
    found = declared(ansible_playbook("airflow_workers.yml", inventory=INVENTORY))
    worker, ops = found["worker-1"], found["ops-1"]
    assert worker["config"]["core"]["hostname_callable"] == "efficientai_hostname.hostname"
    assert worker["config"]["core"]["execution_api_server_url"] == "https://mlops.example.internal:8443/execution/"
    assert worker["config"]["api"]["ssl_ca_file"] == f"{HOME}/execution-api-ca.crt"
    assert f"{HOME}/execution-api-ca.crt" in worker["cas"]
    # The scheduler's host calls its own API server over loopback: no name, no CA of the API.
    assert "hostname_callable" not in ops["config"]["core"] and "ssl_ca_file" not in ops["config"]["api"]
    assert f"{HOME}/execution-api-ca.crt" not in ops["cas"]
