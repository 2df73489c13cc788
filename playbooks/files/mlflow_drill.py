# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR drill's user of MLflow (playbooks/dr_drill.yml), through MLflow's own client.

    mlflow_drill.py write PREFIX          log known data: experiments, runs, params, tags,
                                          metric histories, text and binary artifacts
    mlflow_drill.py snapshot OUT.json     everything the server holds, artifacts by SHA-256
    mlflow_drill.py compare EXPECTED.json ACTUAL.json
                                          every difference; exits 1 when there is one

The server and credentials come from MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD."""

import hashlib
import json
import os
import random
import sys
import tempfile
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType


def write(prefix):
    """Two experiments of one run each, with params, tags, two metric histories and two artifacts.
    Few requests: with basic auth every request checks the password hash (seconds on a busy host)."""
    rng = random.Random(prefix)
    client = MlflowClient()
    written = []
    for number in range(2):
        experiment = mlflow.set_experiment(f'{prefix}-experiment-{number}')
        client.set_experiment_tag(experiment.experiment_id, 'purpose', 'dr drill')
        with mlflow.start_run(run_name=f'{prefix}-run-{number}') as run, tempfile.TemporaryDirectory() as scratch:
            now = int(time.time() * 1000)
            client.log_batch(run.info.run_id, params=[Param('learning_rate', rng.choice(['0.1', '0.01'])),
                                                      Param('layers', str(number + 2)), Param('prefix', prefix)],
                             tags=[RunTag('team', 'drill'), RunTag('experiment_number', str(number))],
                             metrics=[Metric(key, rng.random(), now + step, step)
                                      for step in range(50) for key in ('loss', 'accuracy')])
            with open(os.path.join(scratch, 'notes.txt'), 'w', encoding='utf-8') as notes:
                notes.write(f'{prefix} run {run.info.run_id}\n')
            with open(os.path.join(scratch, 'weights.bin'), 'wb') as weights:
                weights.write(rng.randbytes(20000))
            mlflow.log_artifacts(scratch, artifact_path='model')
            written.append(run.info.run_id)
    return {'prefix': prefix, 'runs': written}


def digest(path):
    with open(path, 'rb') as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def snapshot(out):
    client = MlflowClient()
    state = {'experiments': {}, 'runs': {}}
    for experiment in client.search_experiments(view_type=ViewType.ALL):
        state['experiments'][experiment.experiment_id] = {
            'name': experiment.name, 'lifecycle_stage': experiment.lifecycle_stage,
            'artifact_location': experiment.artifact_location, 'tags': experiment.tags}
        for run in client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL, max_results=50000):
            metrics = {key: sorted((m.step, m.timestamp, m.value) for m in client.get_metric_history(run.info.run_id, key))
                       for key in run.data.metrics}
            with tempfile.TemporaryDirectory() as scratch:
                local = client.download_artifacts(run.info.run_id, '', scratch)
                artifacts = {os.path.relpath(os.path.join(folder, name), local): digest(os.path.join(folder, name))
                             for folder, _dirs, names in os.walk(local) for name in names}
            state['runs'][run.info.run_id] = {
                'experiment_id': run.info.experiment_id, 'name': run.info.run_name, 'status': run.info.status,
                'lifecycle_stage': run.info.lifecycle_stage, 'start_time': run.info.start_time,
                'end_time': run.info.end_time, 'params': run.data.params, 'tags': run.data.tags,
                'metrics': metrics, 'artifacts': artifacts}
    with open(out, 'w', encoding='utf-8') as stream:
        json.dump(state, stream, sort_keys=True)
    return {'experiments': len(state['experiments']), 'runs': len(state['runs']),
            'metric_points': sum(len(h) for r in state['runs'].values() for h in r['metrics'].values()),
            'artifacts': sum(len(r['artifacts']) for r in state['runs'].values())}


def differences(expected, actual, path=''):
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            where = f'{path}/{key}'
            if key not in actual:
                found.append(f'{where}: missing after the restore')
            elif key not in expected:
                found.append(f'{where}: not in the data before the disaster')
            else:
                found += differences(expected[key], actual[key], where)
        return found
    return [] if expected == actual else [f'{path}: {json.dumps(expected)[:200]} became {json.dumps(actual)[:200]}']


def main():
    command = sys.argv[1]
    if command == 'write':
        print(json.dumps(write(sys.argv[2])))
    elif command == 'snapshot':
        print(json.dumps(snapshot(sys.argv[2])))
    elif command == 'compare':
        with open(sys.argv[2], encoding='utf-8') as one, open(sys.argv[3], encoding='utf-8') as two:
            found = differences(json.load(one), json.load(two))
        print(json.dumps({'differences': len(found), 'first': found[:50]}))
        return 1 if found else 0
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == '__main__':
    sys.exit(main())
