"""Unit tests of the network policy filters: listeners → firewall rules → connection matrix."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.network_policy import (
    connection_matrix, firewall_rules, firewall_settings_problems, invalid_networks, reachability_table)

GROUPS = {'all': ['db', 'track-1', 'track-2', 'ops'], 'db': ['db'], 'tracking': ['track-1', 'track-2'],
          'orchestration': ['ops'], 'monitoring': ['ops'], 'proxy': ['ops'], 'serving': []}
HOSTVARS = {'db': {'mlops_private_address': '10.1.0.10'}, 'track-1': {'mlops_private_address': '10.1.0.21'},
            'track-2': {'ansible_host': '10.1.0.22'}, 'ops': {'mlops_private_address': '10.1.0.40'}}
POSTGRES = {'name': 'postgresql', 'port': 5432, 'addresses': ['127.0.0.1', '10.1.0.10'],
            'clients': ['tracking', 'orchestration', 'monitoring']}


def test_a_listener_admits_only_its_client_groups_addresses():
    assert firewall_rules([POSTGRES], GROUPS, HOSTVARS) == [
        {'name': 'postgresql', 'port': '5432', 'proto': 'tcp', 'sources': ['10.1.0.21', '10.1.0.22', '10.1.0.40'],
         'clients': ['tracking', 'orchestration', 'monitoring']}]


def test_loopback_listeners_need_no_rule_and_any_opens_to_everybody():
    listeners = {'monitoring': [{'name': 'prometheus', 'listen': '127.0.0.1:9090', 'clients': ['monitoring']},
                                {'name': 'node-exporter', 'listen': '10.1.0.40:9100', 'clients': ['monitoring']}],
                 'proxy': [{'name': 'front-mlflow', 'port': 443, 'addresses': ['0.0.0.0'], 'clients': ['any']}]}
    assert [(rule['name'], rule['sources']) for rule in firewall_rules(listeners, GROUPS, HOSTVARS)] == [
        ('node-exporter', ['10.1.0.40']), ('front-mlflow', [])]


def test_clients_without_hosts_close_the_listener_instead_of_opening_it():
    # An empty source list means "anyone": a listener nobody may use must get no rule at all.
    listener = {'name': 'bentoml-iris', 'port': 3000, 'addresses': ['0.0.0.0'], 'clients': ['serving']}
    assert firewall_rules([listener], GROUPS, HOSTVARS) == []


def test_port_ranges_and_protocols_are_kept():
    listener = {'name': 'mlflow', 'port': '5000:5002', 'addresses': ['10.1.0.21'], 'clients': ['proxy'], 'proto': 'tcp'}
    assert firewall_rules([listener], GROUPS, HOSTVARS)[0]['port'] == '5000:5002'


@pytest.mark.parametrize('listener, message', [
    ({'name': 'x', 'port': 70000, 'addresses': ['10.1.0.1'], 'clients': []}, 'port must be a number 1-65535 .*got 70000'),
    ({'name': 'x', 'port': '5002:5000', 'addresses': ['10.1.0.1'], 'clients': []}, 'first <= last'),
    ({'name': 'x', 'port': 'http', 'addresses': ['10.1.0.1'], 'clients': []}, 'port must be a number'),
    ({'name': 'x', 'port': 80, 'addresses': ['db.example'], 'clients': []}, 'bind address'),
    ({'name': 'x', 'port': 80, 'addresses': '10.1.0.1', 'clients': []}, 'addresses must be a non-empty list'),
    ({'name': 'x', 'port': 80, 'addresses': ['10.1.0.1'], 'clients': 'proxy'}, 'clients must be a list'),
    ({'name': 'x', 'port': 80, 'addresses': ['10.1.0.1'], 'clients': [], 'proto': 'icmp'}, 'proto must be'),
    ({'name': 'Bad Name', 'port': 80, 'addresses': ['10.1.0.1'], 'clients': []}, 'name must be'),
    ({'name': 'x', 'listen': '9100', 'clients': []}, 'listen must be host:port'),
])
def test_a_listener_that_does_not_parse_is_refused_naming_it_and_its_role(listener, message):
    with pytest.raises(AnsibleFilterError, match=message) as error:
        firewall_rules({'mlflow': [listener]}, GROUPS, HOSTVARS)
    assert 'of the mlflow role' in str(error.value)


def test_the_refusal_names_the_variable_behind_the_field():
    listener = {'name': 'mlflow', 'port': 5000, 'addresses': ['tracking.local'], 'clients': ['proxy'],
                'variables': {'port': 'mlflow_port', 'addresses': 'mlflow_host'}}
    with pytest.raises(AnsibleFilterError, match="of the mlflow role: change mlflow_host: .*got 'tracking.local'"):
        firewall_rules({'mlflow': [listener]}, GROUPS, HOSTVARS)


def test_a_client_host_without_an_address_is_refused_naming_the_variable():
    hostvars = dict(HOSTVARS, ops={'ansible_host': 'ops.example.internal'})
    with pytest.raises(AnsibleFilterError, match='mlops_private_address of ops'):
        firewall_rules([POSTGRES], GROUPS, hostvars)


def test_the_matrix_follows_the_rules_with_ssh_open_everywhere():
    rules = {'db': firewall_rules([POSTGRES], GROUPS, HOSTVARS), 'ops': [
        {'name': 'front-mlflow', 'port': '443', 'proto': 'tcp', 'sources': []}]}
    destinations = {'db': '10.1.0.10', 'ops': '10.1.0.40'}
    sources = {'track-1': '10.1.0.21', 'ops': '10.1.0.40', 'outsider': '10.1.0.99'}
    matrix = {(r['source'], r['destination'], r['port']): r['open'] for r in connection_matrix(rules, destinations, sources)}
    assert matrix[('track-1', 'db', 5432)] and matrix[('ops', 'db', 5432)]
    assert not matrix[('outsider', 'db', 5432)]
    assert matrix[('outsider', 'ops', 443)] and not matrix[('outsider', 'db', 443)]
    assert all(matrix[(source, destination, 22)] for source, destination, _port in matrix if source != destination)
    assert ('ops', 'ops', 443) not in matrix  # a host does not probe itself


def test_the_reachability_table_names_groups():
    rules = {'db': firewall_rules([POSTGRES], GROUPS, HOSTVARS)}
    lines = reachability_table(rules, GROUPS, HOSTVARS)
    assert '| db | postgresql | 5432/tcp | `tracking`, `orchestration`, `monitoring`: track-1, track-2, ops |' in lines
    assert lines[-1] == '| every host | anything else | | nobody (dropped) |'


def test_invalid_networks_are_the_values_that_do_not_parse():
    assert invalid_networks(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '10.0.0.300', '10.0.0.0/33', 'db.example']) == [
        '10.0.0.300', '10.0.0.0/33', 'db.example']
    with pytest.raises(AnsibleFilterError, match='expected a list'):
        invalid_networks('10.0.0.0/8')


METRICS = {'name': 'metrics', 'port': '9100', 'sources': ['10.1.0.40/32'], 'groups': ['monitoring']}


@pytest.mark.parametrize('rules, sources, port', [
    ([], [], 22), ([METRICS, {'name': 'range', 'port': '60000:61000', 'proto': 'udp'}], ['10.0.0.0/8', 'fd00::/8'], '2222'),
])
def test_valid_firewall_inputs_have_no_problems(rules, sources, port):
    assert firewall_settings_problems(rules, sources, port) == []


@pytest.mark.parametrize('rules, sources, port, message', [
    ('metrics', [], 22, "firewall_rules must be a list of {name, port, proto, sources, groups} (got 'metrics')"),
    (['metrics'], [], 22, "firewall_rules[0] must be a dict"),
    ([{'port': 9100}], [], 22, "firewall_rules[0] needs a name"),
    ([METRICS, {'name': 'x'}], [], 22, "firewall_rules[1] (x) needs a port"),
    ([dict(METRICS, port='99999')], [], 22,
     "firewall_rules[0] (metrics): port must be a number 1-65535 or a range first:last with first <= last (got '99999')"),
    ([dict(METRICS, port='9200:9100')], [], 22, "(got '9200:9100')"),
    ([dict(METRICS, sources='10.0.0.0/8')], [], 22, "firewall_rules[0] (metrics): sources must be a list (got '10.0.0.0/8')"),
    ([dict(METRICS, groups='monitoring')], [], 22, "firewall_rules[0] (metrics): groups must be a list"),
    ([dict(METRICS, sources=['10.0.0.300'])], [], 22, "firewall_rules[0] (metrics): sources must be IPv4 or IPv6 "
                                                      "addresses or networks such as 10.0.0.0/8; these do not parse: ['10.0.0.300']"),
    ([], '10.0.0.0/8', 22, "firewall_ssh_sources must be a list of addresses or networks such as 10.0.0.0/8 (got '10.0.0.0/8')"),
    ([], ['10.0.0.300'], 22, "firewall_ssh_sources must be IPv4 or IPv6 addresses or networks"),
    ([], [], 0, "firewall_ssh_port must be a number 1-65535 (got 0)"),
    ([], [], '22:23', "firewall_ssh_port must be a number 1-65535 (got '22:23')"),
    ([], [], 'ssh', "firewall_ssh_port must be a number 1-65535 (got 'ssh')"),
])
def test_each_firewall_problem_names_its_variable(rules, sources, port, message):
    problems = firewall_settings_problems(rules, sources, port)
    assert len(problems) == 1 and message in problems[0], problems
