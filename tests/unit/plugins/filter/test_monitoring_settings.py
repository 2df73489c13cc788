"""Unit tests of the monitoring_settings_problems filter: the monitoring role's preflight in one call."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.monitoring_settings import monitoring_settings_problems

KNOWN = ['prometheus', 'alertmanager', 'pushgateway', 'node_exporter', 'blackbox_exporter', 'dashboard']
EXPORTER_PASSWORD = 'Hs9m-Nw7p-qbzK-c4tT'
# The monitoring host of inventories/production, as the preflight task passes it.
PRODUCTION = {
    'monitoring_components': KNOWN, 'known_components': KNOWN,
    'units': ['prometheus', 'alertmanager', 'pushgateway', 'node_exporter', 'blackbox_exporter', 'postgres_exporter',
              'redis_exporter'],
    'listen': {'prometheus': '127.0.0.1:9090', 'alertmanager': '127.0.0.1:9093', 'node_exporter': '10.0.0.40:9100',
               'postgres_exporter': '[::1]:9187', 'dashboard': '127.0.0.1:9091'},
    'monitoring_alerts': [], 'monitoring_services': [], 'monitoring_node_hosts': [], 'monitoring_log_services': [],
    'monitoring_alertmanager_cluster_listen_address': '', 'monitoring_log_window_minutes': 60,
    'monitoring_dashboard_refresh_seconds': 30, 'monitoring_dashboard_port': 9091,
    'monitoring_prometheus_retention_time': '15d', 'monitoring_scrape_interval': '15s',
    'monitoring_evaluation_interval': '15s', 'monitoring_alertmanager_group_wait': '30s',
    'monitoring_alertmanager_group_interval': '5m', 'monitoring_alertmanager_repeat_interval': '4h',
    'monitoring_alert_for': '1m', 'monitoring_probe_timeout': '1m30s',
    'postgres_target': '10.0.0.10:5432', 'redis_target': '10.0.0.40:6379',
    'monitoring_postgres_exporter_sslmode': 'verify-full', 'monitoring_postgres_exporter_password': EXPORTER_PASSWORD,
    'monitoring_redis_exporter_password': 'Lp2x-Rz3w-tukm-Vq8A', 'monitoring_redis_exporter_tls': True,
    'monitoring_ca_dir': '/root/.efficientai/pki', 'user_uid': 0, 'os_family': 'Debian', 'service_mgr': 'systemd',
}
# The development stack: the dashboard alone, as a user, on any system.
DEVELOPMENT = dict(PRODUCTION, monitoring_components=['dashboard'], units=[], listen={'dashboard': '127.0.0.1:9091'},
                   postgres_target='', redis_target='', monitoring_postgres_exporter_password='',
                   monitoring_redis_exporter_password='', user_uid=1000, os_family='Darwin', service_mgr='launchd')


@pytest.mark.parametrize('settings', [
    PRODUCTION, DEVELOPMENT,
    dict(PRODUCTION, postgres_target='127.0.0.1:5432', monitoring_postgres_exporter_sslmode='disable',
         redis_target='localhost:6379', monitoring_redis_exporter_tls=False, monitoring_redis_exporter_password=''),
], ids=['production', 'development', 'loopback targets'])
def test_valid_settings_have_no_problems(settings):
    assert monitoring_settings_problems(settings) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'monitoring_components': 'prometheus'}, 'monitoring_components', "must be a list among prometheus"),
    ({'monitoring_components': ['prometheus', 'grafana']}, 'monitoring_components', "(got ['grafana'] too)"),
    ({'monitoring_alerts': {'down': {}}}, 'monitoring_alerts', 'must be a list'),
    ({'monitoring_log_services': 'mlflow'}, 'monitoring_log_services', "(got 'mlflow')"),
    ({'monitoring_alertmanager_cluster_listen_address': '0.0.0.0'}, 'monitoring_alertmanager_cluster_listen_address',
     "host:port (got '0.0.0.0')"),
    ({'monitoring_log_window_minutes': 0}, 'monitoring_log_window_minutes', '1 or more (got 0)'),
    ({'monitoring_dashboard_refresh_seconds': 'often'}, 'monitoring_dashboard_refresh_seconds', "(got 'often')"),
    ({'monitoring_dashboard_port': 70000}, 'monitoring_dashboard_port', 'a port number 1-65535 (got 70000)'),
    ({'listen': {'prometheus': 'everywhere'}}, 'monitoring_prometheus_listen_address',
     "must be host:port, such as 127.0.0.1:9091 (got 'everywhere')"),
    ({'listen': {'dashboard': '127.0.0.1:-5'}}, 'monitoring_dashboard_listen_host with monitoring_dashboard_port',
     "(got '127.0.0.1:-5')"),
    ({'monitoring_prometheus_retention_time': 'two weeks'}, 'monitoring_prometheus_retention_time',
     "a Prometheus duration such as 30s, 5m or 15d (got 'two weeks')"),
    ({'monitoring_probe_timeout': 10}, 'monitoring_probe_timeout', '(got 10)'),
    ({'user_uid': 1000}, 'monitoring_components', "need root and systemd (here: uid 1000, Debian, systemd)"),
    ({'service_mgr': 'launchd'}, 'monitoring_components', 'monitoring_components: [dashboard]'),
    ({'postgres_target': ''}, 'monitoring_services', 'a postgresql service for the PostgreSQL exporter'),
    ({'redis_target': ''}, 'monitoring_services', 'a redis service for the Redis exporter'),
    ({'monitoring_postgres_exporter_sslmode': 'strict'}, 'monitoring_postgres_exporter_sslmode', "libpq sslmode"),
    ({'monitoring_postgres_exporter_sslmode': 'disable'}, 'monitoring_postgres_exporter_sslmode',
     "must be require, verify-ca or verify-full (got 'disable'): the exporter sends its password to 10.0.0.10:5432"),
    ({'monitoring_redis_exporter_tls': False}, 'monitoring_redis_exporter_tls', 'sends its password to 10.0.0.40:6379'),
    ({'monitoring_ca_dir': 'pki'}, 'monitoring_ca_dir', "absolute path (got 'pki')"),
    ({'monitoring_postgres_exporter_password': 'short'}, 'monitoring_postgres_exporter_password', 'needs at least 12'),
    ({'monitoring_redis_exporter_password': 'qwertyuiopas'}, 'monitoring_redis_exporter_password', 'needs at least 12'),
])
def test_each_problem_names_its_variable(changes, variable, message):
    problems = monitoring_settings_problems(dict(PRODUCTION, **changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ' ') and message in problems[0], problems[0]
    assert EXPORTER_PASSWORD not in problems[0] and 'qwertyuiopas' not in problems[0]


def test_the_exporters_passwords_are_checked_only_where_they_run():
    assert monitoring_settings_problems(dict(PRODUCTION, units=['prometheus'], monitoring_postgres_exporter_password='',
                                             monitoring_redis_exporter_password='short')) == []
    # Redis without a password is allowed: its exporter then logs in with none.
    assert monitoring_settings_problems(dict(PRODUCTION, monitoring_redis_exporter_password='')) == []


def test_a_missing_setting_is_the_callers_error():
    with pytest.raises(AnsibleFilterError, match='settings lack listen'):
        monitoring_settings_problems({key: value for key, value in PRODUCTION.items() if key != 'listen'})
