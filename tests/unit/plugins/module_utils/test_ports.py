"""Unit tests of the parsing of `ss -Hlntupe` (outputs captured in a test container and on a host)."""

import os

import pytest

from ansible_collections.efficientai.mlops.plugins.module_utils._ports import parse_ss, unit_of

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'security')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8') as handle:
        return handle.read()


def test_container_output_gives_user_and_unit_without_the_process():
    sample, nginx, other = parse_ss(fixture('ss_container.txt'))
    assert sample == {'proto': 'tcp', 'address': '127.0.0.1', 'port': 21101, 'process': '', 'pid': 0,
                      'uid': 997, 'unit': 'sample.service'}
    assert (nginx['process'], nginx['pid'], nginx['uid'], nginx['unit']) == ('nginx', 3449, 0, 'nginx.service')
    assert (other['address'], other['port'], other['unit']) == ('0.0.0.0', 2024, '')


def test_host_output_with_ipv6_zones_udp_and_shared_sockets():
    chrony, mlflow, ssh = parse_ss(fixture('ss_host.txt'))
    assert (chrony['proto'], chrony['address'], chrony['port'], chrony['unit']) == ('udp', '::ffff:127.0.0.1', 323, 'chrony.service')
    assert (mlflow['address'], mlflow['process'], mlflow['pid'], mlflow['uid']) == ('::', 'mlflow', 812, 998)
    assert (ssh['address'], ssh['port'], ssh['uid']) == ('*', 22, 0)


def test_empty_and_garbage():
    assert parse_ss('') == []
    with pytest.raises(ValueError, match='unexpected local address'):
        parse_ss('tcp LISTEN 0 128 nonsense 0.0.0.0:*')


@pytest.mark.parametrize('cgroup, unit', [
    ('/system.slice/nginx.service', 'nginx.service'),
    ('/docker/abc/system.slice/sample-b.service', 'sample-b.service'),
    ('/user.slice/user-0.slice/session-3.scope', 'session-3.scope'),
    ('/', ''),
])
def test_unit_of(cgroup, unit):
    assert unit_of(cgroup) == unit
