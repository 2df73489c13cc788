# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alert_rules filter: the seed's alert list (name, condition, severity, channels) becomes
Prometheus alerting rules whose `channels` label routes them (see the alertmanager_config
filter)."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import is_duration

# What the names in a condition mean, as PromQL over the metrics the stack exposes.
_NODE_FILESYSTEMS = 'fstype!~"tmpfs|ramfs|squashfs|nsfs|fuse.*"'
METRICS = {
    # BentoML: share of requests answered with a 5xx over 5 minutes.
    'error_rate': ('sum by (job, instance, node, service_name) (rate(bentoml_service_request_total{http_response_code=~"5.."}[5m]))'
                   ' / sum by (job, instance, node, service_name) (rate(bentoml_service_request_total[5m]))'),
    'latency_p95_seconds': ('histogram_quantile(0.95, sum by (job, instance, node, service_name, le) '
                            '(rate(bentoml_service_request_duration_seconds_bucket[5m])))'),
    # The gauge the user's drift job pushes to the Pushgateway.
    'drift_score': 'drift_score',
    'disk_usage_percent': (f'100 * (1 - node_filesystem_avail_bytes{{{_NODE_FILESYSTEMS}}}'
                           f' / node_filesystem_size_bytes{{{_NODE_FILESYSTEMS}}})'),
    'memory_usage_percent': '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)',
    'cpu_usage_percent': '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))',
    # Blackbox probes of the services' health endpoints and ports (1 up, 0 down).
    'service_up': 'probe_success',
    'target_up': 'up',
    # From the status dashboard: error lines per service over its log window.
    'log_errors': 'mlops_log_errors',
    # PostgreSQL's failed attempts to archive a WAL segment over 5 minutes (postgres_exporter's
    # pg_stat_archiver): point-in-time recovery stops at the first segment that is not archived.
    'wal_archive_failures': 'increase(pg_stat_archiver_failed_count[5m])',
    # The exporters of the db and redis hosts (1 answering, 0 not); PostgreSQL's connections in
    # use as a share of max_connections.
    'postgres_up': 'pg_up',
    'postgres_connections_used_ratio': ('sum by (job, instance, node, server) (pg_stat_activity_count)'
                                        ' / max by (job, instance, node, server) (pg_settings_max_connections)'),
    'redis_up': 'redis_up',
    # Days until the earliest certificate of an HTTPS probe expires.
    'certificate_expiry_days': '(probe_ssl_earliest_cert_expiry - time()) / 86400',
    # Free bytes a day from now, on the trend of the last six hours (negative: full within 24 h),
    # for filesystems under 40 % free only: a burst of writes to an emptier disk is not urgent.
    'disk_free_bytes_in_24h': (f'predict_linear(node_filesystem_avail_bytes{{{_NODE_FILESYSTEMS}}}[6h], 86400)'
                               f' and (node_filesystem_avail_bytes{{{_NODE_FILESYSTEMS}}}'
                               f' / node_filesystem_size_bytes{{{_NODE_FILESYSTEMS}}} < 0.4)'),
    # MLflow (mlflow_prometheus_dir): share of requests answered with a 5xx over 5 minutes.
    'mlflow_error_rate': ('sum by (job, instance, node) (rate(mlflow_http_request_total{status=~"5.."}[5m]))'
                          ' / sum by (job, instance, node) (rate(mlflow_http_request_total[5m]))'),
    # Hours since each backup host's newest set (the runner's node_exporter textfile). A host that
    # declares backups but never took a set, and a stack where no host exports the figures at
    # all (node_exporter or its textfile gone), count as never: +Inf.
    'backup_age_hours': ('(time() - mlops_backup_last_success_timestamp_seconds) / 3600'
                         ' or on(instance) (mlops_backup_configured * Inf)'
                         ' or on() (absent(mlops_backup_configured) * Inf)'),
}
SEVERITIES = ('critical', 'warning', 'info')
_CONDITION = re.compile(r'^\s*([a-z_][a-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$')
_ALERT_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
# Where the value was measured, as a person reads it: the inventory host of a probe (node), the
# server an exporter watches (PostgreSQL's host:port), the model a drift job pushed figures for,
# else the scraped instance. The notifications (alertmanager_config) name it the same way.
WHERE_LABELS = ('node', 'server', 'model', 'instance')
_WHERE = '{{ or ' + ' '.join(f'$labels.{label}' for label in WHERE_LABELS) + ' }}'
_ALERT_KEYS = {'name', 'condition', 'severity', 'channels', 'for', 'summary', 'description'}


def _alert_error(index, alert, message):
    name = alert.get('name') if isinstance(alert, dict) else None
    return AnsibleFilterError(f"alert_rules: alerts[{index}]{f' ({name})' if name else ''}: {message}")


def parse_condition(condition, metrics):
    """Return (metric, operator, threshold) of a condition such as 'drift_score > 0.8'."""
    match = _CONDITION.match(condition) if isinstance(condition, str) else None
    if not match:
        raise ValueError(f"condition {condition!r} is not '<metric> <operator> <number>' "
                         "with an operator among >, >=, <, <=, ==, !=")
    metric, operator, threshold = match.groups()
    if metric not in metrics:
        raise ValueError(f"unknown metric {metric!r} in condition {condition!r}; known metrics: "
                         f"{', '.join(sorted(metrics))} (add others with their PromQL to the metrics)")
    return metric, operator, threshold


def _check_severity_channels(severity_channels, channels):
    if not isinstance(severity_channels, dict):
        raise AnsibleFilterError(f'alert_rules: severity_channels must be a dict of severity -> channel names, '
                                 f'got {severity_channels!r}')
    for severity, names in severity_channels.items():
        if severity not in SEVERITIES:
            raise AnsibleFilterError(f'alert_rules: severity_channels: {severity!r} is not a severity; '
                                     f'severities: {", ".join(SEVERITIES)}')
        if isinstance(names, str) or not isinstance(names, list):
            raise AnsibleFilterError(f'alert_rules: severity_channels.{severity} must be a list of channel names, got {names!r}')
        for channel in names:
            if channels is not None and channel not in channels:
                raise AnsibleFilterError(f'alert_rules: severity_channels.{severity}: channel {channel!r} is not defined; '
                                         f'defined channels: {", ".join(sorted(channels)) or "none"}')


def alert_rules(alerts, channels=None, metrics=None, default_for='5m', group='mlops', runbook_url='',
                severity_channels=None, routed_severities=()):
    """Return a Prometheus rule file (as data) for the alerts.

    channels: the notification channels by name; when given, every channel an alert
    names must be one of them. metrics: extra or overriding metric names -> PromQL.
    runbook_url: when set, each alert's annotation runbook_url is it with #<alert name>.
    severity_channels: severity -> channel names, for the alerts that set no `channels`
    (an alert's own list, even empty, wins). routed_severities: the severities whose alerts
    must reach at least one channel (a production stack's critical alerts must wake someone)."""
    if not isinstance(alerts, list):
        raise AnsibleFilterError(f'alert_rules expects a list of alerts, got {type(alerts).__name__}')
    severity_channels = severity_channels or {}
    _check_severity_channels(severity_channels, channels)
    known = dict(METRICS, **(metrics or {}))
    rules, seen = [], set()
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            raise _alert_error(index, alert, f'must be a dict, got {type(alert).__name__}')
        unknown = set(alert) - _ALERT_KEYS
        if unknown:
            raise _alert_error(index, alert, f"unknown keys {sorted(unknown)}; allowed: {sorted(_ALERT_KEYS)}")
        name = alert.get('name')
        if not isinstance(name, str) or not _ALERT_NAME.match(name):
            raise _alert_error(index, alert, f'name must be letters, digits and _ (not starting with a digit), got {name!r}')
        if name in seen:
            raise _alert_error(index, alert, 'the name is used by another alert')
        seen.add(name)
        try:
            metric, operator, threshold = parse_condition(alert.get('condition'), known)
        except ValueError as error:
            raise _alert_error(index, alert, str(error)) from None
        severity = alert.get('severity', 'warning')
        if severity not in SEVERITIES:
            raise _alert_error(index, alert, f'severity must be one of {", ".join(SEVERITIES)}, got {severity!r}')
        wanted = alert.get('channels', severity_channels.get(severity, []))
        if isinstance(wanted, str) or not isinstance(wanted, list):
            raise _alert_error(index, alert, f'channels must be a list of channel names, got {wanted!r}')
        for channel in wanted:
            if channels is not None and channel not in channels:
                raise _alert_error(index, alert, f'channel {channel!r} is not defined; defined channels: '
                                                 f'{", ".join(sorted(channels)) or "none"}')
        if not wanted and severity in routed_severities:
            raise _alert_error(index, alert, f'a {severity} alert must reach a person (routed_severities), but it goes '
                                             f'to no channel: drop its empty channels or name some, and give '
                                             f'severity_channels.{severity} the channels of its severity')
        duration = str(alert.get('for', default_for))
        if not is_duration(duration):
            raise _alert_error(index, alert, f"'for' must be a Prometheus duration such as 5m, got {duration!r}")
        annotations = {
            'summary': alert.get('summary', f'{name}: {alert["condition"].strip()}'),
            'description': alert.get('description', f'{metric} is {{{{ $value }}}} ({operator} {threshold}) '
                                                    f'on {_WHERE}'),
        }
        if runbook_url:
            annotations['runbook_url'] = f'{runbook_url}#{name.lower()}'
        rules.append({
            'alert': name,
            'expr': f'({known[metric]}) {operator} {threshold}',
            'for': duration,
            'labels': {'severity': severity, 'channels': ','.join(wanted)},
            'annotations': annotations,
        })
    return {'groups': [{'name': group, 'rules': rules}]}


class FilterModule:
    """Alerting filters."""

    def filters(self):
        return {
            "alert_rules": alert_rules,
        }
