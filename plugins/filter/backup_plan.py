# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the backup role deploys, from its checked settings (backup_settings_problems runs first):
the times of backup_schedule for systemd timers and for cron, and the sources of a set as the
on-host runner reads them (backup.json)."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import checked

_NOT_NAME = re.compile(r'[^A-Za-z0-9]+')
_SOURCE_SETTINGS = ('mlflow', 'postgres', 'dirs', 'dvc_workspaces', 'tables')


def _schedule(schedule, caller):
    if not isinstance(schedule, dict) or not all(isinstance(when, dict) and 'hour' in when for when in schedule.values()):
        raise AnsibleFilterError(f"{caller} expects backup_schedule as {{kind: {{hour, minute, weekday or day}}}}, "
                                 f"got {schedule!r}")
    return schedule.items()


def backup_calendar(schedule):
    """{kind: systemd OnCalendar expression}, such as 'Sun *-*-* 03:30:00' or '*-*-01 04:00:00'."""
    return {kind: (f"{when['weekday']} " if 'weekday' in when else '')
            + '*-*-' + (f"{int(when['day']):02d}" if 'day' in when else '*')
            + f" {int(when['hour']):02d}:{int(when.get('minute', 0)):02d}:00"
            for kind, when in _schedule(schedule, 'backup_calendar')}


def backup_cron(schedule):
    """{kind: the five time fields of a crontab line}, such as '30 3 * * sun'."""
    return {kind: f"{int(when.get('minute', 0))} {int(when['hour'])} {when.get('day', '*')} * "
                  f"{str(when.get('weekday', '*')).lower()}"
            for kind, when in _schedule(schedule, 'backup_cron')}


def _named(prefix, path):
    """A source's name from its path: /etc/efficientai -> files-etc-efficientai."""
    return prefix + _NOT_NAME.sub('-', path).removesuffix('-')


def backup_sources(settings):
    """The sources of a backup set on this host, in the order the runner takes them: MLflow's SQLite
    databases and its artifacts, the PostgreSQL databases (and the cluster's base backup with
    point-in-time recovery), then the directories and the DVC workspaces' metadata.

    `settings`: mlflow (None, or backend, data_dir, auth_enabled and artifacts_path: empty when this
    host keeps none), postgres (None, or databases, port and pitr), dirs, dvc_workspaces and tables
    (those whose rows the runner counts)."""
    settings = checked(settings, _SOURCE_SETTINGS, 'backup_sources')
    mlflow, postgres, tables, sources = settings['mlflow'], settings['postgres'], list(settings['tables']), []
    if mlflow:
        if mlflow['backend'] == 'sqlite':
            sources.append({'name': 'mlflow-db', 'type': 'sqlite', 'path': f"{mlflow['data_dir']}/mlflow.db", 'tables': tables})
            if mlflow['auth_enabled']:
                sources.append({'name': 'mlflow-auth-db', 'type': 'sqlite', 'path': f"{mlflow['data_dir']}/auth.db",
                                'tables': tables})
        if mlflow['artifacts_path']:
            sources.append({'name': 'mlflow-artifacts', 'type': 'files', 'path': mlflow['artifacts_path']})
    if postgres:
        sources += [{'name': f'postgres-{database}', 'type': 'postgres', 'database': database,
                     'port': int(postgres['port']), 'tables': tables} for database in postgres['databases']]
        if postgres['pitr']:
            sources.append({'name': 'postgres-cluster', 'type': 'postgres_base', 'port': int(postgres['port'])})
    sources += [{'name': _named('files', path), 'type': 'files', 'path': path} for path in settings['dirs']]
    sources += [{'name': _named('dvc', workspace), 'type': 'files', 'path': workspace.rstrip('/') + '/.dvc',
                 'exclude': ['cache', 'tmp']} for workspace in settings['dvc_workspaces']]
    return sources


class FilterModule:
    def filters(self):
        return {'backup_calendar': backup_calendar, 'backup_cron': backup_cron, 'backup_sources': backup_sources}
