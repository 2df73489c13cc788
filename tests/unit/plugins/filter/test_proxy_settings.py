"""Unit tests of the proxy_settings_problems and proxy_sites_resolved filters: the proxy role's
preflight in one call, the front users' passwords never shown, and the sites its tasks use."""

import copy
import hashlib

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.proxy_settings import (
    proxy_settings_problems, proxy_sites_resolved)

BENTOML_PASSWORD = 'Vq8-tukm-Rz3w-Lp2x'
DASHBOARD_PASSWORD = 'Hs9m-Nw7p-qbzK-c4tT'
# roles/proxy/vars/main.yml's _proxy_site_defaults.
SITE_DEFAULTS = {'redirect_port': 0, 'health_path': '', 'client_max_body_size': '1m', 'websocket': False,
                 'retry_non_idempotent': False, 'auth_users': [], 'upstream_tls': False, 'upstream_tls_name': '',
                 'upstream_ca': ''}
# The front of inventories/production (ops-1, 10.0.0.40) with the role's defaults, as the preflight task passes it.
PRODUCTION = {
    'proxy_sites': [
        {'name': 'mlflow', 'server_name': 'mlops.example.internal', 'listen_port': 443,
         'upstreams': ['10.0.0.21:5000', '10.0.0.22:5000'], 'upstream_tls': True,
         'upstream_tls_name': 'mlflow.backend.internal', 'health_path': '/health', 'client_max_body_size': '1g'},
        {'name': 'bentoml', 'server_name': 'mlops.example.internal', 'listen_port': 3443,
         'upstreams': ['10.0.0.31:3000'], 'upstream_tls': True, 'upstream_tls_name': 'bentoml.backend.internal',
         'health_path': '/readyz', 'auth_users': [{'name': 'inference', 'password': BENTOML_PASSWORD}]},
        {'name': 'airflow', 'server_name': 'mlops.example.internal', 'listen_port': 8443,
         'upstreams': ['10.0.0.40:8080'], 'health_path': '/api/v2/monitor/health'},
        {'name': 'dashboard', 'server_name': 'mlops.example.internal', 'listen_port': 9443,
         'upstreams': ['10.0.0.40:8000'], 'health_path': '/health',
         'auth_users': [{'name': 'operator', 'password': DASHBOARD_PASSWORD}]},
    ],
    'site_defaults': SITE_DEFAULTS, 'proxy_tls': True, 'proxy_tls_certificate': False, 'proxy_tls_key': False,
    'proxy_tls_protocols': ['TLSv1.2', 'TLSv1.3'], 'proxy_tls_extra_names': [], 'proxy_certificate_valid_days': 397,
    'proxy_certificate_renew_days': 30, 'proxy_max_fails': 2, 'proxy_fail_timeout': 10, 'proxy_read_timeout': 300,
    'proxy_next_upstream_tries': 0, 'proxy_upstream_verify_depth': 2,
    'local_hosts': ['localhost', '::1', 'ops-1.example.internal', '10.0.0.40', 'ops-1', 'fe80::1'],
    'host': 'ops-1.example.internal', 'user_uid': 0, 'os_family': 'Debian', 'service_mgr': 'systemd',
}
# The development stack: one site on loopback, plain HTTP behind another terminator.
DEVELOPMENT = dict(PRODUCTION, proxy_tls=False, proxy_sites=[
    {'name': 'app', 'server_name': 'localhost', 'listen_port': 8080, 'upstreams': ['127.0.0.1:5000', '[::1]:5001']}])


def with_site(index, **changes):
    """PRODUCTION with changes to one of its sites."""
    sites = copy.deepcopy(PRODUCTION['proxy_sites'])
    sites[index].update(changes)
    return dict(PRODUCTION, proxy_sites=sites)


@pytest.mark.parametrize('settings', [
    PRODUCTION, DEVELOPMENT, dict(PRODUCTION, proxy_sites=[]),
    dict(PRODUCTION, proxy_tls_certificate=True, proxy_tls_key=True),
    with_site(2, redirect_port=8080, client_max_body_size=512),
    # One upstream host name is the name verified.
    with_site(0, upstreams=['mlflow.backend.internal:5000', 'mlflow.backend.internal:5001'], upstream_tls_name=''),
    with_site(2, upstreams=['ops-1:8080', '[fe80::1]:8080']),
], ids=['production', 'development', 'no sites', 'given certificate', 'redirect', 'derived tls name', 'own names'])
def test_valid_settings_have_no_problems(settings):
    assert proxy_settings_problems(settings) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'proxy_sites': 'mlflow'}, 'proxy_sites', 'must be a list of sites (got a string)'),
    ({'proxy_sites': ['mlflow']}, 'proxy_sites[0]', 'must be a dict with name, server_name, listen_port and upstreams'),
    ({'proxy_sites': [{'name': 'app', 'server_name': 'a.test'}]}, 'proxy_sites[0] (app)',
     'lacks listen_port, upstreams: every site needs'),
    (with_site(1, name='Bento ML'), 'proxy_sites[1] (Bento ML):', "name must be lowercase letters, digits, '_' or '-'"),
    (with_site(1, name='mlflow'), 'proxy_sites[1] (mlflow):', 'name is also the name of proxy_sites[0] (mlflow)'),
    (with_site(1, server_name='mlops example'), 'proxy_sites[1] (bentoml):', "server_name must be a host name "),
    (with_site(1, listen_port=70000), 'proxy_sites[1] (bentoml):', 'listen_port must be a port, 1-65535 (got 70000)'),
    (with_site(1, listen_port=0), 'proxy_sites[1] (bentoml):', 'listen_port must be a port, 1-65535 (got 0)'),
    (with_site(1, listen_port=443), 'proxy_sites[1] (bentoml):',
     'listen_port 443 is also the listen_port of proxy_sites[0] (mlflow): use each port once'),
    (with_site(1, redirect_port=443), 'proxy_sites[1] (bentoml):', 'redirect_port 443 is also the listen_port of proxy_sites[0]'),
    (with_site(1, redirect_port=-80), 'proxy_sites[1] (bentoml):', 'redirect_port must be 0 (none) or a port, 1-65535 (got -80)'),
    (dict(DEVELOPMENT, proxy_sites=[dict(DEVELOPMENT['proxy_sites'][0], redirect_port=8081)]), 'proxy_sites[0] (app):',
     'redirect_port must be 0 while proxy_tls is false (got 8081)'),
    (with_site(1, upstreams='10.0.0.31:3000'), 'proxy_sites[1] (bentoml):',
     "upstreams must be a non-empty list of host:port (got '10.0.0.31:3000')"),
    (with_site(1, upstreams=[]), 'proxy_sites[1] (bentoml):', 'upstreams must be a non-empty list of host:port (got [])'),
    (with_site(1, upstreams=['10.0.0.31:3000', 'serving-1', '10.0.0.32:70000']), 'proxy_sites[1] (bentoml):',
     "upstreams must each be host:port or [IPv6]:port with a port 1-65535 (wrong: ['serving-1', '10.0.0.32:70000'])"),
    (with_site(1, health_path='readyz'), 'proxy_sites[1] (bentoml):',
     "health_path must be empty (no check) or a path starting with '/' (got 'readyz')"),
    (with_site(1, client_max_body_size='1 GB'), 'proxy_sites[1] (bentoml):', "client_max_body_size must be a size such as 1m"),
    (with_site(1, auth_users={'name': 'inference'}), 'proxy_sites[1] (bentoml):', 'auth_users must be a list of {name, password}'),
    (with_site(1, auth_users=[{'name': 'inference'}]), 'proxy_sites[1] (bentoml):',
     'auth_users[0] must be a dict with a name and a password'),
    (with_site(1, auth_users=[{'name': 'in:ference', 'password': BENTOML_PASSWORD}]), 'proxy_sites[1] (bentoml):',
     "auth_users[0] needs a name without ':' or spaces (got 'in:ference')"),
    (with_site(1, auth_users=[{'name': 'inference', 'password': 'Password1234!'}]), 'proxy_sites[1] (bentoml):',
     'the password of auth_users[0] (inference) needs at least 12 characters'),
    (with_site(1, upstream_tls='yes'), 'proxy_sites[1] (bentoml):', "upstream_tls must be true or false (got 'yes')"),
    (with_site(1, upstream_ca='ca.pem'), 'proxy_sites[1] (bentoml):',
     "upstream_ca must be empty (the CA of proxy_upstream_ca) or an absolute path on this host (got 'ca.pem')"),
    (with_site(0, upstream_tls_name=''), 'proxy_sites[0] (mlflow):',
     "upstream_tls_name must be the DNS name nginx verifies every upstream's certificate with (nginx does not match IP "
     "addresses in certificates): set it to a name all the backends' certificates carry (for example "
     "mlflow_tls_extra_names / bentoml_tls_extra_names), or use one upstream host name (got '' for upstreams "
     "10.0.0.21:5000, 10.0.0.22:5000)"),
    (with_site(1, upstream_tls_name=''), 'proxy_sites[1] (bentoml):', "upstream_tls_name must be the DNS name"),
    (with_site(1, upstream_tls_name='bentoml_backend!'), 'proxy_sites[1] (bentoml):', "(got 'bentoml_backend!' for upstreams"),
    (with_site(1, upstream_tls=False), 'proxy_sites[1] (bentoml):',
     'upstream_tls must be true: the upstreams 10.0.0.31 are not on this host (ops-1.example.internal), and plain '
     'HTTP would carry the credentials across the network in clear text. Set upstream_tls: true on the site'),
    (with_site(2, upstreams=['10.0.0.40:8080', '[2001:db8::5]:8080']), 'proxy_sites[2] (airflow):',
     'upstream_tls must be true: the upstreams 2001:db8::5 are not on this host'),
    ({'proxy_tls_certificate': True}, 'proxy_tls_key', 'is empty while proxy_tls_certificate is set: give both'),
    ({'proxy_tls_key': True, 'proxy_tls': False}, 'proxy_tls_certificate', 'is empty while proxy_tls_key is set'),
    ({'proxy_tls_protocols': []}, 'proxy_tls_protocols', 'a list of TLSv1.2 and/or TLSv1.3 (got [])'),
    ({'proxy_tls_protocols': 'TLSv1.3'}, 'proxy_tls_protocols', "(got 'TLSv1.3')"),
    ({'proxy_tls_protocols': ['TLSv1.1', 'TLSv1.2']}, 'proxy_tls_protocols', "(got ['TLSv1.1', 'TLSv1.2'])"),
    ({'proxy_tls_extra_names': 'front.internal'}, 'proxy_tls_extra_names', "must be a list (got 'front.internal')"),
    ({'proxy_certificate_renew_days': 0, 'proxy_certificate_valid_days': 30}, 'proxy_certificate_renew_days',
     'must be at least 1 (got 0)'),
    ({'proxy_certificate_valid_days': 30}, 'proxy_certificate_valid_days',
     'must be more than proxy_certificate_renew_days (30) (got 30)'),
    ({'proxy_max_fails': 0}, 'proxy_max_fails', 'must be a number, 1 or more (got 0)'),
    ({'proxy_max_fails': 'many'}, 'proxy_max_fails', "(got 'many')"),
    ({'proxy_fail_timeout': 0}, 'proxy_fail_timeout', '1 or more (got 0)'),
    ({'proxy_read_timeout': -1}, 'proxy_read_timeout', '1 or more (got -1)'),
    ({'proxy_upstream_verify_depth': 0}, 'proxy_upstream_verify_depth', '1 or more (got 0)'),
    ({'proxy_next_upstream_tries': -1}, 'proxy_next_upstream_tries', '0 (all) or more (got -1)'),
    ({'user_uid': 1000}, 'the proxy role', "needs root on a Debian host with systemd: nginx comes from Debian's package "
                                           "(here: uid 1000, Debian, systemd); run it with become: true"),
    ({'os_family': 'RedHat'}, 'the proxy role', '(here: uid 0, RedHat, systemd)'),
    ({'user_uid': '', 'os_family': '', 'service_mgr': ''}, 'the proxy role', "needs the host's facts"),
])
def test_each_problem_names_its_variable(changes, variable, message):
    problems = proxy_settings_problems(dict(PRODUCTION, **changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ' ') and message in problems[0], problems[0]


def test_every_problem_is_reported_at_once():
    settings = dict(with_site(3, listen_port=0, health_path='health'), proxy_max_fails=0, user_uid=1000)
    problems = proxy_settings_problems(settings)
    assert [problem.split(' ', 1)[0] for problem in problems] == [
        'proxy_sites[3]', 'proxy_sites[3]', 'proxy_max_fails', 'the'], problems
    assert 'listen_port must be' in problems[0] and 'health_path must be' in problems[1]


def test_no_message_shows_a_password():
    users = [{'name': 'ops', 'password': 'Password1234!'}, {'name': 'ann', 'password': 'qwertyuiopas'},
             {'name': 'sam', 'password': 'Kc4t-Hs9m-Nw7p-qbzR'}, {'name': 'bad name', 'password': 'abcdefghijkl'}]
    problems = proxy_settings_problems(with_site(1, auth_users=users))
    assert [problem.split(' needs', 1)[0] for problem in problems] == [
        'proxy_sites[1] (bentoml): auth_users[3]', 'proxy_sites[1] (bentoml): the password of auth_users[0] (ops)',
        'proxy_sites[1] (bentoml): the password of auth_users[1] (ann)',
        'proxy_sites[1] (bentoml): the password of auth_users[3] (bad name)'], problems
    assert not [problem for problem in problems for user in users if user['password'] in problem]


def test_example_secrets_pass_only_when_the_inventory_opts_in(monkeypatch):
    from ansible_collections.efficientai.mlops.plugins.test import strong_password
    monkeypatch.setattr(strong_password, 'EXAMPLE_SECRETS', {hashlib.sha256(DASHBOARD_PASSWORD.encode()).hexdigest()})
    problems = proxy_settings_problems(PRODUCTION)
    assert len(problems) == 1, problems
    assert problems[0].startswith('proxy_sites[3] (dashboard): the password of auth_users[0] (operator) is a value of '
                                  'the example vault'), problems[0]
    assert 'mlops_allow_example_secrets: true' in problems[0] and DASHBOARD_PASSWORD not in problems[0]
    assert proxy_settings_problems(PRODUCTION, allow_example_secrets=True) == []


def test_a_missing_setting_is_the_callers_error():
    with pytest.raises(AnsibleFilterError, match='settings lack local_hosts'):
        proxy_settings_problems({key: value for key, value in PRODUCTION.items() if key != 'local_hosts'})
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        proxy_settings_problems(['proxy_sites'])


@pytest.mark.parametrize('upstreams, given, expected', [
    (['mlflow.backend.internal:5000', 'mlflow.backend.internal:5001'], '', 'mlflow.backend.internal'),
    (['tracking-1:5000', 'tracking-2:5000'], '', ''),
    (['10.0.0.21:5000'], '', ''),
    (['[::1]:5000'], '', ''),
    (['10.0.0.21:5000', '10.0.0.22:5000'], 'mlflow.backend.internal', 'mlflow.backend.internal'),
    (['tracking-1:5000'], 'mlflow.backend.internal', 'mlflow.backend.internal'),
], ids=['one host name', 'two host names', 'an address', 'an IPv6 address', 'given', 'given over the host name'])
def test_the_resolved_tls_name_is_a_shared_host_name(upstreams, given, expected):
    site = {'name': 'mlflow', 'server_name': 'mlops.example.internal', 'listen_port': 443, 'upstreams': upstreams,
            'upstream_tls': True, 'upstream_tls_name': given}
    (resolved,) = proxy_sites_resolved([site], SITE_DEFAULTS)
    assert resolved['upstream_tls_name'] == expected


def test_resolved_sites_carry_every_default_and_keep_their_own_values():
    sites = copy.deepcopy(PRODUCTION['proxy_sites'])
    resolved = proxy_sites_resolved(sites, SITE_DEFAULTS)
    assert sites == PRODUCTION['proxy_sites']  # the input is left alone
    assert [set(site) >= set(SITE_DEFAULTS) for site in resolved] == [True] * 4
    assert resolved[1]['auth_users'] == [{'name': 'inference', 'password': BENTOML_PASSWORD}]
    assert (resolved[0]['client_max_body_size'], resolved[1]['client_max_body_size']) == ('1g', '1m')
    assert [site['upstream_tls_name'] for site in resolved] == ['mlflow.backend.internal', 'bentoml.backend.internal', '', '']


@pytest.mark.parametrize('sites, defaults', [('mlflow', SITE_DEFAULTS), (['mlflow'], SITE_DEFAULTS),
                                             (PRODUCTION['proxy_sites'], None)])
def test_resolving_anything_but_sites_is_the_callers_error(sites, defaults):
    with pytest.raises(AnsibleFilterError, match='check them with proxy_settings_problems first'):
        proxy_sites_resolved(sites, defaults)
