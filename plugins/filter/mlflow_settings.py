# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mlflow role's settings checked in one call, each problem naming one variable."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import (
    below, checked, integer, is_abs, is_port, not_absolute, not_lists, server_tls_problems, weak_secrets)

_RELEASE = re.compile(r'^[0-9]+\.[0-9]+\.[0-9]+([a-z0-9.]*)?$')
_BUCKET = re.compile(r'^s3://[a-z0-9][a-z0-9.-]{2,62}(/.*)?$')
_BASE_URL = re.compile(r'^https?://[^/?#@]+/?$')
_USERNAME = re.compile(r'^[A-Za-z0-9_.@-]+$')
_LOOPBACK_NAMES = ('127.0.0.1', '::1', 'localhost')
_SECURE_SSLMODES = ('require', 'verify-ca', 'verify-full')
# Everything the checks read; a caller that leaves one out has a bug, not a bad input.
_REQUIRED = (
    'mlflow_version', 'mlflow_port', 'mlflow_workers', 'mlflow_replicas', 'mlflow_ready_timeout',
    'mlflow_uvicorn_opts', 'mlflow_gunicorn_opts', 'mlflow_data_dir', 'mlflow_prometheus_dir',
    'mlflow_allowed_hosts', 'mlflow_cors_allowed_origins', 'mlflow_extra_packages', 'mlflow_host',
    'mlflow_auth_enabled', 'mlflow_auth_cache_seconds', 'mlflow_backend', 'mlflow_db_name', 'mlflow_auth_db_name',
    'mlflow_db_options', 'mlflow_db_tls', 'mlflow_db_host', 'mlflow_db_loopback', 'mlflow_db_tls_ca_dir',
    'mlflow_artifacts_destination', 'mlflow_artifacts_store', 'mlflow_s3_endpoint_url', 'mlflow_s3_keys_paired',
    'mlflow_artifacts_server', 'mlflow_artifacts_server_port', 'mlflow_artifacts_url', 'mlflow_tracking_group',
    'mlflow_tracking_hosts', 'mlflow_admin_username', 'mlflow_admin_password', 'mlflow_admin_previous_password',
    'mlflow_flask_secret_key', 'mlflow_db_password', 'mlflow_auth_db_password', 'mlflow_tls',
    'mlflow_tls_certificate', 'mlflow_tls_key', 'mlflow_tls_ca', 'mlflow_tls_extra_names', 'mlflow_tls_ca_dir',
    'user_uid')


def _server(s):
    problems = []
    if not _RELEASE.match(str(s['mlflow_version'])):
        problems.append(f"mlflow_version must be a release such as 3.17.2 (got {s['mlflow_version']!r})")
    port, replicas = integer(s['mlflow_port']), integer(s['mlflow_replicas'])
    if not is_port(s['mlflow_port']):
        problems.append(f"mlflow_port must be a TCP port, 1-65535 (got {s['mlflow_port']!r})")
    if replicas is None or replicas < 1:
        problems.append(f"mlflow_replicas must be a number, 1 or more (got {s['mlflow_replicas']!r})")
    elif is_port(s['mlflow_port']) and port + replicas - 1 >= 65536:
        problems.append(f"mlflow_replicas must leave the replicas' ports mlflow_port to mlflow_port + mlflow_replicas - 1 "
                        f"below 65536 (got {replicas} from port {port}): lower it or mlflow_port")
    elif replicas > 1 and s['mlflow_backend'] != 'postgresql':
        problems.append(f"mlflow_replicas must be 1 with mlflow_backend={s['mlflow_backend']} (got {replicas}): "
                        "replicas share one database, so set mlflow_backend: postgresql to run more")
    problems += below(s, ['mlflow_workers'], 1) + below(s, ['mlflow_auth_cache_seconds'], 0)
    timeout = integer(s['mlflow_ready_timeout'])
    if timeout is None or timeout < 1:
        problems.append(f"mlflow_ready_timeout must be a number of seconds above 0 (got {s['mlflow_ready_timeout']!r})")
    if s['mlflow_uvicorn_opts'] and s['mlflow_gunicorn_opts']:
        problems.append(f"mlflow_gunicorn_opts must be empty when mlflow_uvicorn_opts is set (got {s['mlflow_gunicorn_opts']!r}): "
                        "the server runs under one of them")
    problems += not_absolute(s, ['mlflow_data_dir'])
    if s['mlflow_prometheus_dir'] and not is_abs(s['mlflow_prometheus_dir']):
        problems.append(f"mlflow_prometheus_dir must be empty or an absolute path (got {s['mlflow_prometheus_dir']!r})")
    problems += not_lists(s, ['mlflow_allowed_hosts', 'mlflow_cors_allowed_origins', 'mlflow_extra_packages'])
    # Anyone who can reach the server could read and change every experiment and model.
    if not s['mlflow_auth_enabled'] and s['mlflow_host'] not in _LOOPBACK_NAMES:
        problems.append(f"mlflow_auth_enabled is false while mlflow_host is {s['mlflow_host']}: a server reachable beyond "
                        "loopback must ask for a login. Set mlflow_auth_enabled: true (with mlflow_admin_password), "
                        "or mlflow_host: 127.0.0.1")
    return problems


def _backend(s):
    problems = []
    options = s['mlflow_db_options']
    if not isinstance(options, dict):
        return [f"mlflow_db_options must be a dict (got {options!r})"]
    if s['mlflow_backend'] != 'postgresql':
        return problems
    if s['mlflow_auth_enabled'] and s['mlflow_auth_db_name'] == s['mlflow_db_name']:
        problems.append(f"mlflow_auth_db_name must differ from mlflow_db_name (both {s['mlflow_db_name']!r}): the auth "
                        "and tracking schemas cannot share a database")
    if s['mlflow_db_tls'] and set(options) & {'sslmode', 'sslrootcert'}:
        problems.append(f"mlflow_db_options sets {sorted(set(options) & {'sslmode', 'sslrootcert'})} while mlflow_db_tls "
                        "verifies the PostgreSQL server itself (sslmode=verify-full, sslrootcert): leave sslmode and "
                        "sslrootcert out of mlflow_db_options")
    if not (s['mlflow_db_tls'] or s['mlflow_db_loopback'] or options.get('sslmode') in _SECURE_SSLMODES):
        problems.append(f"mlflow_db_tls is false, which would send the database password in clear text to "
                        f"{s['mlflow_db_host']}: set mlflow_db_tls: true (allowed false only for a loopback "
                        "mlflow_db_host, or with an sslmode of require, verify-ca or verify-full in mlflow_db_options)")
    problems += not_absolute(s, ['mlflow_db_tls_ca_dir'])
    return problems


def _artifacts(s):
    problems = []
    store = str(s['mlflow_artifacts_store'])
    in_s3 = store.startswith('s3://')
    if not (in_s3 or is_abs(store)):
        problems.append(f"mlflow_artifacts_destination must be an absolute directory or s3://bucket[/prefix] "
                        f"(got {s['mlflow_artifacts_destination']!r})")
    elif in_s3 and not _BUCKET.match(store):
        problems.append(f"mlflow_artifacts_destination must name a valid bucket, s3://bucket[/prefix] (got {store!r})")
    if in_s3 and not s['mlflow_s3_keys_paired']:
        problems.append("mlflow_s3_secret_access_key and mlflow_s3_access_key_id go together: give both (from the "
                        "vault) or neither (the host's own credentials)")
    endpoint = s['mlflow_s3_endpoint_url']
    if endpoint and not re.match(r'^https?://', str(endpoint)):
        problems.append(f"mlflow_s3_endpoint_url must be an http(s) URL (got {endpoint!r})")
    if s['mlflow_artifacts_server']:
        first = integer(s['mlflow_port']) or 0
        last = first + (integer(s['mlflow_replicas']) or 1) - 1
        if not is_port(s['mlflow_artifacts_server_port']) or first <= int(s['mlflow_artifacts_server_port']) <= last:
            problems.append(f"mlflow_artifacts_server_port must be 1-65535 and outside the replicas' ports {first}-{last} "
                            f"(got {s['mlflow_artifacts_server_port']})")
    url = s['mlflow_artifacts_url']
    if url:
        https = str(url).startswith('https://')
        plain_loopback = not https and urlsplit(str(url)).hostname in _LOOPBACK_NAMES
        if not _BASE_URL.match(str(url)) or not (https or plain_loopback) or (https and not s['mlflow_tls']):
            problems.append(f"mlflow_artifacts_url must be the base URL of the artifacts-only server, https://<host>:<port> "
                            f"(plain http only to a loopback host; https needs mlflow_tls for the CA that verifies it), "
                            f"got {url!r}")
    # Artifacts on each host's own disk would be a 404 through every other host of the front.
    hosts = integer(s['mlflow_tracking_hosts']) or 0
    if not in_s3 and not url and hosts >= 2:
        problems.append(f"mlflow_artifacts_destination is {store!r} on this host's own disk, but the {hosts} hosts of group "
                        f"{s['mlflow_tracking_group']} each run a tracking server: set mlflow_artifacts_url to the "
                        "artifacts-only server of one of them (mlflow_artifacts_server: true there), or "
                        "mlflow_artifacts_destination to an s3:// bucket (docs/artifacts.md)")
    return problems


def _login(s, allow_examples):
    """The admin login and every secret, by the stack's password rule, never shown."""
    postgresql, auth = s['mlflow_backend'] == 'postgresql', s['mlflow_auth_enabled']
    secrets = ([('mlflow_admin_password', s['mlflow_admin_password'], 12),
                ('mlflow_flask_secret_key', s['mlflow_flask_secret_key'], 32)] if auth else [])
    secrets += [('mlflow_db_password', s['mlflow_db_password'], 12)] if postgresql else []
    secrets += [('mlflow_auth_db_password', s['mlflow_auth_db_password'], 12)] if postgresql and auth else []
    problems = weak_secrets(secrets, allow_examples)
    if not auth:
        return problems
    if s['mlflow_admin_previous_password'] and s['mlflow_admin_previous_password'] == s['mlflow_admin_password']:
        problems.append("mlflow_admin_previous_password must differ from mlflow_admin_password: to rotate the password, "
                        "set the new one in mlflow_admin_password and the current one in mlflow_admin_previous_password")
    if not _USERNAME.match(str(s['mlflow_admin_username'])):
        problems.append(f"mlflow_admin_username must be letters, digits and _.@- only (got {s['mlflow_admin_username']!r})")
    return problems


def _tls(s):
    if not s['mlflow_tls']:
        return []
    return server_tls_problems(s, 'mlflow')


def mlflow_settings_problems(settings, allow_example_secrets=False):
    """Return one message per problem of the mlflow role's settings; an empty list means valid.

    `settings` maps the role's variable names to their values, with the derived values the
    role computes (mlflow_artifacts_store, mlflow_db_loopback, mlflow_tracking_hosts,
    mlflow_s3_keys_paired) and the host's user_uid. No message shows a secret; the S3 keys and the
    TLS key come in as whether they are given."""
    settings = checked(settings, _REQUIRED, 'mlflow_settings_problems')
    return _server(settings) + _backend(settings) + _artifacts(settings) + _login(settings, allow_example_secrets) + _tls(settings)


class FilterModule:
    def filters(self):
        return {'mlflow_settings_problems': mlflow_settings_problems}
