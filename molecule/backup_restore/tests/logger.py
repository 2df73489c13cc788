"""Logs runs with MLflow's client (each run's metrics in one batch of 40) until the file STOP
exists, then logs one run more, so that at least one run comes after whatever the test did before
creating STOP, and writes a summary to DONE. At most 2000 runs.
Usage: logger.py STOP DONE EXPERIMENT"""

import json
import os
import sys
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

MOST = 2000
stop, done, name = sys.argv[1], sys.argv[2], sys.argv[3]
client = MlflowClient()
experiment = mlflow.set_experiment(name)
print('started', flush=True)
runs, stopping = 0, False
while runs < MOST and not stopping:
    stopping = os.path.exists(stop)  # read before the run: the run after it is the last
    run = client.create_run(experiment.experiment_id)
    now = int(time.time() * 1000)
    client.log_batch(run.info.run_id, metrics=[Metric('loss', 1.0 / (step + 1), now, step) for step in range(40)])
    client.set_terminated(run.info.run_id)
    runs += 1
    print(f'logged {runs}', flush=True)
with open(done, 'w', encoding='utf-8') as out:
    json.dump({'runs': runs, 'stopped': stopping}, out)
