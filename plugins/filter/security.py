# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the preflight checklist and the security audit: the ports each host declares, what
holds them, the pass/fail table, and the parsing of systemd-analyze and apt outputs."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.efficientai.mlops.plugins.module_utils._table import align

STATUSES = ('PASS', 'WARN', 'FAIL')
# Port variables per inventory group, their defaults, and the systemd units allowed to hold them.
_PORTS = (
    ('tracking', 'mlflow_port', 5000, r'^mlflow'),
    ('db', 'postgres_port', 5432, r'^postgresql'),
    ('orchestration', 'airflow_api_port', 8080, r'^airflow'),
    ('redis', 'airflow_redis_port', 6379, r'^(redis|airflow)'),
    ('monitoring', 'monitoring_dashboard_port', 8000, r'dashboard'),
)
_UNIT_ROW = re.compile(r'^(\S+\.(?:service|socket|scope))\s+(\d+(?:\.\d+)?)\s+(\S+)')
_OVERALL = re.compile(r'Overall exposure level for (\S+): (\d+(?:\.\d+)?) (\S+)')
_UPGRADABLE = re.compile(r'^([^/\s]+)/(\S+) (\S+) \S+ \[upgradable from: ([^\]]+)\]$')


def declared_ports(host_vars, group_names):
    """[{name, port, unit}] of the ports a host's services listen on, from its inventory variables;
    `unit` is a regular expression of the systemd units that may hold the port."""
    if not hasattr(host_vars, 'get'):
        raise AnsibleFilterError(f'declared_ports: expected the host variables (a mapping), got {type(host_vars).__name__}')
    ports = [{'name': name, 'port': int(host_vars.get(name, default)), 'unit': unit}
             for group, name, default, unit in _PORTS if group in group_names]
    if 'proxy' in group_names:
        for site in host_vars.get('proxy_sites', []):
            ports.extend({'name': f"proxy_sites[{site['name']}].{key}", 'port': int(site[key]), 'unit': r'^nginx'}
                         for key in ('listen_port', 'redirect_port') if int(site.get(key) or 0))
    if 'serving' in group_names:
        ports.extend({'name': f"bentoml_services[{service['name']}].port", 'port': int(service['port']),
                      'unit': r'^bentoml'} for service in host_vars.get('bentoml_services', []) if 'port' in service)
    for extra in host_vars.get('preflight_extra_ports', []):
        ports.append({'name': extra['name'], 'port': int(extra['port']), 'unit': extra.get('unit', '^$')})
    return ports


def port_checks(declared, sockets, host='-'):
    """Preflight rows {host, check, status, detail}: a declared port passes when it is free or held by a
    unit its pattern allows, and fails when something else holds it."""
    rows = []
    for port in declared:
        holders = [s for s in sockets if s['port'] == port['port'] and s['proto'] == 'tcp']
        strangers = [s for s in holders if not re.search(port['unit'], s.get('unit') or '')]
        check = f"port {port['port']} ({port['name']})"
        if not holders:
            rows.append({'host': host, 'check': check, 'status': 'PASS', 'detail': 'free'})
        elif not strangers:
            rows.append({'host': host, 'check': check, 'status': 'PASS', 'detail': f"held by our {holders[0]['unit']}"})
        else:
            taker = strangers[0]
            who = ', '.join(part for part in (taker.get('process'), taker.get('unit'),
                                              taker.get('user') and f"user {taker['user']}") if part)
            rows.append({'host': host, 'check': check, 'status': 'FAIL',
                         'detail': f"taken by {who or 'a process this host does not show'} on {taker['address']}"})
    return rows


def undeclared_listeners(sockets, declared, allowed=None):
    """Sockets listening on a non-loopback address on a port that is neither declared nor allowed."""
    known = {port['port'] for port in declared} | set(allowed or [])
    return [s for s in sockets
            if s['proto'] == 'tcp' and s['port'] not in known and not re.match(r'^(127\.|::ffff:127\.|::1$|localhost)', s['address'])]


def preflight_table(rows):
    """Lines of the checklist table (HOST CHECK STATUS DETAIL) and a summary line."""
    for row in rows:
        if row.get('status') not in STATUSES or not row.get('check'):
            raise AnsibleFilterError(f'preflight_table: each row needs a check and a status among {STATUSES}, got {row!r}')
    lines = align(('HOST', 'CHECK', 'STATUS', 'DETAIL'),
                  [(row.get('host', '-'), row['check'], row['status'], row.get('detail', '')) for row in rows])
    counts = {status: sum(1 for row in rows if row['status'] == status) for status in STATUSES}
    lines.append(f"{counts['PASS']} passed, {counts['WARN']} warnings, {counts['FAIL']} blockers")
    return lines


def systemd_exposure(text):
    """[{unit, exposure, predicate}] from `systemd-analyze security` (the table of several units, or the
    detailed report of one)."""
    units = [{'unit': m.group(1), 'exposure': float(m.group(2)), 'predicate': m.group(3)}
             for m in map(_UNIT_ROW.match, text.splitlines()) if m]
    if not units:
        units = [{'unit': m.group(1), 'exposure': float(m.group(2)), 'predicate': m.group(3)}
                 for m in _OVERALL.finditer(text)]
    if not units and text.strip():
        raise AnsibleFilterError(f'systemd_exposure: no unit found in the output of systemd-analyze security: {text[:200]!r}')
    return units


def security_updates(text):
    """[{package, version, installed, source}] of `apt list --upgradable` lines from a -security suite."""
    updates = []
    for line in text.splitlines():
        match = _UPGRADABLE.match(line.strip())
        if match and any(source.endswith('-security') for source in match.group(2).split(',')):
            updates.append({'package': match.group(1), 'version': match.group(3),
                            'installed': match.group(4), 'source': match.group(2)})
    return updates


class FilterModule:
    """Preflight and security audit filters."""

    def filters(self):
        return {
            'declared_ports': declared_ports,
            'port_checks': port_checks,
            'undeclared_listeners': undeclared_listeners,
            'preflight_table': preflight_table,
            'systemd_exposure': systemd_exposure,
            'security_updates': security_updates,
        }
