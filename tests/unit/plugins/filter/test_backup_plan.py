"""Unit tests of the backup_plan filters: backup_schedule as systemd timers and cron read it, and
the sources of a set as the runner reads them from backup.json."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.backup_plan import backup_calendar, backup_cron, backup_sources

# The role's default schedule.
SCHEDULE = {'daily': {'hour': 2, 'minute': 0}, 'weekly': {'weekday': 'Sun', 'hour': 3, 'minute': 30},
            'monthly': {'day': 1, 'hour': 4}}
TABLES = ['experiments', 'runs', 'metrics', 'params', 'tags', 'users']
# A production db host: PostgreSQL with point-in-time recovery, no MLflow data of its own.
DB_HOST = {'mlflow': None, 'postgres': {'databases': ['mlflow', 'mlflow_auth', 'airflow'], 'port': '5432', 'pitr': True},
           'dirs': ['/etc/efficientai'], 'dvc_workspaces': [], 'tables': TABLES}
# The development stack: MLflow on SQLite with its artifacts, one DVC workspace.
DEVELOPMENT = {'mlflow': {'backend': 'sqlite', 'data_dir': '/home/ana/.workspace/mlflow', 'auth_enabled': True,
                          'artifacts_path': '/home/ana/.workspace/mlflow/artifacts'},
               'postgres': None, 'dirs': ['/home/ana/.workspace/etc', '/srv/extra data/'],
               'dvc_workspaces': ['/home/ana/projects/example/'], 'tables': TABLES}


def test_the_schedule_as_systemd_calendar_expressions():
    assert backup_calendar(SCHEDULE) == {'daily': '*-*-* 02:00:00', 'weekly': 'Sun *-*-* 03:30:00',
                                         'monthly': '*-*-01 04:00:00'}


def test_the_schedule_as_cron_times():
    assert backup_cron(SCHEDULE) == {'daily': '0 2 * * *', 'weekly': '30 3 * * sun', 'monthly': '0 4 1 * *'}


@pytest.mark.parametrize('schedule', [None, {'daily': {'minute': 5}}, {'daily': '02:00'}], ids=['none', 'no hour', 'string'])
def test_a_schedule_that_was_not_checked_is_the_callers_error(schedule):
    for plan in (backup_calendar, backup_cron):
        with pytest.raises(AnsibleFilterError, match='expects backup_schedule'):
            plan(schedule)


def test_a_db_host_backs_up_each_database_and_the_cluster():
    assert backup_sources(DB_HOST) == [
        {'name': 'postgres-mlflow', 'type': 'postgres', 'database': 'mlflow', 'port': 5432, 'tables': TABLES},
        {'name': 'postgres-mlflow_auth', 'type': 'postgres', 'database': 'mlflow_auth', 'port': 5432, 'tables': TABLES},
        {'name': 'postgres-airflow', 'type': 'postgres', 'database': 'airflow', 'port': 5432, 'tables': TABLES},
        {'name': 'postgres-cluster', 'type': 'postgres_base', 'port': 5432},
        {'name': 'files-etc-efficientai', 'type': 'files', 'path': '/etc/efficientai'}]


def test_without_point_in_time_recovery_there_is_no_base_backup():
    sources = backup_sources(dict(DB_HOST, postgres=dict(DB_HOST['postgres'], pitr=False)))
    assert [source['type'] for source in sources] == ['postgres', 'postgres', 'postgres', 'files']


def test_mlflow_on_sqlite_backs_up_both_databases_its_artifacts_and_the_workspaces_metadata():
    assert backup_sources(DEVELOPMENT) == [
        {'name': 'mlflow-db', 'type': 'sqlite', 'path': '/home/ana/.workspace/mlflow/mlflow.db', 'tables': TABLES},
        {'name': 'mlflow-auth-db', 'type': 'sqlite', 'path': '/home/ana/.workspace/mlflow/auth.db', 'tables': TABLES},
        {'name': 'mlflow-artifacts', 'type': 'files', 'path': '/home/ana/.workspace/mlflow/artifacts'},
        {'name': 'files-home-ana-workspace-etc', 'type': 'files', 'path': '/home/ana/.workspace/etc'},
        {'name': 'files-srv-extra-data', 'type': 'files', 'path': '/srv/extra data/'},
        {'name': 'dvc-home-ana-projects-example', 'type': 'files', 'path': '/home/ana/projects/example/.dvc',
         'exclude': ['cache', 'tmp']}]


@pytest.mark.parametrize('mlflow, names', [
    ({'backend': 'sqlite', 'data_dir': '/srv/mlflow', 'auth_enabled': False, 'artifacts_path': ''}, ['mlflow-db']),
    # On PostgreSQL the databases are the db host's; a tracking host keeps the artifacts at most.
    ({'backend': 'postgresql', 'data_dir': '/srv/mlflow', 'auth_enabled': True, 'artifacts_path': '/srv/mlflow/artifacts'},
     ['mlflow-artifacts']),
    ({'backend': 'postgresql', 'data_dir': '/srv/mlflow', 'auth_enabled': True, 'artifacts_path': ''}, []),
], ids=['sqlite without login', 'tracking host with the artifacts', 'artifacts elsewhere'])
def test_mlflow_sources_follow_where_its_data_lives(mlflow, names):
    sources = backup_sources(dict(DEVELOPMENT, mlflow=mlflow, dirs=[], dvc_workspaces=[]))
    assert [source['name'] for source in sources] == names


def test_a_missing_setting_is_the_callers_error():
    settings = dict(DB_HOST)
    del settings['tables']
    with pytest.raises(AnsibleFilterError, match='lack tables'):
        backup_sources(settings)
