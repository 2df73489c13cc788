# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The proxy role's settings checked in one call, each problem naming one variable (a site by its
index and name); the front users' passwords are judged by the stack's password rule and never shown.
The sites as the role's tasks use them come from the same code (proxy_sites_resolved)."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import (
    below, checked, integer, is_abs, is_list, is_port, kind, not_lists, paired_problems, weak_secrets)
from ansible_collections.efficientai.mlops.plugins.test.strong_password import MIN_LENGTH

_NAME = re.compile(r'[a-z0-9][a-z0-9_-]*')
_UPSTREAM = re.compile(r'(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})')
_SERVER_NAME = re.compile(r'[A-Za-z0-9*.-]+')
_BODY_SIZE = re.compile(r'[0-9]+[kKmMgG]?')
_TLS_NAME = re.compile(r'[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?')
# nginx's basic-auth file is name:hash, one user a line.
_USER_NAME = re.compile(r'[^:\s]+')
# nginx matches DNS names only: an IPv4 address, or anything with a colon (IPv6), is no TLS name.
_IP = re.compile(r'[0-9.]+|.*:.*')
_PORT_SUFFIX = re.compile(r':[0-9]+$')
_SITE_KEYS = ('name', 'server_name', 'listen_port', 'upstreams')
_TLS_PROTOCOLS = ('TLSv1.2', 'TLSv1.3')
_AT_LEAST_ONE = ('proxy_max_fails', 'proxy_fail_timeout', 'proxy_read_timeout', 'proxy_upstream_verify_depth')
# Everything the checks read; a caller that leaves one out has a bug, not a bad input.
_REQUIRED = ('proxy_sites', 'site_defaults', 'proxy_tls', 'proxy_tls_certificate', 'proxy_tls_key',
             'proxy_tls_protocols', 'proxy_tls_extra_names', 'proxy_certificate_valid_days',
             'proxy_certificate_renew_days', 'proxy_next_upstream_tries', 'local_hosts', 'host', 'user_uid',
             'os_family', 'service_mgr') + _AT_LEAST_ONE


def _host(upstream):
    """The host of host:port ([::1] keeps its brackets)."""
    return _PORT_SUFFIX.sub('', str(upstream))


def _resolved(site, defaults):
    """A site with the defaults filled in; upstream_tls_name, when empty, is the upstreams' host
    name if they all share one (never an address: nginx does not match those in certificates)."""
    site = {**defaults, **site}
    hosts = list(dict.fromkeys(_host(upstream) for upstream in site['upstreams'])) if is_list(site['upstreams']) else []
    shared = hosts[0] if len(hosts) == 1 and not _IP.fullmatch(hosts[0]) else ''
    site['upstream_tls_name'] = site['upstream_tls_name'] or shared
    return site


def proxy_sites_resolved(sites, defaults):
    """The sites as the role's tasks use them; call it on sites proxy_settings_problems passed."""
    if not is_list(sites) or not isinstance(defaults, dict) or not all(isinstance(site, dict) for site in sites):
        raise AnsibleFilterError('proxy_sites_resolved expects a list of sites (dicts) and a dict of defaults: '
                                 'check them with proxy_settings_problems first')
    return [_resolved(site, defaults) for site in sites]


def _where(index, site):
    """How a message names a site: its index, and its name when it has one."""
    name = site.get('name')
    return f"proxy_sites[{index}] ({name})" if name not in (None, '') else f"proxy_sites[{index}]"


def _is_upstream(upstream):
    match = _UPSTREAM.fullmatch(str(upstream))
    return bool(match) and is_port(match.group(2))


def _upstream_problems(where, upstreams):
    if not is_list(upstreams) or not upstreams:
        return [f"{where}: upstreams must be a non-empty list of host:port (got {upstreams!r})"]
    wrong = [upstream for upstream in upstreams if not _is_upstream(upstream)]
    if wrong:
        return [f"{where}: upstreams must each be host:port or [IPv6]:port with a port 1-65535 (wrong: {wrong!r})"]
    return []


def _plain_problems(where, site, s):
    """Plain HTTP would carry the front users' credentials (and the services' own) in clear text:
    only to upstreams on this host."""
    if site['upstream_tls']:
        return []
    hosts = dict.fromkeys(re.sub(r'^\[(.*)\]$', r'\1', _host(upstream)) for upstream in site['upstreams'])
    remote = [host for host in hosts if host not in s['local_hosts'] and not host.startswith('127.')]
    if not remote:
        return []
    return [f"{where}: upstream_tls must be true: the upstreams {', '.join(remote)} are not on this host ({s['host']}), "
            "and plain HTTP would carry the credentials across the network in clear text. Set upstream_tls: true on "
            "the site (and TLS on the backends, e.g. mlflow_tls / bentoml_tls), or reach them on loopback or this "
            "host's own address"]


def _upstream_tls_problems(where, site, upstreams_valid):
    problems = []
    if not isinstance(site['upstream_tls'], bool):
        problems.append(f"{where}: upstream_tls must be true or false (got {site['upstream_tls']!r})")
    if site['upstream_ca'] != '' and not is_abs(site['upstream_ca']):
        problems.append(f"{where}: upstream_ca must be empty (the CA of proxy_upstream_ca) or an absolute path on this "
                        f"host (got {site['upstream_ca']!r})")
    # A name derived from upstreams that are wrong anyway would only repeat their problem.
    name = site['upstream_tls_name']
    if site['upstream_tls'] and (upstreams_valid or name) and not _TLS_NAME.fullmatch(str(name)):
        upstreams = ', '.join(map(str, site['upstreams'])) if is_list(site['upstreams']) else site['upstreams']
        problems.append(f"{where}: upstream_tls_name must be the DNS name nginx verifies every upstream's certificate "
                        "with (nginx does not match IP addresses in certificates): set it to a name all the backends' "
                        "certificates carry (for example mlflow_tls_extra_names / bentoml_tls_extra_names), or use one "
                        f"upstream host name (got {name!r} for upstreams {upstreams})")
    return problems


def _user_problems(where, users, allow_examples):
    """The front users: a list of {name, password}; names fit the basic-auth file, passwords the rule."""
    if not is_list(users):
        return [f"{where}: auth_users must be a list of {{name, password}} (got {kind(users)})"]
    problems, secrets = [], []
    for index, user in enumerate(users):
        if not isinstance(user, dict) or 'name' not in user or 'password' not in user:
            problems.append(f"{where}: auth_users[{index}] must be a dict with a name and a password")
            continue
        if not _USER_NAME.fullmatch(str(user['name'])):
            problems.append(f"{where}: auth_users[{index}] needs a name without ':' or spaces (got {user['name']!r})")
        secrets.append((f"{where}: the password of auth_users[{index}] ({user['name']})", user['password'], MIN_LENGTH))
    return problems + weak_secrets(secrets, allow_examples)


def _site_problems(index, raw, s, allow_examples):
    if not isinstance(raw, dict):
        return [f"proxy_sites[{index}] must be a dict with name, server_name, listen_port and upstreams "
                f"(got {kind(raw)})"]
    where = _where(index, raw)
    missing = [key for key in _SITE_KEYS if key not in raw]
    if missing:
        return [f"{where} lacks {', '.join(missing)}: every site needs name, server_name, listen_port and upstreams"]
    site = _resolved(raw, s['site_defaults'])
    problems = []
    if not _NAME.fullmatch(str(site['name'])):
        problems.append(f"{where}: name must be lowercase letters, digits, '_' or '-', starting with a letter or digit "
                        f"(got {site['name']!r})")
    if not _SERVER_NAME.fullmatch(str(site['server_name'])):
        problems.append(f"{where}: server_name must be a host name of letters, digits, '.', '-' or '*' "
                        f"(got {site['server_name']!r})")
    if not is_port(site['listen_port']):
        problems.append(f"{where}: listen_port must be a port, 1-65535 (got {site['listen_port']!r})")
    if integer(site['redirect_port']) != 0 and not is_port(site['redirect_port']):
        problems.append(f"{where}: redirect_port must be 0 (none) or a port, 1-65535 (got {site['redirect_port']!r})")
    elif integer(site['redirect_port']) != 0 and not s['proxy_tls']:
        problems.append(f"{where}: redirect_port must be 0 while proxy_tls is false (got {site['redirect_port']!r}): it "
                        "redirects plain HTTP to HTTPS")
    if site['health_path'] != '' and not str(site['health_path']).startswith('/'):
        problems.append(f"{where}: health_path must be empty (no check) or a path starting with '/' "
                        f"(got {site['health_path']!r})")
    if not _BODY_SIZE.fullmatch(str(site['client_max_body_size'])):
        problems.append(f"{where}: client_max_body_size must be a size such as 1m or 512m (digits, then k, m or g) "
                        f"(got {site['client_max_body_size']!r})")
    upstreams = _upstream_problems(where, site['upstreams'])
    plain = [] if upstreams else _plain_problems(where, site, s)
    return (problems + upstreams + plain + _upstream_tls_problems(where, site, not upstreams)
            + _user_problems(where, site['auth_users'], allow_examples))


def _shared_problems(sites):
    """Each name once, and each port once across every site's listen_port and redirect_port."""
    problems, names, ports = [], {}, {}
    for index, site in enumerate(sites):
        if not isinstance(site, dict):
            continue
        where = _where(index, site)
        if 'name' in site and str(site['name']) in names:
            problems.append(f"{where}: name is also the name of {names[str(site['name'])]}: give each site its own name")
        elif 'name' in site:
            names[str(site['name'])] = where
        for key in ('listen_port', 'redirect_port'):
            if not is_port(site.get(key, 0)):
                continue
            port = int(site[key])
            if port in ports:
                problems.append(f"{where}: {key} {port} is also the {ports[port]}: use each port once across the "
                                "sites' listen_port and redirect_port")
            ports.setdefault(port, f"{key} of {where}")
    return problems


def _sites(s, allow_examples):
    sites = s['proxy_sites']
    # The argument spec turns a string into a one-item list; a string here is a mistake.
    if not is_list(sites):
        return [f"proxy_sites must be a list of sites (got {kind(sites)})"]
    problems = []
    for index, site in enumerate(sites):
        problems += _site_problems(index, site, s, allow_examples)
    return problems + _shared_problems(sites)


def _tls(s):
    problems = []
    # Checked with or without proxy_tls: one of them alone is a mistake either way.
    problems += paired_problems(s, 'proxy_tls_certificate', 'proxy_tls_key',
                                "paths on the controller or PEM (vault the key), or neither to get a certificate "
                                "of the private CA in proxy_ca_dir")
    protocols = s['proxy_tls_protocols']
    if not is_list(protocols) or not protocols or not all(protocol in _TLS_PROTOCOLS for protocol in protocols):
        problems.append(f"proxy_tls_protocols must be a list of TLSv1.2 and/or TLSv1.3 (got {protocols!r})")
    problems += not_lists(s, ['proxy_tls_extra_names'])
    renew, valid = integer(s['proxy_certificate_renew_days']), integer(s['proxy_certificate_valid_days'])
    if renew is None or renew < 1:
        problems.append(f"proxy_certificate_renew_days must be at least 1 (got {s['proxy_certificate_renew_days']!r})")
    # A certificate valid for no longer than the renewal window would be renewed on every run.
    if valid is None or valid <= max(renew or 0, 0):
        problems.append(f"proxy_certificate_valid_days must be more than proxy_certificate_renew_days "
                        f"({s['proxy_certificate_renew_days']!r}) (got {s['proxy_certificate_valid_days']!r})")
    return problems


def _upstream_settings(s):
    problems = below(s, _AT_LEAST_ONE, 1)
    tries = integer(s['proxy_next_upstream_tries'])
    if tries is None or tries < 0:
        problems.append(f"proxy_next_upstream_tries must be a number, 0 (all) or more (got {s['proxy_next_upstream_tries']!r})")
    return problems


def _host_problems(s):
    if s['user_uid'] == '':
        return ["the proxy role needs the host's facts (user_uid, os_family, service_mgr): gather them "
                "(gather_facts: true, or ansible.builtin.setup) before its checks"]
    if integer(s['user_uid']) == 0 and s['os_family'] == 'Debian' and s['service_mgr'] == 'systemd':
        return []
    return [f"the proxy role needs root on a Debian host with systemd: nginx comes from Debian's package (here: uid "
            f"{s['user_uid']}, {s['os_family']}, {s['service_mgr']}); run it with become: true on such a host"]


def proxy_settings_problems(settings, allow_example_secrets=False):
    """Return one message per problem of the proxy role's settings; an empty list means valid.

    `settings` maps the role's variable names to their values, with `site_defaults` (what a site
    leaves out), `local_hosts` (the names and addresses of this host), `host` (the inventory name)
    and the host's user_uid, os_family and service_mgr. The certificate and key come in as whether
    they are given; the front users' passwords are judged and never shown."""
    s = checked(settings, _REQUIRED, 'proxy_settings_problems')
    return _sites(s, allow_example_secrets) + _tls(s) + _upstream_settings(s) + _host_problems(s)


class FilterModule:
    def filters(self):
        return {'proxy_settings_problems': proxy_settings_problems,
                'proxy_sites_resolved': proxy_sites_resolved}
