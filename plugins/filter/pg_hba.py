# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of pg_hba.conf entries before anything is written."""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError

_TYPES = ('local', 'host', 'hostssl', 'hostnossl')
# Passwords only as SCRAM verifiers; `peer` (the OS user) only on the local socket.
_METHODS = {'local': ('scram-sha-256', 'peer'), 'host': ('scram-sha-256',),
            'hostssl': ('scram-sha-256',), 'hostnossl': ('scram-sha-256',)}
# A database or user field: names, keywords, +group or comma-separated lists of them.
_NAME_LIST = re.compile(r'^[A-Za-z0-9_+.@-]+(,[A-Za-z0-9_+.@-]+)*$')
_LOOPBACK = (ipaddress.ip_network('127.0.0.0/8'), ipaddress.ip_network('::1/128'))


def _is_loopback(network):
    return any(network.version == loopback.version and network.subnet_of(loopback) for loopback in _LOOPBACK)


def _entry_problems(index, entry, require_tls):
    where = f'entry {index + 1}'
    if not isinstance(entry, dict):
        return [f'{where}: must be a dict with type, database, user, address and method']
    problems = []
    unknown = sorted(set(entry) - {'type', 'database', 'user', 'address', 'method'})
    if unknown:
        problems.append(f'{where}: unknown keys {unknown}')
    kind = entry.get('type')
    if kind not in _TYPES:
        return problems + [f'{where}: type must be one of {list(_TYPES)}, got {kind!r}']
    for field in ('database', 'user'):
        if not _NAME_LIST.match(str(entry.get(field) or '')):
            problems.append(f'{where}: {field} must be a name or comma-separated names, got {entry.get(field)!r}')
    method = entry.get('method')
    if method not in _METHODS[kind]:
        problems.append(f'{where}: method must be one of {list(_METHODS[kind])} for type {kind}, got {method!r}')
    address = entry.get('address')
    if kind == 'local':
        if address:
            problems.append(f'{where}: a local entry has no address, got {address!r}')
    else:
        try:
            network = ipaddress.ip_network(str(address or ''), strict=True)
            if '/' not in str(address):
                raise ValueError('no prefix length')
        except ValueError as error:
            problems.append(f'{where}: address must be a CIDR such as 10.0.0.0/24, got {address!r} ({error})')
        else:
            if require_tls and kind != 'hostssl' and not _is_loopback(network):
                problems.append(f"{where} ({kind} {entry.get('database')} {entry.get('user')} {address}): "
                                f'a client outside loopback would send its password without TLS; use type hostssl')
    return problems


def pg_hba_problems(entries, require_tls=False):
    """Return what is wrong with a list of pg_hba entries (an empty list when nothing is).

    With require_tls, only hostssl entries may admit addresses outside loopback."""
    if isinstance(entries, (str, bytes)) or not isinstance(entries, list):
        raise AnsibleFilterError(f'pg_hba_problems expects a list of entries, got {type(entries).__name__}')
    return [problem for index, entry in enumerate(entries) for problem in _entry_problems(index, entry, bool(require_tls))]


class FilterModule:
    """pg_hba validation filter."""

    def filters(self):
        return {'pg_hba_problems': pg_hba_problems}
