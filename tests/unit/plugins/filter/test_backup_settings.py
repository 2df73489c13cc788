"""Unit tests of the backup_settings_problems filter: the backup role's preflight in one call."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.backup_settings import backup_settings_problems

AGE_KEY = 'age1' + 'qz7x2k9' * 8 + 'qz'
# The db host of inventories/production, as the preflight task passes it.
PRODUCTION = {
    'backup_root': '/var/backups/efficientai', 'backup_compression': 'auto', 'backup_zstd_level': 3,
    'backup_min_free_mb': 512, 'backup_postgres_databases': ['mlflow', 'mlflow_auth', 'airflow'],
    'backup_dvc_workspaces': [], 'backup_config_dirs': ['/etc/efficientai'], 'backup_extra_dirs': [],
    'backup_pitr_archive_timeout': 60, 'backup_set_names': ['postgres-mlflow', 'postgres-airflow', 'etc-efficientai'],
    'backup_schedule': {'daily': {'hour': 2, 'minute': 0}, 'weekly': {'weekday': 'Sun', 'hour': 3, 'minute': 0},
                        'monthly': {'day': 1, 'hour': 4, 'minute': 0}},
    'backup_keep': {'daily': 7, 'weekly': 4, 'monthly': 12, 'manual': 5}, 'backup_keep_safety': 2,
    'backup_s3_bucket': 'efficientai-backups', 'backup_s3_endpoint_url': 'https://s3.example.internal',
    'backup_s3_keys_paired': True, 'backup_encryption': 'age', 'backup_encryption_recipients': [AGE_KEY],
}
GPG_KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\nmDMEZ...\n-----END PGP PUBLIC KEY BLOCK-----'


def test_the_age_key_of_the_test_data_is_one():
    assert len(AGE_KEY) == 62


@pytest.mark.parametrize('changes', [
    {}, {'backup_s3_bucket': '', 'backup_s3_endpoint_url': '', 'backup_encryption': 'none', 'backup_encryption_recipients': []},
    {'backup_encryption': 'gpg', 'backup_encryption_recipients': [GPG_KEY]},
    {'backup_schedule': {'daily': {'hour': 23}}, 'backup_keep': {'manual': 0}},
], ids=['production', 'local only', 'gpg', 'one schedule'])
def test_valid_settings_have_no_problems(changes):
    assert backup_settings_problems(dict(PRODUCTION, **changes)) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'backup_root': 'backups'}, 'backup_root', "absolute path (got 'backups')"),
    ({'backup_compression': 'xz'}, 'backup_compression', "auto, zstd or gzip (got 'xz')"),
    ({'backup_zstd_level': 22}, 'backup_zstd_level', '1-19 (got 22)'),
    ({'backup_min_free_mb': -1}, 'backup_min_free_mb', '0 or more (got -1)'),
    ({'backup_pitr_archive_timeout': 5}, 'backup_pitr_archive_timeout', 'at least 10 seconds (got 5)'),
    ({'backup_postgres_databases': ['MLflow']}, 'backup_postgres_databases', "database names (got ['MLflow'])"),
    ({'backup_postgres_databases': 'mlflow'}, 'backup_postgres_databases', "(got 'mlflow')"),
    ({'backup_extra_dirs': '/srv/data'}, 'backup_extra_dirs', "a list of absolute paths (got '/srv/data')"),
    ({'backup_config_dirs': ['/etc/efficientai', 'etc']}, 'backup_config_dirs', "absolute paths only (got ['etc'])"),
    ({'backup_set_names': ['dir-srv-a', 'dir-srv-a', 'etc']}, 'backup_extra_dirs,', 'the same set file (dir-srv-a)'),
    ({'backup_schedule': 'daily'}, 'backup_schedule', "must map daily, weekly and monthly"),
    ({'backup_schedule': {'hourly': {'hour': 1}}}, 'backup_schedule', "(got {'hourly'"),
    ({'backup_schedule': {'daily': {'minute': 5}}}, 'backup_schedule.daily:', 'hour must be 0-23 (got None)'),
    ({'backup_schedule': {'daily': {'hour': 24}}}, 'backup_schedule.daily:', 'hour must be 0-23 (got 24)'),
    ({'backup_schedule': {'daily': {'hour': 2, 'minute': 60}}}, 'backup_schedule.daily:', 'minute must be 0-59 (got 60)'),
    ({'backup_schedule': {'weekly': {'hour': 2, 'weekday': 'Sunday'}}}, 'backup_schedule.weekly:', "(got 'Sunday')"),
    ({'backup_schedule': {'monthly': {'hour': 2, 'day': 31}}}, 'backup_schedule.monthly:', 'day must be 1-28'),
    ({'backup_keep': {'daily': -1}}, 'backup_keep', "0 or more sets of each kind (got {'daily': -1})"),
    ({'backup_keep': {'yearly': 1}}, 'backup_keep', 'must map daily, weekly, monthly and manual'),
    ({'backup_keep_safety': 0}, 'backup_keep_safety', 'at least 1'),
    ({'backup_s3_bucket': 'Backups_2026'}, 'backup_s3_bucket', "an S3 bucket name (got 'Backups_2026')"),
    ({'backup_s3_endpoint_url': 's3.example.internal'}, 'backup_s3_endpoint_url', "(got 's3.example.internal')"),
    ({'backup_s3_keys_paired': False}, 'backup_s3_secret_access_key', 'give both'),
    ({'backup_encryption': 'aes'}, 'backup_encryption', "none, age or gpg (got 'aes')"),
    ({'backup_encryption_recipients': AGE_KEY}, 'backup_encryption_recipients', 'a list of public keys'),
    ({'backup_encryption_recipients': []}, 'backup_encryption_recipients', 'at least one public key with backup_encryption=age'),
    ({'backup_encryption_recipients': ['AGE-SECRET-KEY-1ABC']}, 'backup_encryption_recipients', 'never private ones'),
    ({'backup_encryption': 'gpg'}, 'backup_encryption_recipients', 'ASCII-armored gpg public keys'),
    ({'backup_encryption': 'none', 'backup_encryption_recipients': []}, 'backup_encryption',
     "is 'none' while backup_s3_bucket is 'efficientai-backups'"),
])
def test_each_problem_names_its_variable(changes, variable, message):
    problems = backup_settings_problems(dict(PRODUCTION, **changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ' ') and message in problems[0], problems[0]


def test_a_missing_setting_is_the_callers_error():
    with pytest.raises(AnsibleFilterError, match='settings lack backup_root'):
        backup_settings_problems({key: value for key, value in PRODUCTION.items() if key != 'backup_root'})
