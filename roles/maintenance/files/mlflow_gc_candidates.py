"""What `mlflow gc --older-than DAYSd` would purge, found with the queries of MLflow's own gc
(MLflow 3): deleted experiments last updated before the threshold with all their deleted runs,
deleted runs deleted before it, and deleted logged models. Needs the tracking server's
environment (MLFLOW_BACKEND_STORE_URI). Usage: python -c SOURCE DAYS. Prints JSON."""

import json
import os
import sys

from mlflow.entities import ViewType
from mlflow.tracking import _get_store
from mlflow.utils.time import get_current_time_millis


def every(fetch):
    """All items of a paged store query."""
    token = None
    while True:
        page = fetch(token)
        yield from page
        token = page.token
        if not token:
            return


def candidates(store, days):
    older_than = int(days * 86400 * 1000)
    threshold = get_current_time_millis() - older_than
    experiments = list(every(lambda token: store.search_experiments(
        view_type=ViewType.DELETED_ONLY, filter_string=f"last_update_time < {threshold}", page_token=token)))
    run_ids = set(store._get_deleted_runs(older_than=older_than))  # pylint: disable=protected-access
    if experiments:
        run_ids.update(run.info.run_id for run in every(lambda token: store.search_runs(
            experiment_ids=[e.experiment_id for e in experiments], filter_string="",
            run_view_type=ViewType.DELETED_ONLY, page_token=token)))
    runs = [store.get_run(run_id).info for run_id in sorted(run_ids)]
    models = store._get_deleted_logged_models(older_than=older_than)  # pylint: disable=protected-access
    return {"experiments": [{"experiment_id": e.experiment_id, "name": e.name} for e in experiments],
            "runs": [{"run_id": r.run_id, "experiment_id": r.experiment_id, "run_name": r.run_name} for r in runs],
            "logged_models": sorted(models)}


if __name__ == "__main__":
    print(json.dumps(candidates(_get_store(os.environ["MLFLOW_BACKEND_STORE_URI"]), float(sys.argv[1]))))
