"""A user of the tracking server: MLflow's own Python client, in its own process, over HTTP.

    tracking_client.py write EXPERIMENT...   log a run in each (params, metric steps, an artifact)
    tracking_client.py read RUN_ID...        read those runs back
    tracking_client.py login                 list experiments (fails without valid credentials)

The server URL and credentials come from MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD. Prints JSON."""

import json
import os
import sys
import tempfile
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

ARTIFACT = "model-card.txt"


def write(experiment):
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as scratch:
        mlflow.log_params({"alpha": "0.5", "layers": "3", "optimizer": "adam"})
        # The whole history in one request: the server checks the password of each (scrypt).
        now = int(time.time() * 1000)
        MlflowClient().log_batch(run.info.run_id, metrics=[
            Metric(key, value, now + step, step) for step in range(10)
            for key, value in (("loss", round(1.0 / (step + 1), 6)), ("accuracy", round(0.5 + step / 20, 6)))])
        path = os.path.join(scratch, ARTIFACT)
        with open(path, "w", encoding="utf-8") as card:
            card.write(f"run {run.info.run_id}: trained with alpha=0.5\n")
        mlflow.log_artifact(path)
    return read(run.info.run_id)


def read(run_id):
    client = MlflowClient()
    run = client.get_run(run_id)
    with tempfile.TemporaryDirectory() as scratch:
        with open(client.download_artifacts(run_id, ARTIFACT, scratch), encoding="utf-8") as card:
            artifact = card.read()
    return {
        "run_id": run_id,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "lifecycle_stage": run.info.lifecycle_stage,
        "artifact_uri": run.info.artifact_uri,
        "params": run.data.params,
        "history": {key: sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))
                    for key in ("loss", "accuracy")},
        "artifact": artifact,
    }


def each(action):
    return lambda *names: [action(name) for name in names]


def login():
    return {"experiments": [e.name for e in MlflowClient().search_experiments(max_results=5)]}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    print(json.dumps({"write": each(write), "read": each(read), "login": login}[command](*args)))
