"""Unit tests of the helpers the settings filters share (plugins/plugin_utils/settings.py)."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import (
    below, checked, given_certificate_problems, integer, is_duration, is_port, kind, not_absolute, not_lists, number,
    paired_problems, server_tls_problems, shown, user_id)


class TaggedStr(str):
    """Like Ansible's templated values: a subclass of a builtin, whose name means nothing to a user."""


@pytest.mark.parametrize('value, expected', [
    ({'password': 'hidden'}, 'a dict'), (['x'], 'a list'), (('x',), 'a list'), ('x', 'a string'),
    (TaggedStr('x'), 'a string'), (True, 'a boolean'), (3, 'a number'), (2.5, 'a number'), (None, 'null'),
    ({1, 2}, 'a set'),
])
def test_kind_names_a_value_by_yaml_names_without_showing_it(value, expected):
    assert kind(value) == expected


@pytest.mark.parametrize('given, expected', [
    ({'cert': True, 'key': True}, []), ({'cert': False, 'key': False}, []),
    ({'cert': True, 'key': False}, ['key is empty while cert is set: give both, or neither']),
    ({'cert': False, 'key': True}, ['cert is empty while key is set: give both, or neither']),
])
def test_paired_settings_go_together(given, expected):
    assert paired_problems(given, 'cert', 'key', 'or neither') == expected


def test_a_given_certificate_needs_its_ca_once_paired():
    settings = {'cert': True, 'key': False, 'ca': False}
    assert given_certificate_problems(settings, 'cert', 'key', 'ca', 'or neither') == [
        'key is empty while cert is set: give both, or neither']
    (problem,) = given_certificate_problems(dict(settings, key=True), 'cert', 'key', 'ca', 'or neither')
    assert problem.startswith('ca is empty while cert is given')
    assert given_certificate_problems(dict(settings, key=True, ca=True), 'cert', 'key', 'ca', 'or neither') == []


@pytest.mark.parametrize('value, port', [(1, True), ('65535', True), (0, False), (65536, False), ('80 ', False),
                                         ('-1', False), (None, False)])
def test_is_port(value, port):
    assert is_port(value) is port


@pytest.mark.parametrize('value, duration', [('5m', True), ('1h30m', True), ('15d', True), ('5', False), ('m', False)])
def test_is_duration(value, duration):
    assert is_duration(value) is duration


def test_integer_and_number_read_leniently():
    assert (integer('7'), integer(7), integer('seven'), integer(None)) == (7, 7, None, None)
    assert (number('0.5'), number(2), number('half'), number(None)) == (0.5, 2.0, None, None)


def test_checked_refuses_a_caller_that_leaves_a_setting_out():
    assert checked({'a': 1}, ['a'], 'caller') == {'a': 1}
    with pytest.raises(AnsibleFilterError, match='caller: settings lack b'):
        checked({'a': 1}, ['a', 'b'], 'caller')
    with pytest.raises(AnsibleFilterError, match='caller expects a dict of settings, got list'):
        checked([], [], 'caller')


def test_not_lists_names_each_setting_that_is_no_list():
    settings = {'hosts': ['a'], 'names': 'a', 'users': {'ann': 'pw-hidden'}}
    assert not_lists(settings, ['hosts', 'names']) == ["names must be a list (got 'a')"]
    assert not_lists(settings, ['users'], shown=False) == ['users must be a list (got a dict)']


def test_not_absolute_names_each_relative_path():
    settings = {'root': '/srv', 'data': 'data', 'empty': ''}
    assert not_absolute(settings, ['root', 'data', 'empty']) == [
        "data must be an absolute path (got 'data')", "empty must be an absolute path (got '')"]


def test_below_names_each_setting_under_its_minimum_or_no_number():
    settings = {'workers': 0, 'replicas': '2', 'timeout': 'soon', 'tries': 0}
    assert below(settings, ['workers', 'replicas', 'timeout'], 1) == [
        'workers must be a number, 1 or more (got 0)', "timeout must be a number, 1 or more (got 'soon')"]
    assert below(settings, ['tries'], 0) == []


def test_shown_hides_containers_that_may_hold_a_secret():
    assert (shown('relative'), shown(3), shown(None)) == ("'relative'", '3', 'None')
    assert (shown({'password': 'hidden'}), shown(['hidden'])) == ('a dict', 'a list')


TLS = {'app_tls_certificate': False, 'app_tls_key': False, 'app_tls_ca': False, 'app_tls_extra_names': [],
       'app_tls_ca_dir': '/etc/pki', 'user_uid': 0}


@pytest.mark.parametrize('changes, expected', [
    ({}, []),
    ({'app_tls_certificate': True}, ['app_tls_key is empty while app_tls_certificate is set: give both, paths on the '
                                     'controller or PEM (vault the key), or neither to get a certificate of the private CA '
                                     'in app_tls_ca_dir']),
    ({'app_tls_extra_names': 'app.internal', 'app_tls_ca_dir': 'pki'},
     ["app_tls_extra_names must be a list (got 'app.internal')", "app_tls_ca_dir must be an absolute path (got 'pki')"]),
    ({'user_uid': 1000}, ['app_tls needs the role to run as root (user id 1000): the key goes to a root-owned directory, '
                          'so set become: true']),
    ({'user_uid': ''}, ['app_tls needs the role to run as root (user id unknown, facts not gathered): the key goes to a '
                        'root-owned directory, so set become: true']),
])
def test_a_services_own_tls(changes, expected):
    assert server_tls_problems(dict(TLS, **changes), 'app') == expected


def test_user_id_without_facts_is_unknown():
    assert (user_id({'user_uid': 1000}), user_id({'user_uid': ''})) == (1000, 'unknown, facts not gathered')
