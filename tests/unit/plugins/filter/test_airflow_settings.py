"""Unit tests of the airflow_settings_problems and airflow_broker_tls_problems filters: the airflow
role's preflight in one call, secrets never shown."""

import hashlib

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.airflow_settings import (
    airflow_broker_tls_problems, airflow_settings_problems)

ADMIN_PASSWORD = 'Vq8-tukm-Rz3w-Lp2x'
# An orchestration host of inventories/production, as the preflight task passes it.
PRODUCTION = {
    'airflow_version': '3.3.2', 'airflow_celery_queues': ['default'], 'airflow_extra_packages': [],
    'airflow_users': [{'username': 'admin', 'password': ADMIN_PASSWORD, 'role': 'Admin'},
                      {'username': 'gone', 'state': 'absent'}],
    'airflow_flower_users': [{'username': 'flower', 'password': 'Hs9m-Nw7p-qbzK-c4tT'}],
    'airflow_executor': 'CeleryExecutor', 'airflow_database_backend': 'postgresql', 'airflow_schedulers': 1,
    'airflow_celery_workers': 0, 'airflow_home': '/opt/efficientai/airflow/home', 'airflow_auth_manager': 'fab',
    'airflow_flower_enabled': True, 'airflow_database_tls': True, 'airflow_database_host': '10.0.0.10',
    'airflow_ca_dir': '/root/.efficientai/pki', 'airflow_redis_tls': True, 'airflow_redis_bind': ['10.0.0.40'],
    'airflow_redis_host': '10.0.0.40', 'airflow_redis_tls_certificate': False, 'airflow_redis_tls_key': False,
    'airflow_redis_tls_ca': False, 'airflow_redis_tls_protocols': ['TLSv1.2', 'TLSv1.3'],
    'airflow_redis_tls_extra_names': [], 'airflow_secret_key': 'Yh4cN9sQ2mV7bX1kT6rW3pZ8dF5gJ0aL',
    'airflow_jwt_secret': 'Rci6coDdZO2V8r2HK2bbnHkG40xx0mn06nCzzbWREpgvE1uiQohNedlKMEmWo_h6',
    'airflow_fernet_key': 'Ut0hTXGFfNY5ymw97aiLoBXWOA38zShQrz5MhU297IE=',
    'airflow_database_password': 'Nw7-pqbz-Kc4t-Hs9m', 'airflow_redis_password': 'Lp2x-Rz3w-tukm-Vq8A',
    'airflow_api_port': 8080, 'airflow_database_port': 5432, 'airflow_worker_log_server_port': 8793,
    'airflow_trigger_log_server_port': 8794, 'airflow_redis_port': 6379, 'airflow_flower_port': 5555,
    'airflow_health_timeout': 120, 'airflow_worker_stop_timeout': 120,
    'host': 'ops-1', 'worker_host': False,
}
# The development stack: LocalExecutor on SQLite, the simple auth manager.
DEVELOPMENT = dict(PRODUCTION, airflow_executor='LocalExecutor', airflow_database_backend='sqlite',
                   airflow_auth_manager='simple', airflow_users=[{'username': 'admin', 'password': ADMIN_PASSWORD,
                                                                 'role': 'admin'}],
                   airflow_flower_enabled=False, airflow_flower_users=[], airflow_redis_tls=False,
                   airflow_redis_bind=['127.0.0.1'], airflow_redis_host='127.0.0.1', airflow_database_password='',
                   airflow_redis_password='')
SECRET_VALUES = [ADMIN_PASSWORD, PRODUCTION['airflow_secret_key'], PRODUCTION['airflow_database_password']]


def test_the_fernet_key_of_the_test_data_is_one():
    assert len(PRODUCTION['airflow_fernet_key']) == 44


@pytest.mark.parametrize('settings', [PRODUCTION, DEVELOPMENT, dict(PRODUCTION, worker_host=True, host='worker-1'),
                                      dict(DEVELOPMENT, airflow_database_backend='postgresql', airflow_schedulers=2,
                                           airflow_database_password='Nw7-pqbz-Kc4t-Hs9m',
                                           airflow_database_tls=False, airflow_database_host='127.0.0.1')],
                         ids=['production', 'development', 'worker', 'loopback database'])
def test_valid_settings_have_no_problems(settings):
    assert airflow_settings_problems(settings) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'airflow_version': '2.10.5'}, 'airflow_version', "a 3.x release such as 3.3.2 (got '2.10.5')"),
    ({'airflow_version': 'latest'}, 'airflow_version', "(got 'latest')"),
    ({'airflow_celery_queues': []}, 'airflow_celery_queues', 'at least one queue (got [])'),
    ({'airflow_celery_queues': 'default'}, 'airflow_celery_queues', "(got 'default')"),
    ({'airflow_extra_packages': 'apache-airflow-providers-ssh'}, 'airflow_extra_packages', 'must be a list (got a string)'),
    ({'airflow_database_backend': 'sqlite', 'airflow_schedulers': 0}, 'airflow_database_backend',
     "must be postgresql with CeleryExecutor (got 'sqlite')"),
    ({'airflow_schedulers': -1}, 'airflow_schedulers', '0 or more (got -1)'),
    ({'airflow_celery_workers': 'two'}, 'airflow_celery_workers', "(got 'two')"),
    ({'airflow_health_timeout': 0}, 'airflow_health_timeout', '1 or more (got 0)'),
    ({'airflow_worker_stop_timeout': '2m'}, 'airflow_worker_stop_timeout', "1 or more (got '2m')"),
    ({'airflow_home': 'airflow'}, 'airflow_home', "absolute path (got 'airflow')"),
    ({'airflow_api_port': 70000}, 'airflow_api_port', 'a port number 1-65535 (got 70000)'),
    ({'airflow_flower_port': '55 55'}, 'airflow_flower_port', "(got '55 55')"),
    ({'airflow_redis_port': 0}, 'airflow_redis_port', '(got 0)'),
    ({'airflow_jwt_secret': 'too-short'}, 'airflow_jwt_secret', 'needs at least 64 characters'),
    ({'airflow_database_password': ''}, 'airflow_database_password', 'needs at least 12 characters'),
    ({'airflow_redis_password': 'Password1234!'}, 'airflow_redis_password', 'needs at least 16 characters'),
    ({'airflow_database_tls': False}, 'airflow_database_tls', "password in clear text to '10.0.0.10'"),
    ({'airflow_ca_dir': 'pki'}, 'airflow_ca_dir', "absolute path (got 'pki')"),
    ({'airflow_redis_tls': False}, 'airflow_redis_tls=false', "is allowed only when Redis is bound to and reached on loopback"),
    ({'airflow_redis_tls_certificate': True}, 'airflow_redis_tls_key', 'is empty while airflow_redis_tls_certificate is set'),
    ({'airflow_redis_tls_certificate': True, 'airflow_redis_tls_key': True}, 'airflow_redis_tls_ca', 'is empty'),
    ({'airflow_redis_tls_protocols': ['TLSv1.1']}, 'airflow_redis_tls_protocols', "(got ['TLSv1.1'])"),
    ({'airflow_redis_tls_protocols': []}, 'airflow_redis_tls_protocols', '(got [])'),
    ({'airflow_redis_tls_extra_names': 'redis.internal'}, 'airflow_redis_tls_extra_names', 'must be a list'),
    ({'airflow_users': [{'username': 'ad min', 'password': ADMIN_PASSWORD, 'role': 'Admin'}]}, 'airflow_users[0]',
     "needs a username of letters, digits, '_', '.', '@' or '-' (got 'ad min')"),
    ({'airflow_users': [{'username': 'admin', 'password': ADMIN_PASSWORD}]}, 'airflow_users[0]', '(admin) needs a role'),
    ({'airflow_users': [{'username': 'admin', 'password': 'admin'}]}, 'airflow_users[0]', '(admin) needs a role'),
    ({'airflow_flower_users': [{'username': 'flower', 'password': 'Hs9m-Nw7p,qbzK-c4tT'}]}, 'airflow_flower_users[0]',
     "(flower) needs a password without ':' or ','"),
    ({'airflow_flower_users': []}, 'airflow_flower_users', 'must name at least one user while airflow_flower_enabled'),
    ({'worker_host': True, 'host': 'worker-1', 'airflow_executor': 'LocalExecutor', 'airflow_flower_enabled': False},
     'airflow_executor', "must be CeleryExecutor on worker-1, which is in group workers and runs Celery workers only "
                         "(got 'LocalExecutor')"),
])
def test_each_problem_names_its_variable(changes, variable, message):
    problems = [problem for problem in airflow_settings_problems(dict(PRODUCTION, **changes))
                if not problem.startswith('the password of')]
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ' ') and message in problems[0], problems[0]


def test_a_users_weak_password_names_the_user_and_never_shows_a_secret():
    weak = {'username': 'ops', 'password': 'Password1234!', 'role': 'Op'}
    problems = airflow_settings_problems(dict(PRODUCTION, airflow_users=PRODUCTION['airflow_users'] + [weak],
                                              airflow_secret_key='changeme', airflow_fernet_key='not-a-key'))
    assert [problem.split(' needs', 1)[0] for problem in problems if 'needs at least' in problem] == [
        'airflow_secret_key', 'airflow_fernet_key', 'the password of airflow_users[2] (ops)']
    assert any(problem.startswith('airflow_fernet_key must be a Fernet key') for problem in problems)
    assert not [problem for problem in problems for secret in SECRET_VALUES + ['Password1234!', 'changeme', 'not-a-key']
                if secret in problem]


def test_example_secrets_pass_only_when_the_inventory_opts_in(monkeypatch):
    from ansible_collections.efficientai.mlops.plugins.test import strong_password
    example = PRODUCTION['airflow_secret_key']
    monkeypatch.setattr(strong_password, 'EXAMPLE_SECRETS', {hashlib.sha256(example.encode()).hexdigest()})
    problems = airflow_settings_problems(PRODUCTION)
    assert len(problems) == 1 and problems[0].startswith('airflow_secret_key is a value of the example vault'), problems
    assert 'mlops_allow_example_secrets: true' in problems[0] and example not in problems[0]
    assert airflow_settings_problems(PRODUCTION, allow_example_secrets=True) == []


def test_the_broker_is_checked_on_its_own_host_whatever_the_executor():
    broker = {name: PRODUCTION[name] for name in (
        'airflow_redis_tls', 'airflow_redis_bind', 'airflow_redis_host', 'airflow_redis_tls_certificate',
        'airflow_redis_tls_key', 'airflow_redis_tls_ca', 'airflow_redis_tls_protocols', 'airflow_redis_tls_extra_names')}
    assert airflow_broker_tls_problems(broker) == []
    assert airflow_broker_tls_problems(dict(broker, airflow_redis_tls=False))[0].startswith('airflow_redis_tls=false')
    assert airflow_broker_tls_problems(dict(broker, airflow_redis_tls=False, airflow_redis_bind=['127.0.0.1'],
                                            airflow_redis_host='localhost')) == []
    # Without Celery the main check leaves the broker alone.
    assert airflow_settings_problems(dict(DEVELOPMENT, airflow_redis_tls_protocols=['SSLv3'])) == []


def test_a_missing_setting_is_the_callers_error():
    with pytest.raises(AnsibleFilterError, match='settings lack airflow_api_port'):
        airflow_settings_problems({key: value for key, value in PRODUCTION.items() if key != 'airflow_api_port'})
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        airflow_broker_tls_problems('airflow_redis_tls')
