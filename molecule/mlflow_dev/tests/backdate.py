"""Ages experiments and their runs in the tracking database (MLFLOW_BACKEND_STORE_URI),
so that clean-ups have something old to find. Usage: backdate.py DAYS EXPERIMENT..."""

import os
import sys
import time

import sqlalchemy as sa

then = int(time.time() * 1000) - int(sys.argv[1]) * 86400 * 1000
with sa.create_engine(os.environ["MLFLOW_BACKEND_STORE_URI"]).begin() as db:
    for name in sys.argv[2:]:
        experiment_id = db.execute(sa.text("SELECT experiment_id FROM experiments WHERE name = :name"),
                                   {"name": name}).scalar_one()
        db.execute(sa.text("UPDATE experiments SET creation_time = :then, last_update_time = :then "
                           "WHERE experiment_id = :id"), {"then": then, "id": experiment_id})
        db.execute(sa.text("UPDATE runs SET start_time = :then, end_time = :then WHERE experiment_id = :id"),
                   {"then": then, "id": experiment_id})
