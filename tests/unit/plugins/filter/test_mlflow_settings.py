"""Unit tests of the mlflow_settings_problems filter: the mlflow role's preflight in one call."""

import hashlib

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.mlflow_settings import mlflow_settings_problems

# The production tracking host of inventories/production, as the preflight task passes it.
PRODUCTION = {
    'mlflow_version': '3.17.2', 'mlflow_port': 5000, 'mlflow_workers': 2, 'mlflow_replicas': 1,
    'mlflow_ready_timeout': 120, 'mlflow_uvicorn_opts': '', 'mlflow_gunicorn_opts': '',
    'mlflow_data_dir': '/var/lib/efficientai/mlflow', 'mlflow_prometheus_dir': '/var/lib/efficientai/mlflow/metrics',
    'mlflow_allowed_hosts': ['mlflow.example.internal'], 'mlflow_cors_allowed_origins': [], 'mlflow_extra_packages': [],
    'mlflow_host': '10.0.0.21', 'mlflow_auth_enabled': True, 'mlflow_auth_cache_seconds': 60,
    'mlflow_backend': 'postgresql',
    'mlflow_db_name': 'mlflow', 'mlflow_auth_db_name': 'mlflow_auth', 'mlflow_db_options': {}, 'mlflow_db_tls': True,
    'mlflow_db_host': '10.0.0.10', 'mlflow_db_loopback': False, 'mlflow_db_tls_ca_dir': '/root/.efficientai/pki',
    'mlflow_artifacts_destination': '', 'mlflow_artifacts_store': '/var/lib/efficientai/mlflow/artifacts',
    'mlflow_s3_endpoint_url': '', 'mlflow_s3_keys_paired': True, 'mlflow_artifacts_server': True,
    'mlflow_artifacts_server_port': 5500, 'mlflow_artifacts_url': 'https://10.0.0.21:5500',
    'mlflow_tracking_group': 'tracking', 'mlflow_tracking_hosts': 2, 'mlflow_admin_username': 'admin',
    'mlflow_admin_password': 'Vq8-tukm-Rz3w-Lp2x', 'mlflow_admin_previous_password': '',
    'mlflow_flask_secret_key': 'Yh4cN9sQ2mV7bX1kT6rW3pZ8dF5gJ0aL', 'mlflow_db_password': 'Nw7-pqbz-Kc4t-Hs9m',
    'mlflow_auth_db_password': 'Kc4t-Hs9m-Nw7p-qbzR', 'mlflow_tls': True, 'mlflow_tls_certificate': False,
    'mlflow_tls_key': False, 'mlflow_tls_ca': False, 'mlflow_tls_extra_names': [],
    'mlflow_tls_ca_dir': '/root/.efficientai/pki', 'user_uid': 0,
}
# The development stack: one loopback server on SQLite, artifacts on its disk.
DEVELOPMENT = dict(PRODUCTION, mlflow_host='127.0.0.1', mlflow_backend='sqlite', mlflow_artifacts_server=False,
                   mlflow_artifacts_url='', mlflow_tracking_hosts=0, mlflow_tls=False, mlflow_db_host='127.0.0.1',
                   mlflow_db_loopback=True)


@pytest.mark.parametrize('settings', [PRODUCTION, DEVELOPMENT,
                                      dict(DEVELOPMENT, mlflow_auth_enabled=False),
                                      dict(PRODUCTION, mlflow_artifacts_url='', mlflow_artifacts_server=False,
                                           mlflow_artifacts_store='s3://mlflow-artifacts/prod'),
                                      dict(PRODUCTION, mlflow_replicas=3, mlflow_artifacts_server_port=5003),
                                      dict(PRODUCTION, mlflow_db_tls=False, mlflow_db_options={'sslmode': 'verify-full'}),
                                      dict(PRODUCTION, mlflow_tls_certificate=True, mlflow_tls_key=True, mlflow_tls_ca=True),
                                      dict(PRODUCTION, mlflow_auth_cache_seconds=0)],
                         ids=['production', 'development', 'loopback without login', 's3', 'replicas',
                              'own sslmode', 'given certificate', 'no login cache'])
def test_valid_settings_have_no_problems(settings):
    assert mlflow_settings_problems(settings) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'mlflow_version': 'latest'}, 'mlflow_version', "a release such as 3.17.2 (got 'latest')"),
    ({'mlflow_port': 70000}, 'mlflow_port', '1-65535 (got 70000)'),
    ({'mlflow_port': 'http'}, 'mlflow_port', "(got 'http')"),
    ({'mlflow_replicas': 0}, 'mlflow_replicas', '1 or more (got 0)'),
    ({'mlflow_port': 65535, 'mlflow_replicas': 2}, 'mlflow_replicas', 'below 65536 (got 2 from port 65535)'),
    ({'mlflow_backend': 'sqlite', 'mlflow_replicas': 2}, 'mlflow_replicas', 'set mlflow_backend: postgresql'),
    ({'mlflow_workers': 0}, 'mlflow_workers', '1 or more (got 0)'),
    ({'mlflow_auth_cache_seconds': -1}, 'mlflow_auth_cache_seconds', '0 or more (got -1)'),
    ({'mlflow_auth_cache_seconds': '1m'}, 'mlflow_auth_cache_seconds', "0 or more (got '1m')"),
    ({'mlflow_ready_timeout': -5}, 'mlflow_ready_timeout', 'above 0 (got -5)'),
    ({'mlflow_uvicorn_opts': '--limit-concurrency 8', 'mlflow_gunicorn_opts': '--timeout 60'}, 'mlflow_gunicorn_opts',
     "empty when mlflow_uvicorn_opts is set (got '--timeout 60')"),
    ({'mlflow_data_dir': 'srv/mlflow'}, 'mlflow_data_dir', "absolute path (got 'srv/mlflow')"),
    ({'mlflow_prometheus_dir': 'metrics'}, 'mlflow_prometheus_dir', "(got 'metrics')"),
    ({'mlflow_allowed_hosts': 'mlflow.example.internal'}, 'mlflow_allowed_hosts', 'must be a list'),
    ({'mlflow_cors_allowed_origins': 'https://a'}, 'mlflow_cors_allowed_origins', 'must be a list'),
    ({'mlflow_extra_packages': 'boto3'}, 'mlflow_extra_packages', 'must be a list'),
    ({'mlflow_auth_enabled': False}, 'mlflow_auth_enabled', 'while mlflow_host is 10.0.0.21'),
    ({'mlflow_db_options': 'sslmode=disable'}, 'mlflow_db_options', 'must be a dict'),
    ({'mlflow_auth_db_name': 'mlflow'}, 'mlflow_auth_db_name', "must differ from mlflow_db_name (both 'mlflow')"),
    ({'mlflow_db_options': {'sslmode': 'disable'}}, 'mlflow_db_options', 'leave sslmode and sslrootcert out'),
    ({'mlflow_db_tls': False}, 'mlflow_db_tls', 'password in clear text to 10.0.0.10'),
    ({'mlflow_db_tls_ca_dir': 'pki'}, 'mlflow_db_tls_ca_dir', "absolute path (got 'pki')"),
    ({'mlflow_artifacts_destination': 'relative/dir', 'mlflow_artifacts_store': 'relative/dir'},
     'mlflow_artifacts_destination', "absolute directory or s3://bucket[/prefix] (got 'relative/dir')"),
    ({'mlflow_artifacts_store': 's3://A_bucket', 'mlflow_artifacts_url': ''}, 'mlflow_artifacts_destination',
     "a valid bucket, s3://bucket[/prefix] (got 's3://A_bucket')"),
    ({'mlflow_artifacts_store': 's3://bucket', 'mlflow_s3_keys_paired': False}, 'mlflow_s3_secret_access_key',
     'give both'),
    ({'mlflow_s3_endpoint_url': 'minio:9000'}, 'mlflow_s3_endpoint_url', "http(s) URL (got 'minio:9000')"),
    ({'mlflow_artifacts_server_port': 5000}, 'mlflow_artifacts_server_port',
     "outside the replicas' ports 5000-5000 (got 5000)"),
    ({'mlflow_artifacts_server_port': 0}, 'mlflow_artifacts_server_port', '1-65535'),
    ({'mlflow_artifacts_url': 'http://10.0.0.21:5500'}, 'mlflow_artifacts_url', 'plain http only to a loopback host'),
    ({'mlflow_artifacts_url': 'https://10.0.0.21:5500/api'}, 'mlflow_artifacts_url', "got 'https://10.0.0.21:5500/api'"),
    ({'mlflow_tls': False, 'mlflow_artifacts_server': False}, 'mlflow_artifacts_url', 'https needs mlflow_tls'),
    ({'mlflow_artifacts_url': '', 'mlflow_artifacts_server': False}, 'mlflow_artifacts_destination',
     "is '/var/lib/efficientai/mlflow/artifacts' on this host's own disk, but the 2 hosts of group tracking"),
    ({'mlflow_admin_previous_password': 'Vq8-tukm-Rz3w-Lp2x'}, 'mlflow_admin_previous_password',
     'must differ from mlflow_admin_password'),
    ({'mlflow_admin_password': 'Password1234!'}, 'mlflow_admin_password', 'needs at least 12 characters'),
    ({'mlflow_flask_secret_key': 'short'}, 'mlflow_flask_secret_key', 'needs at least 32 characters'),
    ({'mlflow_db_password': 'changeme-2024'}, 'mlflow_db_password', 'needs at least 12 characters'),
    ({'mlflow_auth_db_password': ''}, 'mlflow_auth_db_password', 'needs at least 12 characters'),
    ({'mlflow_admin_username': 'ad min'}, 'mlflow_admin_username', "(got 'ad min')"),
    ({'mlflow_tls_certificate': True}, 'mlflow_tls_key', 'is empty while mlflow_tls_certificate is set'),
    ({'mlflow_tls_key': True}, 'mlflow_tls_certificate', 'is empty while mlflow_tls_key is set'),
    ({'mlflow_tls_certificate': True, 'mlflow_tls_key': True}, 'mlflow_tls_ca', 'the CA that signed the certificate'),
    ({'mlflow_tls_extra_names': 'mlflow.backend.internal'}, 'mlflow_tls_extra_names', 'must be a list'),
    ({'mlflow_tls_ca_dir': '~/pki'}, 'mlflow_tls_ca_dir', "absolute path (got '~/pki')"),
    ({'user_uid': 1000}, 'mlflow_tls', 'user id 1000'),
])
def test_each_problem_names_its_variable_and_value(changes, variable, message):
    problems = mlflow_settings_problems(dict(PRODUCTION, **changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ' ') and message in problems[0], problems[0]


def test_no_message_shows_a_secret():
    weak = {'mlflow_admin_password': 'Password1234!', 'mlflow_flask_secret_key': 'short', 'mlflow_db_password': 'changeme-2024'}
    problems = mlflow_settings_problems(dict(PRODUCTION, **weak))
    assert [problem.split(' ', 1)[0] for problem in problems] == list(weak)
    assert not [problem for problem in problems for secret in weak.values() if secret in problem]


def test_example_secrets_pass_only_when_the_inventory_opts_in(monkeypatch):
    from ansible_collections.efficientai.mlops.plugins.test import strong_password
    example = PRODUCTION['mlflow_db_password']
    monkeypatch.setattr(strong_password, 'EXAMPLE_SECRETS', {hashlib.sha256(example.encode()).hexdigest()})
    problems = mlflow_settings_problems(PRODUCTION)
    assert len(problems) == 1 and problems[0].startswith('mlflow_db_password is a value of the example vault'), problems
    assert mlflow_settings_problems(PRODUCTION, allow_example_secrets=True) == []


def test_every_problem_is_reported_at_once():
    problems = mlflow_settings_problems(dict(PRODUCTION, mlflow_port=0, mlflow_workers=0, mlflow_data_dir='data'))
    assert [problem.split(' ', 1)[0] for problem in problems] == ['mlflow_port', 'mlflow_workers', 'mlflow_data_dir']


def test_settings_of_a_role_that_is_off_are_not_checked():
    """Without auth, TLS or PostgreSQL, their settings and secrets cannot be wrong."""
    assert mlflow_settings_problems(dict(DEVELOPMENT, mlflow_auth_enabled=False, mlflow_admin_username='ad min',
                                         mlflow_tls_ca_dir='pki', mlflow_auth_db_name='mlflow', mlflow_admin_password='',
                                         mlflow_flask_secret_key='', mlflow_db_password='',
                                         mlflow_db_tls=False, mlflow_db_host='10.0.0.10')) == []


def test_a_missing_setting_is_the_callers_error():
    with pytest.raises(AnsibleFilterError, match='settings lack mlflow_port'):
        mlflow_settings_problems({key: value for key, value in PRODUCTION.items() if key != 'mlflow_port'})
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        mlflow_settings_problems(['mlflow_port'])
