"""Unit tests of the pg_hba_problems filter."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.pg_hba import pg_hba_problems


def entry(**fields):
    return dict({'type': 'host', 'database': 'mlflow', 'user': 'mlflow', 'address': '10.0.0.0/24',
                 'method': 'scram-sha-256'}, **fields)


def test_valid_entries_have_no_problems():
    assert pg_hba_problems([
        entry(), entry(address='::1/128'), entry(type='hostssl', database='mlflow,airflow', user='all'),
        {'type': 'local', 'database': 'all', 'user': 'postgres', 'method': 'peer'},
    ]) == []


@pytest.mark.parametrize('fields, message', [
    ({'method': 'md5'}, "method must be one of ['scram-sha-256'] for type host"),
    ({'method': 'trust'}, 'method must be one of'),
    ({'method': 'peer'}, 'method must be one of'),
    ({'address': '10.0.0.1/24'}, 'address must be a CIDR'),
    ({'address': '10.0.0.1'}, 'no prefix length'),
    ({'address': '300.0.0.0/8'}, 'address must be a CIDR'),
    ({'address': None}, 'address must be a CIDR'),
    ({'type': 'hostgssenc'}, 'type must be one of'),
    ({'database': 'mlflow db'}, 'database must be a name'),
    ({'user': ''}, 'user must be a name'),
    ({'options': 'x'}, "unknown keys ['options']"),
])
def test_each_problem_names_the_entry(fields, message):
    problems = pg_hba_problems([entry(), entry(**fields)])
    assert problems, fields
    assert all(problem.startswith('entry 2: ') for problem in problems)
    assert any(message in problem for problem in problems)


def test_local_entry_has_no_address():
    problems = pg_hba_problems([{'type': 'local', 'database': 'all', 'user': 'all', 'address': '127.0.0.1/32',
                                 'method': 'peer'}])
    assert problems == ["entry 1: a local entry has no address, got '127.0.0.1/32'"]


def test_entry_that_is_not_a_dict():
    assert pg_hba_problems(['host all all 0.0.0.0/0 trust'])[0].startswith('entry 1: must be a dict')


def test_a_string_is_refused():
    with pytest.raises(AnsibleFilterError, match='expects a list'):
        pg_hba_problems('host all all 0.0.0.0/0 trust')


def test_with_tls_a_remote_host_entry_is_refused_and_named():
    problems = pg_hba_problems([entry(address='127.0.0.1/32'), entry(), entry(type='hostnossl')], require_tls=True)
    assert problems == [
        'entry 2 (host mlflow mlflow 10.0.0.0/24): a client outside loopback would send its password without TLS; '
        'use type hostssl',
        'entry 3 (hostnossl mlflow mlflow 10.0.0.0/24): a client outside loopback would send its password without TLS; '
        'use type hostssl']


@pytest.mark.parametrize('address', ['127.0.0.1/32', '127.0.0.0/8', '::1/128'])
def test_with_tls_loopback_host_entries_stay_valid(address):
    assert pg_hba_problems([entry(address=address)], require_tls=True) == []


@pytest.mark.parametrize('address', ['10.0.0.0/24', '0.0.0.0/0', '::/0', '128.0.0.0/1'])
def test_with_tls_hostssl_is_valid_anywhere_and_host_is_not(address):
    assert pg_hba_problems([entry(type='hostssl', address=address)], require_tls=True) == []
    assert pg_hba_problems([entry(address=address)], require_tls=True)
    assert pg_hba_problems([entry(address=address)]) == []
