"""The metadata database of airflow_prod on its own host: the DAG runs of
test_airflow_prod.py and their Celery task results are in PostgreSQL, reached
over TLS."""

testinfra_hosts = ["ansible://airflow-prod-db"]


def test_metadata_and_task_results_are_in_postgresql(host):
    query = "select (select count(*) from dag_run where dag_id = 'efficientai_smoke'), (select count(*) from celery_taskmeta)"
    counts = host.check_output(f"runuser -u postgres -- psql -p 18432 -d airflow -tAc \"{query}\"")
    runs, results = (int(n) for n in counts.split("|"))
    assert runs >= 1 and results >= 1, counts


def test_every_airflow_connection_is_encrypted(host):
    query = ("select count(*) filter (where s.ssl), count(*) from pg_stat_activity a join pg_stat_ssl s using (pid)"
             " where a.usename = 'airflow'")
    encrypted, total = (int(n) for n in host.check_output(f"runuser -u postgres -- psql -p 18432 -tAc \"{query}\"").split("|"))
    assert total > 0 and encrypted == total, (encrypted, total)
