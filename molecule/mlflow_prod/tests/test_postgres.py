"""PostgreSQL as the tracking server's store: only SCRAM logins, the data of the tracking
server inside it, the MLflow indexes added after MLflow made its schema, and the VACUUM timer."""

import os

import pytest
import testinfra

testinfra_hosts = ["ansible://db"]

PSQL = "runuser -u postgres -- psql --port 15432 --no-psqlrc --tuples-only --no-align"


@pytest.fixture
def sql(host):
    def query(statement, database="postgres"):
        return host.check_output(f'{PSQL} --dbname {database} --command "{statement}"')
    return query


@pytest.fixture
def tracking_host():
    return testinfra.get_host("ansible://mlflow-prod-tracking", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def test_cluster_runs_on_its_port_with_checksums(host, sql):
    assert host.service("postgresql@15-main").is_running
    assert host.service("postgresql@15-main").is_enabled
    assert host.socket("tcp://127.0.0.1:15432").is_listening
    assert sql("SHOW data_checksums") == "on"
    assert sql("SHOW password_encryption") == "scram-sha-256"
    # pg_tune for 1024 MB: a quarter as shared_buffers
    assert sql("SHOW shared_buffers") == "256MB"


def test_only_scram_and_local_peer(sql):
    methods = sql("SELECT DISTINCT auth_method FROM pg_hba_file_rules ORDER BY 1").splitlines()
    assert methods == ["peer", "scram-sha-256"]
    assert sql("SELECT rolname FROM pg_authid WHERE rolpassword IS NOT NULL AND rolpassword NOT LIKE 'SCRAM-SHA-256$%'") == ""


def test_wrong_password_is_refused(host):
    refused = host.run("PGPASSWORD=not-the-password psql -h 127.0.0.1 -p 15432 -U mlflow -d mlflow -c 'SELECT 1'")
    assert refused.rc != 0 and "password authentication failed" in refused.stderr


def test_databases_are_closed_to_other_roles(host):
    variables = host.ansible.get_variables()
    other = host.run(f"PGPASSWORD='{variables['test_auth_db_password']}' "
                     "psql -h 127.0.0.1 -p 15432 -U mlflow_auth -d mlflow -c 'SELECT 1'")
    assert other.rc != 0 and "permission denied" in other.stderr


def test_tracking_data_is_in_postgresql(sql):
    assert int(sql("SELECT count(*) FROM runs", "mlflow")) > 0
    assert int(sql("SELECT count(*) FROM users", "mlflow_auth")) >= 1
    # The auth schema has its own database: no auth tables in the tracking one.
    assert sql("SELECT to_regclass('public.users')", "mlflow") == ""


def test_mlflow_indexes_exist(sql):
    definitions = sql("SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename IN "
                      "('runs', 'latest_metrics', 'metrics')", "mlflow")
    assert "efficientai_runs_experiment_id_start_time" in definitions
    assert "(experiment_id, start_time DESC, run_uuid)" in definitions
    assert "efficientai_latest_metrics_key_value" in definitions
    # MLflow 3.17 makes the metric history index itself: the role must not add a copy.
    assert "index_metrics_run_uuid_key_step" in definitions
    assert "efficientai_metrics_run_uuid_key_step" not in definitions
    assert sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid", "mlflow") == "0"


def test_vacuum_analyze_is_scheduled_and_works(host, sql):
    assert host.service("efficientai-mlflow-vacuum.timer").is_enabled
    assert host.service("efficientai-mlflow-vacuum.timer").is_running
    host.run_test("systemctl start efficientai-mlflow-vacuum.service")
    result = host.check_output("systemctl show efficientai-mlflow-vacuum.service --property=Result --value")
    assert result == "success", host.run("journalctl -u efficientai-mlflow-vacuum -n 20 --no-pager").stdout
    assert sql("SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables "
               "WHERE relname = 'runs'", "mlflow") == "t"


def test_database_password_stays_off_the_tracking_host_command_lines(host, tracking_host):
    password = host.ansible.get_variables()["test_tracking_db_password"]
    assert password not in tracking_host.check_output("ps -eo args")
    assert password not in tracking_host.file("/etc/systemd/system/mlflow.service").content_string
    assert password in tracking_host.file("/etc/efficientai/mlflow.env").content_string
