"""Logs runs with MLflow's client until RUNS runs are done (each run's metrics in one batch of 40),
then writes a summary to DONE. Usage: logger.py RUNS DONE EXPERIMENT"""

import json
import sys
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

runs, done, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
client = MlflowClient()
experiment = mlflow.set_experiment(name)
print('started', flush=True)
for number in range(runs):
    run = client.create_run(experiment.experiment_id)
    now = int(time.time() * 1000)
    client.log_batch(run.info.run_id, metrics=[Metric('loss', 1.0 / (step + 1), now, step) for step in range(40)])
    client.set_terminated(run.info.run_id)
    print(f'logged {number + 1}', flush=True)
with open(done, 'w', encoding='utf-8') as out:
    json.dump({'runs': runs}, out)
