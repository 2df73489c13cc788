"""Unit tests of the preflight and security audit filters."""

import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.security import (
    declared_ports, port_checks, preflight_table, security_updates, systemd_exposure, undeclared_listeners)
from ansible_collections.efficientai.mlops.plugins.module_utils._ports import parse_ss

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'security')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8') as handle:
        return handle.read()


SITE = {'name': 'mlflow', 'listen_port': 443, 'redirect_port': 80}


def test_declared_ports_follow_the_groups_and_defaults():
    ports = declared_ports({'mlflow_port': 15000, 'proxy_sites': [SITE], 'postgres_port': 15432}, ['tracking', 'proxy'])
    assert [(p['name'], p['port'], p['unit']) for p in ports] == [
        ('mlflow_port', 15000, '^mlflow'),
        ('proxy_sites[mlflow].listen_port', 443, '^nginx'),
        ('proxy_sites[mlflow].redirect_port', 80, '^nginx')]
    assert declared_ports({}, ['db'])[0]['port'] == 5432
    serving = declared_ports({'bentoml_services': [{'name': 'iris', 'port': 13000}, {'name': 'gone'}]}, ['serving'])
    assert [p['port'] for p in serving] == [13000]
    assert declared_ports({'preflight_extra_ports': [{'name': 'x', 'port': '9'}]}, [])[0] == {'name': 'x', 'port': 9, 'unit': '^$'}
    with pytest.raises(AnsibleFilterError, match='host variables'):
        declared_ports(['not', 'a', 'mapping'], [])


def test_port_checks_tell_free_ours_and_taken():
    sockets = parse_ss(fixture('ss_container.txt'))
    rows = port_checks([{'name': 'mlflow_port', 'port': 21101, 'unit': '^mlflow'},
                        {'name': 'proxy', 'port': 21443, 'unit': '^nginx'},
                        {'name': 'free', 'port': 21999, 'unit': '^x'},
                        {'name': 'host', 'port': 2024, 'unit': '^x'}], [dict(s, user='sample') for s in sockets], 'h1')
    assert [(r['host'], r['status']) for r in rows] == [('h1', 'FAIL'), ('h1', 'PASS'), ('h1', 'PASS'), ('h1', 'FAIL')]
    assert rows[0]['detail'] == 'taken by sample.service, user sample on 127.0.0.1'
    assert rows[1]['detail'] == 'held by our nginx.service'
    assert rows[2]['detail'] == 'free'
    assert 'user sample' in rows[3]['detail']


def test_undeclared_listeners_leave_out_loopback_declared_and_allowed():
    sockets = parse_ss(fixture('ss_container.txt') + fixture('ss_host.txt'))
    found = undeclared_listeners(sockets, [{'name': 'p', 'port': 21443, 'unit': '^nginx'}], [22])
    assert [(s['address'], s['port']) for s in found] == [('0.0.0.0', 2024), ('::', 5000)]


def test_preflight_table_aligns_and_counts():
    lines = preflight_table([{'host': 'db1', 'check': 'CPUs', 'status': 'PASS', 'detail': '4'},
                             {'host': 'tracking1', 'check': 'secret mlflow_admin_password', 'status': 'FAIL', 'detail': 'missing'},
                             {'check': 'time', 'status': 'WARN'}])
    assert lines[0].split() == ['HOST', 'CHECK', 'STATUS', 'DETAIL']
    assert lines[2] == 'tracking1  secret mlflow_admin_password  FAIL    missing'
    assert lines[3].startswith('-          time')
    assert lines[-1] == '1 passed, 1 warnings, 1 blockers'
    with pytest.raises(AnsibleFilterError, match='status among'):
        preflight_table([{'check': 'x', 'status': 'ok'}])


def test_systemd_exposure_reads_the_table_and_the_single_unit_report():
    assert systemd_exposure(fixture('systemd_analyze_table.txt')) == [
        {'unit': 'sample.service', 'exposure': 1.5, 'predicate': 'OK'},
        {'unit': 'nginx.service', 'exposure': 2.8, 'predicate': 'OK'}]
    assert systemd_exposure(fixture('systemd_analyze_one.txt')) == [{'unit': 'nginx.service', 'exposure': 2.8, 'predicate': 'OK'}]
    assert systemd_exposure('UNIT EXPOSURE PREDICATE HAPPY\ndbus.service  9.6 UNSAFE  :-{\n')[0]['predicate'] == 'UNSAFE'
    assert systemd_exposure('') == []
    with pytest.raises(AnsibleFilterError, match='no unit found'):
        systemd_exposure('Failed to connect to bus')


def test_security_updates_keep_only_the_security_suite():
    updates = security_updates(fixture('apt_upgradable.txt'))
    assert [u['package'] for u in updates] == ['apt', 'ca-certificates', 'libapt-pkg6.0', 'libbrotli1', 'libexpat1']
    assert updates[1] == {'package': 'ca-certificates', 'version': '20250419~deb12u2', 'installed': '20230311+deb12u1',
                          'source': 'oldstable-security'}
    assert security_updates('Listing...\n') == []
