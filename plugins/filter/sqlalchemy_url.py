# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQLAlchemy database URLs (MLflow's backend store, auth store, Airflow's metadata DB)."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote, urlencode

from ansible.errors import AnsibleFilterError

# psycopg2 is what the applications install; a bare postgresql:// maps to psycopg 3 in
# SQLAlchemy 2, which is not installed.
_DRIVERS = {'sqlite': 'sqlite', 'postgresql': 'postgresql+psycopg2'}
_HOST = re.compile(r'^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$')


def _required(database, key):
    value = database.get(key)
    if value is None or value == '':
        raise AnsibleFilterError(f"sqlalchemy_url: '{key}' is required for {database.get('dialect')}")
    return str(value)


def sqlalchemy_url(database):
    """Return the URL of a database described by a dict.

    sqlite: {dialect: sqlite, path: /absolute/file.db}
    postgresql: {dialect: postgresql, host, port, database, user, password, query: {sslmode: ...}}
    User, password and database are percent-encoded, so any character is safe in them."""
    if not isinstance(database, dict):
        raise AnsibleFilterError(f'sqlalchemy_url expects a dict, got {type(database).__name__}')
    dialect = database.get('dialect')
    if dialect not in _DRIVERS:
        raise AnsibleFilterError(f'sqlalchemy_url: dialect must be one of {sorted(_DRIVERS)}, got {dialect!r}')
    if dialect == 'sqlite':
        path = _required(database, 'path')
        if not posixpath.isabs(path):
            raise AnsibleFilterError(f'sqlalchemy_url: the sqlite path must be absolute, got {path!r}')
        return f'sqlite:///{path}'

    host = _required(database, 'host')
    if ':' in host and not host.startswith('['):
        host = f'[{host}]'
    if not _HOST.match(host):
        raise AnsibleFilterError(f'sqlalchemy_url: {host!r} is not a host name or IP address')
    port = database.get('port', 5432)
    if isinstance(port, bool) or not str(port).isdigit() or not 0 < int(port) < 65536:
        raise AnsibleFilterError(f'sqlalchemy_url: port must be 1-65535, got {port!r}')
    credentials = quote(_required(database, 'user'), safe='')
    if database.get('password'):
        credentials += ':' + quote(str(database['password']), safe='')
    url = f"{_DRIVERS[dialect]}://{credentials}@{host}:{int(port)}/{quote(_required(database, 'database'), safe='')}"
    query = database.get('query') or {}
    if not isinstance(query, dict):
        raise AnsibleFilterError('sqlalchemy_url: query must be a dict of connection parameters')
    return url + ('?' + urlencode(sorted((str(k), str(v)) for k, v in query.items())) if query else '')


class FilterModule:
    """Database URL filter."""

    def filters(self):
        return {'sqlalchemy_url': sqlalchemy_url}
