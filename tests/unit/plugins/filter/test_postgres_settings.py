"""Unit tests of the postgres_settings_problems filter: the postgres role's preflight in one call."""

import hashlib

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.postgres_settings import postgres_settings_problems


def hba(database, user, address='10.0.0.0/24', kind='hostssl'):
    return {'type': kind, 'database': database, 'user': user, 'address': address, 'method': 'scram-sha-256'}


# The db host of inventories/production (group_vars/db.yml over the role's defaults), as the preflight task
# passes it; the passwords are strong ones of our own, not the example vault's.
PRODUCTION = {
    'postgres_port': 5432, 'postgres_max_connections': 200, 'postgres_listen_addresses': ['127.0.0.1', '10.0.0.10'],
    'postgres_settings': {}, 'postgres_memory_mb': 8192,
    'postgres_users': [{'name': 'mlflow', 'password': 'Nw7-pqbz-Kc4t-Hs9m'},
                       {'name': 'mlflow_auth', 'password': 'Kc4t-Hs9m-Nw7p-qbzR'},
                       {'name': 'airflow', 'password': 'Vq8-tukm-Rz3w-Lp2x'},
                       {'name': 'monitoring', 'password': 'Hs9m-Vq8t-Rz3w-ukmL', 'groups': ['pg_monitor']}],
    'postgres_databases': [{'name': 'mlflow', 'owner': 'mlflow'}, {'name': 'mlflow_auth', 'owner': 'mlflow_auth'},
                           {'name': 'airflow', 'owner': 'airflow'}],
    'postgres_hba_entries': [hba('mlflow', 'mlflow'), hba('mlflow_auth', 'mlflow_auth'), hba('airflow', 'airflow'),
                             hba('postgres', 'monitoring')],
    'postgres_tls': True, 'postgres_tls_certificate': False, 'postgres_tls_key': False, 'postgres_tls_extra_names': [],
    'postgres_tls_ca_dir': '/root/.efficientai/pki',
}
# The role's defaults: loopback only, nothing created yet.
DEFAULTS = dict(PRODUCTION, postgres_listen_addresses=['127.0.0.1'], postgres_max_connections=100, postgres_users=[],
                postgres_databases=[],
                postgres_hba_entries=[hba('all', 'all', '127.0.0.1/32', 'host'), hba('all', 'all', '::1/128', 'host')])


@pytest.mark.parametrize('settings', [
    PRODUCTION, DEFAULTS,
    dict(PRODUCTION, postgres_tls_certificate=True, postgres_tls_key=True),
    dict(PRODUCTION, postgres_listen_addresses=['*'], postgres_settings={'work_mem': '64MB'}),
    dict(PRODUCTION, postgres_listen_addresses=['db.example.internal', '::1']),
    dict(PRODUCTION, postgres_databases=[{'name': 'scratch', 'owner': 'postgres'}]),
], ids=['production', 'defaults', 'given certificate', 'all addresses', 'names', 'owned by postgres'])
def test_valid_settings_have_no_problems(settings):
    assert postgres_settings_problems(settings) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'postgres_port': 70000}, 'postgres_port', 'a TCP port, 1-65535 (got 70000)'),
    ({'postgres_port': 0}, 'postgres_port', '(got 0)'),
    ({'postgres_port': '5432x'}, 'postgres_port', "(got '5432x')"),
    ({'postgres_max_connections': 4}, 'postgres_max_connections', '5 or more (got 4)'),
    ({'postgres_max_connections': 'many'}, 'postgres_max_connections', "5 or more (got 'many')"),
    ({'postgres_listen_addresses': '0.0.0.0'}, 'postgres_listen_addresses',
     "a non-empty list of addresses, host names or '*' (got '0.0.0.0')"),
    ({'postgres_listen_addresses': []}, 'postgres_listen_addresses', 'a non-empty list'),
    ({'postgres_listen_addresses': ['127.0.0.1', '10.0.0.0/24', 'a b']}, 'postgres_listen_addresses',
     "addresses, host names or '*' only (got ['10.0.0.0/24', 'a b'])"),
    ({'postgres_settings': 'work_mem=64MB'}, 'postgres_settings', "a dict of postgresql.conf settings (got 'work_mem=64MB')"),
    ({'postgres_settings': {'ssl': 'off', 'port': 5433, 'work_mem': '64MB'}}, 'postgres_settings',
     'must not set port, ssl: set postgres_port, postgres_tls instead'),
    ({'postgres_settings': {'listen_addresses': '*', 'max_connections': 500}}, 'postgres_settings',
     'set postgres_listen_addresses, postgres_max_connections instead'),
    ({'postgres_memory_mb': 128}, 'postgres_memory_mb', '256 or more (got 128)'),
    ({'postgres_users': {'name': 'mlflow'}}, 'postgres_users', 'a list of {name, password} (got a dict)'),
    ({'postgres_users': PRODUCTION['postgres_users'] + ['reader:Vq8-tukm-Rz3w-Lp2x']}, 'postgres_users[4]',
     'must be a dict with name and password (got a string)'),
    ({'postgres_users': PRODUCTION['postgres_users'] + [{'name': 'Reader', 'password': 'Rz3w-Lp2x-Vq8t-ukmQ'}]},
     'postgres_users[4]', "needs a name of lowercase letters, digits and '_', at most 63, not starting with a digit "
                          "(got 'Reader')"),
    ({'postgres_users': PRODUCTION['postgres_users'] + [{'name': '1st', 'password': 'Rz3w-Lp2x-Vq8t-ukmQ'}]},
     'postgres_users[4]', "(got '1st')"),
    ({'postgres_users': PRODUCTION['postgres_users'] + [{'name': 'x' * 64, 'password': 'Rz3w-Lp2x-Vq8t-ukmQ'}]},
     'postgres_users[4]', 'at most 63'),
    ({'postgres_users': PRODUCTION['postgres_users'] + [{'name': 'mlflow', 'password': 'Rz3w-Lp2x-Vq8t-ukmQ'}]},
     'postgres_users', 'each login role once (got mlflow more than once)'),
    ({'postgres_users': [PRODUCTION['postgres_users'][0], {'name': 'reader', 'password': 'Password1234!'}],
      'postgres_databases': [{'name': 'mlflow', 'owner': 'mlflow'}]},
     'the password of postgres_users[1] (reader)', 'needs at least 12 characters'),
    ({'postgres_users': PRODUCTION['postgres_users'] + [{'name': 'reader', 'password': ''}]},
     'the password of postgres_users[4] (reader)', 'needs at least 12 characters'),
    ({'postgres_users': PRODUCTION['postgres_users'] + [{'name': 'reader'}]},
     'the password of postgres_users[4] (reader)', 'needs at least 12 characters'),
    ({'postgres_databases': 'mlflow'}, 'postgres_databases', "a list of {name, owner} (got 'mlflow')"),
    ({'postgres_databases': ['mlflow']}, 'postgres_databases[0]', "must be a dict with name and owner (got 'mlflow')"),
    ({'postgres_databases': [{'name': 'ML-flow', 'owner': 'mlflow'}]}, 'postgres_databases[0]', "(got 'ML-flow')"),
    ({'postgres_databases': [{'name': 'mlflow', 'owner': 'mlflow'}, {'name': 'mlflow', 'owner': 'airflow'}]},
     'postgres_databases', 'each database once (got mlflow more than once)'),
    ({'postgres_databases': [{'name': 'mlflow', 'owner': 'nobody'}]}, 'postgres_databases[0]',
     "(mlflow): owner 'nobody' is not a role of postgres_users nor postgres"),
    ({'postgres_databases': [{'name': 'mlflow'}]}, 'postgres_databases[0]', 'owner None is not a role'),
    ({'postgres_databases': [{'name': 'mlflow', 'owner': ['mlflow']}]}, 'postgres_databases[0]',
     "owner ['mlflow'] is not a role"),
    ({'postgres_hba_entries': 'host all all 0.0.0.0/0 trust'}, 'postgres_hba_entries',
     "a list of {type, database, user, address, method} (got 'host all all 0.0.0.0/0 trust')"),
    ({'postgres_hba_entries': [dict(hba('all', 'all'), method='md5')]}, 'postgres_hba_entries:', 'entry 1: method must be'),
    ({'postgres_hba_entries': [hba('all', 'all', '10.0.0.1/8')]}, 'postgres_hba_entries:',
     'entry 1: address must be a CIDR'),
    ({'postgres_hba_entries': [hba('mlflow', 'mlflow', kind='host')]}, 'postgres_hba_entries:',
     'entry 1 (host mlflow mlflow 10.0.0.0/24): a client outside loopback would send its password without TLS'),
    ({'postgres_tls_certificate': True}, 'postgres_tls_key', 'is empty while postgres_tls_certificate is set: give both'),
    ({'postgres_tls_key': True}, 'postgres_tls_certificate', 'is empty while postgres_tls_key is set: give both'),
    ({'postgres_tls_extra_names': 'db.example.internal'}, 'postgres_tls_extra_names',
     "must be a list (got 'db.example.internal')"),
    ({'postgres_tls_ca_dir': '~/pki'}, 'postgres_tls_ca_dir', "absolute path (got '~/pki')"),
])
def test_each_problem_names_its_variable_and_value(changes, variable, message):
    problems = postgres_settings_problems(dict(PRODUCTION, **changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ' ') and message in problems[0], problems[0]


def test_no_message_shows_a_password():
    users = [{'name': 'reader', 'password': 'Password1234!'}, {'name': 'writer', 'password': 'changeme-2024'},
             'auditor:Hs9m-Vq8t-Rz3w-ukmL']
    problems = postgres_settings_problems(dict(PRODUCTION, postgres_users=PRODUCTION['postgres_users'] + users))
    assert problems == [
        'postgres_users[6] must be a dict with name and password (got a string)',
        'the password of postgres_users[4] (reader) needs at least 12 characters, not all digits, and no run (abcd, 4321), '
        'keyboard row (qwerty), repeated part or well-known value (docs/secrets.md)',
        'the password of postgres_users[5] (writer) needs at least 12 characters, not all digits, and no run (abcd, 4321), '
        'keyboard row (qwerty), repeated part or well-known value (docs/secrets.md)'], problems
    assert not [problem for problem in problems for secret in ('Password1234!', 'changeme-2024', 'Hs9m') if secret in problem]
    problems = postgres_settings_problems(dict(PRODUCTION, postgres_users='mlflow:Nw7-pqbz-Kc4t-Hs9m'))
    assert problems[0] == 'postgres_users must be a list of {name, password} (got a string)', problems


def test_example_passwords_pass_only_when_the_inventory_opts_in(monkeypatch):
    from ansible_collections.efficientai.mlops.plugins.test import strong_password
    example = PRODUCTION['postgres_users'][2]['password']
    monkeypatch.setattr(strong_password, 'EXAMPLE_SECRETS', {hashlib.sha256(example.encode()).hexdigest()})
    problems = postgres_settings_problems(PRODUCTION)
    assert len(problems) == 1, problems
    assert problems[0].startswith('the password of postgres_users[2] (airflow) is a value of the example vault'), problems
    assert 'mlops_allow_example_secrets: true' in problems[0] and example not in problems[0]
    assert postgres_settings_problems(PRODUCTION, allow_example_secrets=True) == []


def test_every_problem_is_reported_at_once():
    problems = postgres_settings_problems(dict(
        PRODUCTION, postgres_port=70000, postgres_memory_mb=128, postgres_databases=[{'name': 'mlflow', 'owner': 'nobody'}],
        postgres_hba_entries=[hba('all', 'all', kind='host'), hba('all', 'all', '10.0.0.1/8')], postgres_tls_key=True))
    assert [problem.split(' ', 1)[0] for problem in problems] == [
        'postgres_port', 'postgres_memory_mb', 'postgres_databases[0]', 'postgres_hba_entries:', 'postgres_hba_entries:',
        'postgres_tls_certificate'], problems


def test_without_tls_its_settings_are_not_checked_and_host_entries_pass():
    """The TLS settings and the hostssl rule only apply with postgres_tls; the rest of pg_hba_problems still does."""
    assert postgres_settings_problems(dict(
        PRODUCTION, postgres_tls=False, postgres_tls_certificate=True, postgres_tls_extra_names='x', postgres_tls_ca_dir='pki',
        postgres_hba_entries=[hba('mlflow', 'mlflow', kind='host')])) == []
    problems = postgres_settings_problems(dict(PRODUCTION, postgres_tls=False,
                                               postgres_hba_entries=[dict(hba('all', 'all'), method='trust')]))
    assert len(problems) == 1 and problems[0].startswith('postgres_hba_entries: entry 1: method must be'), problems


def test_a_missing_setting_is_the_callers_error():
    with pytest.raises(AnsibleFilterError, match='settings lack postgres_port'):
        postgres_settings_problems({key: value for key, value in PRODUCTION.items() if key != 'postgres_port'})
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        postgres_settings_problems(['postgres_port'])
