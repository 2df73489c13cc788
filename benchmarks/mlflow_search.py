#!/usr/bin/env python
"""How much the postgres role's MLflow tuning speeds up the queries of the tracking server.

Fills an empty PostgreSQL database with N runs (default 50,000; each with 3 params and 3
metrics over --steps steps) through MLflow's own SqlAlchemyStore: its schema, its ORM
models, its sessions. Then it times three calls of that store, on the same data in the
same run, twice: on the stock schema and after adding the indexes that the role adds
(roles/postgres/vars/main.yml, _postgres_mlflow_indexes; skipped where an index with the
same definition exists, as the role does):

  search_runs       the newest 100 runs of one experiment (the UI's experiment page)
  search_metric     runs of one experiment filtered by a metric value (metrics.accuracy > X)
  metric_history    get_metric_history of one run and metric

plus the SQL statements of the two searches alone ("runs SQL", "metric SQL"), which show the
database's share of a search; the rest is MLflow loading the runs' params, tags and metrics.

and prints p50/p95 in milliseconds and the stock/tuned ratios. ANALYZE runs before each
measurement so the planner sees the same statistics. Runs are written in bulk through the
store's models and session (one transaction per 2,000 runs) rather than run by run through
create_run/log_batch, which would take over ten minutes for 50,000 runs; the rows are the same.

Run it with the Python of an MLflow installation (for example the tracking server's venv) and
a database of its own that it may fill (it refuses a database that already holds runs):

    /opt/efficientai/mlflow/venv/bin/python benchmarks/mlflow_search.py \\
        --db-uri postgresql+psycopg2://mlflow:PASSWORD@127.0.0.1:5432/mlflow_bench [--runs 5000]

It prints figures; it asserts nothing."""

import argparse
import os
import random
import re
import statistics
import sys
import time
import uuid

import sqlalchemy as sa
import yaml
from mlflow.entities import ViewType
from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

ROLE_VARS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "roles", "postgres", "vars", "main.yml")
METRICS = ("loss", "accuracy", "f1")
BATCH = 2000
# pg_get_indexdef() without its "CREATE INDEX <name> ON public." prefix, as the role compares it
INDEX_DEFINITIONS = ("SELECT regexp_replace(pg_get_indexdef(indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON (public\\.)?', '') "
                     "FROM pg_index WHERE indisvalid")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--db-uri", required=True, help="SQLAlchemy URI of an empty PostgreSQL database")
    parser.add_argument("--runs", type=int, default=50_000, help="runs to create (default 50000)")
    parser.add_argument("--experiments", type=int, default=50, help="experiments the runs are spread over")
    parser.add_argument("--steps", type=int, default=10, help="steps logged per metric and run")
    parser.add_argument("--repeat", type=int, default=50, help="timed calls per query and schema")
    parser.add_argument("--indexes", default=ROLE_VARS, help="the role's vars file with _postgres_mlflow_indexes")
    parser.add_argument("--seed", type=int, default=20260)
    return parser.parse_args()


def populate(store, args, rng):
    experiment_ids = [store.create_experiment(f"bench-{index}") for index in range(args.experiments)]
    start = int(time.time() * 1000) - args.runs * 1000
    runs = []
    began = time.perf_counter()
    for first in range(0, args.runs, BATCH):
        rows = {SqlRun: [], SqlParam: [], SqlMetric: [], SqlLatestMetric: []}
        for number in range(first, min(first + BATCH, args.runs)):
            run_id, experiment_id = uuid.uuid4().hex, int(rng.choice(experiment_ids))
            started = start + number * 1000
            runs.append((run_id, str(experiment_id)))
            rows[SqlRun].append(dict(
                run_uuid=run_id, name=f"run-{number}", experiment_id=experiment_id, user_id="bench",
                status="FINISHED", start_time=started, end_time=started + 500, lifecycle_stage="active",
                source_type="LOCAL", source_name="", entry_point_name="", source_version="",
                artifact_uri=f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"))
            for key, value in (("alpha", rng.choice(["0.1", "0.5", "0.9"])), ("layers", str(rng.randint(1, 8))),
                               ("optimizer", rng.choice(["adam", "sgd"]))):
                rows[SqlParam].append(dict(run_uuid=run_id, key=key, value=value))
            for key in METRICS:
                final = rng.random()
                for step in range(args.steps):
                    value = final * (step + 1) / args.steps
                    rows[SqlMetric].append(dict(run_uuid=run_id, key=key, value=value, timestamp=started + step,
                                                step=step, is_nan=False))
                rows[SqlLatestMetric].append(dict(run_uuid=run_id, key=key, value=final, timestamp=started,
                                                  step=args.steps - 1, is_nan=False))
        with store.ManagedSessionMaker() as session:
            for model, values in rows.items():
                session.execute(sa.insert(model), values)
        print(f"\r  {min(first + BATCH, args.runs):>7} runs ({time.perf_counter() - began:5.0f} s)", end="", flush=True)
    print()
    return experiment_ids, runs


# The statements behind the UI's experiment page and a metric filter, without MLflow's ORM
# loading of params, tags and metrics of the runs found: the database's share of the time.
RUNS_SQL = sa.text("SELECT run_uuid FROM runs WHERE experiment_id = :e AND lifecycle_stage = 'active' "
                   "ORDER BY start_time DESC, run_uuid LIMIT 101")
METRIC_SQL = sa.text("SELECT r.run_uuid FROM runs r JOIN latest_metrics m ON m.run_uuid = r.run_uuid "
                     "AND m.key = 'accuracy' AND m.value > :x WHERE r.experiment_id = :e "
                     "AND r.lifecycle_stage = 'active' ORDER BY r.start_time DESC, r.run_uuid LIMIT 101")


def sql(engine, statement, **values):
    with engine.connect() as connection:
        connection.execute(statement, values).all()


def queries(store, experiment_ids, runs, rng, repeat):
    """The same random targets for both schemas: (name, callable) pairs."""
    experiments = [str(rng.choice(experiment_ids)) for index in range(repeat)]
    run_ids = [rng.choice(runs)[0] for index in range(repeat)]
    thresholds = [round(rng.uniform(0.80, 0.95), 3) for index in range(repeat)]
    return {
        "search_runs": [lambda e=e: store.search_runs([e], "", ViewType.ACTIVE_ONLY, max_results=100)
                        for e in experiments],
        "search_metric": [lambda e=e, x=x: store.search_runs([e], f"metrics.accuracy > {x}", ViewType.ACTIVE_ONLY,
                                                             max_results=100)
                          for e, x in zip(experiments, thresholds)],
        "metric_history": [lambda r=r: store.get_metric_history(r, "loss") for r in run_ids],
        "  runs SQL": [lambda e=e: sql(store.engine, RUNS_SQL, e=int(e)) for e in experiments],
        "  metric SQL": [lambda e=e, x=x: sql(store.engine, METRIC_SQL, e=int(e), x=x)
                         for e, x in zip(experiments, thresholds)],
    }


def measure(calls):
    for call in calls[:3]:  # warm the caches and the connection pool
        call()
    timings = []
    for call in calls:
        began = time.perf_counter()
        call()
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]


def tuned_indexes(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["_postgres_mlflow_indexes"]


def apply_indexes(engine, indexes):
    with engine.connect() as connection:
        existing = set(connection.execute(sa.text(INDEX_DEFINITIONS)).scalars())
    added = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for index in indexes:
            if index["definition"] in existing:
                print(f"  {index['name']}: the stock schema has it already ({index['definition']})")
                continue
            if not re.match(r"^[a-z_]+$", index["name"]):
                sys.exit(f"unexpected index name {index['name']!r}")
            began = time.perf_counter()
            connection.execute(sa.text(f"CREATE INDEX CONCURRENTLY {index['name']} ON public.{index['definition']}"))
            print(f"  {index['name']}: built in {time.perf_counter() - began:.1f} s")
            added.append(index["name"])
    return added


def analyze(engine):
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("ANALYZE"))


def main():
    args = parse_args()
    if not args.db_uri.startswith("postgresql"):
        sys.exit("--db-uri must be a PostgreSQL URI (postgresql+psycopg2://...)")
    rng = random.Random(args.seed)
    store = SqlAlchemyStore(args.db_uri, "mlflow-artifacts:/")
    engine = store.engine
    with engine.connect() as connection:
        if connection.execute(sa.text("SELECT count(*) FROM runs")).scalar():
            sys.exit("the database already holds runs: give the benchmark an empty database of its own")
        if connection.execute(sa.text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'efficientai_%'")).scalar():
            sys.exit("the database has the tuned indexes already: give the benchmark an empty database of its own")

    print(f"Populating {args.runs} runs in {args.experiments} experiments "
          f"({len(METRICS)} metrics x {args.steps} steps, 3 params each)")
    experiment_ids, runs = populate(store, args, rng)
    calls = queries(store, experiment_ids, runs, rng, args.repeat)

    analyze(engine)
    stock = {name: measure(batch) for name, batch in calls.items()}
    print("Adding the role's indexes")
    apply_indexes(engine, tuned_indexes(args.indexes))
    analyze(engine)
    tuned = {name: measure(batch) for name, batch in calls.items()}

    print(f"\n{args.runs} runs, {args.repeat} calls per query (ms)")
    print(f"{'query':<16}{'stock p50':>10}{'p95':>9}{'tuned p50':>11}{'p95':>9}{'ratio p50':>11}{'p95':>8}")
    for name in calls:
        (s50, s95), (t50, t95) = stock[name], tuned[name]
        print(f"{name:<16}{s50:>10.2f}{s95:>9.2f}{t50:>11.2f}{t95:>9.2f}{s50 / t50:>10.1f}x{s95 / t95:>7.1f}x")


if __name__ == "__main__":
    main()
