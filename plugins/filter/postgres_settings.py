# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The postgres role's settings checked in one call, each problem naming one variable."""

from __future__ import annotations

import re

from ansible_collections.efficientai.mlops.plugins.filter.pg_hba import pg_hba_problems
from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import (
    below, checked, is_list, is_port, kind, not_absolute, not_lists, paired_problems, weak_secrets)

# PostgreSQL's identifiers as the role creates them: unquoted, so lowercase, at most 63 bytes.
_NAME = re.compile(r'[a-z_][a-z0-9_]{0,62}')
_LISTEN_ADDRESS = re.compile(r'[0-9A-Za-z.:-]+|\*')
_NAME_RULE = "lowercase letters, digits and '_', at most 63, not starting with a digit"
# postgresql.conf settings the role writes from variables of their own, which postgres_settings would override.
_OWN_VARIABLES = {'port': 'postgres_port', 'listen_addresses': 'postgres_listen_addresses',
                  'max_connections': 'postgres_max_connections', 'ssl': 'postgres_tls'}
# Everything the checks read; a caller that leaves one out has a bug, not a bad input.
_REQUIRED = ('postgres_port', 'postgres_max_connections', 'postgres_listen_addresses', 'postgres_settings',
             'postgres_memory_mb', 'postgres_users', 'postgres_databases', 'postgres_hba_entries', 'postgres_tls',
             'postgres_tls_certificate', 'postgres_tls_key', 'postgres_tls_extra_names', 'postgres_tls_ca_dir')


def _listen_address(value):
    return isinstance(value, str) and bool(_LISTEN_ADDRESS.fullmatch(value))


def _cluster(s):
    problems = []
    if not is_port(s['postgres_port']):
        problems.append(f"postgres_port must be a TCP port, 1-65535 (got {s['postgres_port']!r})")
    problems += below(s, ['postgres_max_connections'], 5)
    addresses = s['postgres_listen_addresses']
    wrong = [address for address in addresses if not _listen_address(address)] if is_list(addresses) else []
    if not is_list(addresses) or not addresses:
        problems.append(f"postgres_listen_addresses must be a non-empty list of addresses, host names or '*' (got {addresses!r})")
    elif wrong:
        problems.append(f"postgres_listen_addresses must hold addresses, host names or '*' only (got {wrong})")
    settings = s['postgres_settings']
    if not isinstance(settings, dict):
        problems.append(f"postgres_settings must be a dict of postgresql.conf settings (got {settings!r})")
    elif set(settings) & set(_OWN_VARIABLES):
        own = sorted(set(settings) & set(_OWN_VARIABLES))
        problems.append(f"postgres_settings must not set {', '.join(own)}: set "
                        f"{', '.join(_OWN_VARIABLES[name] for name in own)} instead")
    return problems + below(s, ['postgres_memory_mb'], 256)


def _entries(name, entries, fields, noun, shown=True):
    """Problems of a list of {name, ...} dicts (names valid and distinct), and its dicts by index.

    `shown` false names a wrong value by its type only: a login role's could hold a password."""
    def value(wrong):
        return repr(wrong) if shown else kind(wrong)

    if not is_list(entries):
        return [f"{name} must be a list of {{{', '.join(fields)}}} (got {value(entries)})"], []
    problems, valid = [], []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"{name}[{index}] must be a dict with {' and '.join(fields)} (got {value(entry)})")
            continue
        valid.append((index, entry))
        if not _NAME.fullmatch(str(entry.get('name', ''))):
            problems.append(f"{name}[{index}] needs a name of {_NAME_RULE} (got {entry.get('name', '')!r})")
    names = [entry.get('name') for _index, entry in valid]
    doubled = sorted({str(each) for each in names if names.count(each) > 1})
    if doubled:
        problems.append(f"{name} must name each {noun} once (got {', '.join(doubled)} more than once)")
    return problems, valid


def _roles(s, allow_examples):
    """The login roles and their passwords, by the stack's password rule, never shown."""
    problems, users = _entries('postgres_users', s['postgres_users'], ('name', 'password'), 'login role', shown=False)
    return problems + weak_secrets([(f"the password of postgres_users[{index}] ({user.get('name', '')})",
                                     user.get('password', ''), 12) for index, user in users], allow_examples)


def _databases(s):
    problems, databases = _entries('postgres_databases', s['postgres_databases'], ('name', 'owner'), 'database')
    if not is_list(s['postgres_users']):
        return problems  # postgres_users has its message; every owner would be unknown.
    # A list, not a set: a wrong name or owner may be unhashable (a list), and is then simply no role.
    roles = [user.get('name') for user in s['postgres_users'] if isinstance(user, dict)] + ['postgres']
    for index, database in databases:
        if database.get('owner') not in roles:
            problems.append(f"postgres_databases[{index}] ({database.get('name', '')}): owner {database.get('owner')!r} is "
                            "not a role of postgres_users nor postgres: add the role to postgres_users or choose one of them")
    return problems


def _hba(s):
    entries = s['postgres_hba_entries']
    if not is_list(entries):
        return [f"postgres_hba_entries must be a list of {{type, database, user, address, method}} (got {entries!r})"]
    # pg_hba_problems keeps its own wording (its filter serves other callers); the prefix names the variable.
    return [f"postgres_hba_entries: {problem}" for problem in pg_hba_problems(list(entries), require_tls=s['postgres_tls'])]


def _tls(s):
    """With TLS, a certificate of one's own comes with its key. The role has no CA variable (it reaches
    the cluster on its socket, not through TLS), so given_certificate_problems' rule of a CA does not apply."""
    if not s['postgres_tls']:
        return []
    problems = paired_problems(s, 'postgres_tls_certificate', 'postgres_tls_key',
                               "paths on the controller or PEM (vault the key), or neither to get a certificate of "
                               "the private CA in postgres_tls_ca_dir")
    return problems + not_lists(s, ['postgres_tls_extra_names']) + not_absolute(s, ['postgres_tls_ca_dir'])


def postgres_settings_problems(settings, allow_example_secrets=False):
    """Return one message per problem of the postgres role's settings; an empty list means valid.

    `settings` maps the role's variable names to their values; postgres_tls_certificate and
    postgres_tls_key come in as whether each is given. No message shows a password."""
    s = checked(settings, _REQUIRED, 'postgres_settings_problems')
    return _cluster(s) + _roles(s, allow_example_secrets) + _databases(s) + _hba(s) + _tls(s)


class FilterModule:
    def filters(self):
        return {'postgres_settings_problems': postgres_settings_problems}
