# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The airflow role's settings checked in one call, each problem naming one variable; secrets
are judged by the stack's one password rule and never shown."""

from __future__ import annotations

import re

from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import (
    below, checked, given_certificate_problems, integer, is_list, is_port, not_absolute, not_lists, weak_secrets)

_RELEASE = re.compile(r'^([0-9]+)\.[0-9]+\.[0-9]+$')
_LOOPBACK = re.compile(r'^(127\.[0-9.]+|::1|localhost)$')
_USERNAME = re.compile(r'^[A-Za-z0-9_.@-]+$')
_FERNET = re.compile(r'^[A-Za-z0-9_-]{43}=$')
_PORTS = ('airflow_api_port', 'airflow_database_port', 'airflow_worker_log_server_port',
          'airflow_trigger_log_server_port', 'airflow_redis_port', 'airflow_flower_port')
# The simple auth manager's roles; FAB also knows the installation's custom roles, so any name passes there.
_SIMPLE_ROLES = ('viewer', 'user', 'op', 'admin')
_TLS_PROTOCOLS = ('TLSv1.2', 'TLSv1.3')
_BROKER_REQUIRED = ('airflow_redis_tls', 'airflow_redis_bind', 'airflow_redis_host',
                    'airflow_redis_tls_certificate', 'airflow_redis_tls_key', 'airflow_redis_tls_ca',
                    'airflow_redis_tls_protocols', 'airflow_redis_tls_extra_names')
_REQUIRED = _BROKER_REQUIRED + (
    'airflow_version', 'airflow_celery_queues', 'airflow_extra_packages', 'airflow_users', 'airflow_flower_users',
    'airflow_executor', 'airflow_database_backend', 'airflow_schedulers', 'airflow_celery_workers', 'airflow_home',
    'airflow_auth_manager', 'airflow_flower_enabled', 'airflow_database_tls', 'airflow_database_host',
    'airflow_ca_dir', 'airflow_secret_key', 'airflow_jwt_secret', 'airflow_fernet_key',
    'airflow_database_password', 'airflow_redis_password', 'airflow_health_timeout', 'airflow_worker_stop_timeout',
    'host', 'worker_host') + _PORTS


def _setup(s):
    problems = []
    release = _RELEASE.match(str(s['airflow_version']))
    if not release or int(release.group(1)) < 3:
        problems.append(f"airflow_version must be a 3.x release such as 3.3.2 (got {s['airflow_version']!r})")
    if not is_list(s['airflow_celery_queues']) or not s['airflow_celery_queues']:
        problems.append(f"airflow_celery_queues must be a list of at least one queue (got {s['airflow_celery_queues']!r})")
    # Users come with their passwords: a wrong value is named by its kind alone.
    problems += not_lists(s, ['airflow_extra_packages', 'airflow_users', 'airflow_flower_users'], shown=False)
    postgresql = s['airflow_database_backend'] == 'postgresql'
    if s['airflow_executor'] == 'CeleryExecutor' and not postgresql:
        problems.append(f"airflow_database_backend must be postgresql with CeleryExecutor (got {s['airflow_database_backend']!r})")
    problems += below(s, ['airflow_schedulers', 'airflow_celery_workers'], 0)
    problems += below(s, ['airflow_health_timeout', 'airflow_worker_stop_timeout'], 1)
    if (integer(s['airflow_schedulers']) or 0) > 1 and not postgresql:
        problems.append(f"airflow_schedulers must be 0 or 1 with airflow_database_backend={s['airflow_database_backend']} "
                        f"(got {s['airflow_schedulers']}): several schedulers need postgresql")
    problems += not_absolute(s, ['airflow_home'])
    for name in _PORTS:
        if not is_port(s[name]):
            problems.append(f"{name} must be a port number 1-65535 (got {s[name]!r})")
    if s['worker_host'] and s['airflow_executor'] != 'CeleryExecutor':
        problems.append(f"airflow_executor must be CeleryExecutor on {s['host']}, which is in group workers and runs "
                        f"Celery workers only (got {s['airflow_executor']!r})")
    return problems


def _secrets(s, allow_examples):
    """Every secret the settings use, by the stack's password rule, and the Fernet key's format."""
    celery = s['airflow_executor'] == 'CeleryExecutor'
    secrets = [('airflow_secret_key', s['airflow_secret_key'], 32), ('airflow_jwt_secret', s['airflow_jwt_secret'], 64),
               ('airflow_fernet_key', s['airflow_fernet_key'], 44)]
    if s['airflow_database_backend'] == 'postgresql':
        secrets.append(('airflow_database_password', s['airflow_database_password'], 12))
    if celery:
        secrets.append(('airflow_redis_password', s['airflow_redis_password'], 16))
    for name in ('airflow_users', 'airflow_flower_users'):
        for index, user in enumerate(s[name] if is_list(s[name]) else []):
            if isinstance(user, dict) and user.get('state', 'present') != 'absent':
                secrets.append((f"the password of {name}[{index}] ({user.get('username', '')})", user.get('password', ''), 12))
    problems = weak_secrets(secrets, allow_examples)
    # Fernet: 32 bytes, url-safe base64 (44 characters ending in '=').
    if not _FERNET.match(str(s['airflow_fernet_key'])):
        problems.append("airflow_fernet_key must be a Fernet key, the same on every Airflow host (python -c 'from "
                        "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')")
    return problems


def _database_tls(s):
    problems = []
    if (s['airflow_database_backend'] == 'postgresql' and not s['airflow_database_tls']
            and not _LOOPBACK.match(str(s['airflow_database_host']))):
        problems.append(f"airflow_database_tls is false, which would send the database password in clear text to "
                        f"{s['airflow_database_host']!r}: set it to true (false only for a loopback airflow_database_host)")
    problems += not_absolute(s, ['airflow_ca_dir'])
    return problems


def airflow_broker_tls_problems(settings):
    """One message per problem of the Celery broker's TLS settings, checked on the broker host and
    on its clients; [] when valid."""
    s = checked(settings, _BROKER_REQUIRED, 'airflow_broker_tls_problems')
    problems = []
    bind = s['airflow_redis_bind'] if is_list(s['airflow_redis_bind']) else [s['airflow_redis_bind']]
    # Plain Redis (password in the clear) only where nothing leaves the host.
    if not s['airflow_redis_tls'] and any(not _LOOPBACK.match(str(address)) for address in list(bind) + [s['airflow_redis_host']]):
        problems.append(f"airflow_redis_tls=false is allowed only when Redis is bound to and reached on loopback "
                        f"(airflow_redis_bind {list(bind)}, airflow_redis_host {s['airflow_redis_host']!r}): set "
                        "airflow_redis_tls: true")
    problems += given_certificate_problems(s, 'airflow_redis_tls_certificate', 'airflow_redis_tls_key', 'airflow_redis_tls_ca',
                                           'or neither to get a certificate of the private CA')
    protocols = s['airflow_redis_tls_protocols']
    if not is_list(protocols) or not protocols or not set(protocols) <= set(_TLS_PROTOCOLS):
        problems.append(f"airflow_redis_tls_protocols must be a list of TLSv1.2 and/or TLSv1.3 (got {protocols!r})")
    problems += not_lists(s, ['airflow_redis_tls_extra_names'])
    return problems


def _user_problems(name, users, check):
    """Problems of a list of users: each a dict with a valid username, then what `check(where, user)` finds."""
    problems = []
    for index, user in enumerate(users if is_list(users) else []):
        where = f"{name}[{index}]"
        if not isinstance(user, dict):
            problems.append(f"{where} must be a dict with a username and a password")
            continue
        if not _USERNAME.match(str(user.get('username', ''))):
            problems.append(f"{where} needs a username of letters, digits, '_', '.', '@' or '-' (got {user.get('username', '')!r})")
        problems += check(f"{where} ({user.get('username', '')})", user)
    return problems


def _users(s):
    fab = s['airflow_auth_manager'] == 'fab'

    def role(where, user):
        given = user.get('role', '')
        if user.get('state', 'present') == 'absent' or (given if fab else given in _SIMPLE_ROLES):
            return []
        expected = 'a role' if fab else f"a role, one of {', '.join(_SIMPLE_ROLES)} (the simple auth manager's)"
        return [f"{where} needs {expected} (got {given!r})"]

    def flower_password(where, user):
        return [f"{where} needs a password without ':' or ','"] if re.search('[:,]', str(user.get('password', ''))) else []

    problems = _user_problems('airflow_users', s['airflow_users'], role)
    problems += _user_problems('airflow_flower_users', s['airflow_flower_users'], flower_password)
    if s['airflow_executor'] == 'CeleryExecutor' and s['airflow_flower_enabled'] and not s['airflow_flower_users']:
        problems.append("airflow_flower_users must name at least one user while airflow_flower_enabled is true: Flower "
                        "would be open to anyone")
    return problems


def airflow_settings_problems(settings, allow_example_secrets=False):
    """Return one message per problem of the airflow role's settings; an empty list means valid.

    `settings` maps the role's variable names to their values, with `host` (the inventory name) and
    `worker_host` (whether it is in group workers). No message shows a secret."""
    s = checked(settings, _REQUIRED, 'airflow_settings_problems')
    broker = airflow_broker_tls_problems(s) if s['airflow_executor'] == 'CeleryExecutor' else []
    return _setup(s) + _secrets(s, allow_example_secrets) + _database_tls(s) + broker + _users(s)


class FilterModule:
    def filters(self):
        return {'airflow_settings_problems': airflow_settings_problems,
                'airflow_broker_tls_problems': airflow_broker_tls_problems}
