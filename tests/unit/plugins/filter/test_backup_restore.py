"""restore_replaces: which services a restore must stop first."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.efficientai.mlops.plugins.filter.backup_restore import restore_replaces

AIRFLOW = ['postgres-airflow']


def test_a_restore_of_the_set_replaces_airflow_database():
    plans = [{'sources': [], 'postgres_cluster': False},
             {'sources': ['postgres-mlflow', 'postgres-airflow'], 'postgres_cluster': False}]
    assert restore_replaces(plans, AIRFLOW) is True


def test_a_restore_of_mlflow_sources_only_leaves_airflow_running():
    plans = [{'sources': ['postgres-mlflow', 'postgres-mlflow_auth'], 'postgres_cluster': False}]
    assert restore_replaces(plans, AIRFLOW) is False


def test_a_point_in_time_recovery_rewinds_every_database_of_the_cluster():
    assert restore_replaces([{'sources': [], 'postgres_cluster': True}], AIRFLOW) is True


def test_a_service_without_backed_up_data_is_never_replaced():
    assert restore_replaces([{'sources': ['postgres-airflow'], 'postgres_cluster': True}], []) is False


def test_no_restore_host_replaces_nothing():
    assert restore_replaces([], AIRFLOW) is False


@pytest.mark.parametrize('plans, sources', [('db-1', AIRFLOW), ([['postgres-airflow']], AIRFLOW), ([], 'postgres-airflow')])
def test_wrong_input_is_refused(plans, sources):
    with pytest.raises(AnsibleFilterError, match='restore_replaces: expected'):
        restore_replaces(plans, sources)
