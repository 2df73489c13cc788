# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitoring role's settings checked in one call, each problem naming one variable."""

from __future__ import annotations

import re

from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import (
    below, checked, integer, is_duration, is_list, is_port, not_absolute, not_lists, weak_secrets)

_LISTEN = re.compile(r'^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):[0-9]{1,5}$')
_CLUSTER_LISTEN = re.compile(r'^[^:]*:[0-9]{1,5}$')
# Addresses where a password may travel without TLS (IPv6 in brackets, as in host:port).
_LOOPBACK = re.compile(r'^(127\.[0-9.]+|\[::1\]|localhost)$')
_SSLMODES = ('disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full')
_SECURE_SSLMODES = ('require', 'verify-ca', 'verify-full')
_LISTS = ('monitoring_alerts', 'monitoring_services', 'monitoring_node_hosts', 'monitoring_log_services')
_DURATIONS = ('monitoring_prometheus_retention_time', 'monitoring_scrape_interval', 'monitoring_evaluation_interval',
              'monitoring_alertmanager_group_wait', 'monitoring_alertmanager_group_interval',
              'monitoring_alertmanager_repeat_interval', 'monitoring_alert_for', 'monitoring_probe_timeout')
_REQUIRED = ('monitoring_components', 'known_components', 'units', 'listen', 'monitoring_alertmanager_cluster_listen_address',
             'monitoring_log_window_minutes', 'monitoring_dashboard_refresh_seconds', 'monitoring_dashboard_port',
             'postgres_target', 'redis_target', 'monitoring_postgres_exporter_sslmode', 'monitoring_postgres_exporter_password',
             'monitoring_redis_exporter_password', 'monitoring_redis_exporter_tls', 'monitoring_ca_dir', 'user_uid',
             'os_family', 'service_mgr') + _LISTS + _DURATIONS


def _listen_variable(key):
    return ('monitoring_dashboard_listen_host with monitoring_dashboard_port' if key == 'dashboard'
            else f'monitoring_{key}_listen_address')


def _setup(s):
    problems = []
    components = s['monitoring_components']
    if not is_list(components):
        problems.append(f"monitoring_components must be a list among {', '.join(s['known_components'])} (got {components!r})")
    elif set(components) - set(s['known_components']):
        problems.append(f"monitoring_components must be among {', '.join(s['known_components'])} "
                        f"(got {sorted(set(components) - set(s['known_components']))} too)")
    problems += not_lists(s, _LISTS)
    cluster = s['monitoring_alertmanager_cluster_listen_address']
    if cluster and not _CLUSTER_LISTEN.match(str(cluster)):
        problems.append(f"monitoring_alertmanager_cluster_listen_address must be empty or host:port (got {cluster!r})")
    problems += below(s, ['monitoring_log_window_minutes', 'monitoring_dashboard_refresh_seconds'], 1)
    if not is_port(s['monitoring_dashboard_port']):
        problems.append(f"monitoring_dashboard_port must be a port number 1-65535 (got {s['monitoring_dashboard_port']!r})")
    problems += [f"{_listen_variable(key)} must be host:port, such as 127.0.0.1:9091 (got {address!r})"
                 for key, address in s['listen'].items() if not _LISTEN.match(str(address))]
    problems += [f"{name} must be a Prometheus duration such as 30s, 5m or 15d (got {s[name]!r})"
                 for name in _DURATIONS if not is_duration(s[name])]
    if s['units'] and (integer(s['user_uid']) != 0 or s['os_family'] != 'Debian' or s['service_mgr'] != 'systemd'):
        problems.append(f"monitoring_components {', '.join(s['units'])} come from Debian's packages and need root and "
                        f"systemd (here: uid {s['user_uid']}, {s['os_family']}, {s['service_mgr']}): on such a host set "
                        "monitoring_components: [dashboard] (and the exporters' *_enabled: false)")
    return problems


def _exporters(s, allow_examples):
    problems = []
    units = s['units']
    if 'postgres_exporter' in units and not s['postgres_target']:
        problems.append("monitoring_services must hold a postgresql service for the PostgreSQL exporter (db hosts exist): "
                        "add it, or set monitoring_postgres_exporter_enabled: false")
    if 'redis_exporter' in units and not s['redis_target']:
        problems.append("monitoring_services must hold a redis service for the Redis exporter: add it, or set "
                        "monitoring_redis_exporter_enabled: false")
    sslmode = s['monitoring_postgres_exporter_sslmode']
    if sslmode not in _SSLMODES:
        problems.append(f"monitoring_postgres_exporter_sslmode must be a libpq sslmode, one of {', '.join(_SSLMODES)} (got {sslmode!r})")
    # Passwords travel in clear text only on loopback.
    postgres_host = re.sub(r':[0-9]+$', '', str(s['postgres_target']))
    if 'postgres_exporter' in units and sslmode in _SSLMODES and sslmode not in _SECURE_SSLMODES and not _LOOPBACK.match(postgres_host):
        problems.append(f"monitoring_postgres_exporter_sslmode must be require, verify-ca or verify-full (got {sslmode!r}): "
                        f"the exporter sends its password to {s['postgres_target']}, not a loopback address")
    redis_host = re.sub(r':[0-9]+$', '', str(s['redis_target']))
    if 'redis_exporter' in units and not s['monitoring_redis_exporter_tls'] and not _LOOPBACK.match(redis_host):
        problems.append(f"monitoring_redis_exporter_tls must be true: the exporter sends its password to "
                        f"{s['redis_target']}, not a loopback address")
    problems += not_absolute(s, ['monitoring_ca_dir'])
    # The PostgreSQL exporter needs a password; Redis's is empty when the server has none.
    secrets = [('monitoring_postgres_exporter_password', s['monitoring_postgres_exporter_password'], 12)] if 'postgres_exporter' in units else []
    if 'redis_exporter' in units and s['monitoring_redis_exporter_password']:
        secrets.append(('monitoring_redis_exporter_password', s['monitoring_redis_exporter_password'], 12))
    return problems + weak_secrets(secrets, allow_examples)


def monitoring_settings_problems(settings, allow_example_secrets=False):
    """Return one message per problem of the monitoring role's settings; an empty list means valid.

    `settings` maps the role's variable names to their values, with what the role derives:
    known_components, units (the Debian components of this host, exporters included), listen
    (each component's host:port), postgres_target and redis_target (the exporters' targets), and
    the host's user_uid, os_family and service_mgr facts. No message shows a secret."""
    s = checked(settings, _REQUIRED, 'monitoring_settings_problems')
    return _setup(s) + _exporters(s, allow_example_secrets)


class FilterModule:
    def filters(self):
        return {'monitoring_settings_problems': monitoring_settings_problems}
