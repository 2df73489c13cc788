# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup role's settings checked in one call, each problem naming one variable."""

from __future__ import annotations

import re

from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import (
    checked, integer, is_abs, is_list, not_absolute)

_DATABASE = re.compile(r'^[a-z_][a-z0-9_]{0,62}$')
_BUCKET = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
_AGE_RECIPIENT = re.compile(r'^age1[0-9a-z]{58}$')
_WEEKDAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_SCHEDULED = ('daily', 'weekly', 'monthly')
_KEPT = ('daily', 'weekly', 'monthly', 'manual')
_DIRECTORY_LISTS = ('backup_dvc_workspaces', 'backup_config_dirs', 'backup_extra_dirs')
_REQUIRED = ('backup_root', 'backup_compression', 'backup_zstd_level', 'backup_min_free_mb', 'backup_postgres_databases',
             'backup_pitr_archive_timeout', 'backup_schedule', 'backup_keep', 'backup_keep_safety', 'backup_s3_bucket',
             'backup_s3_endpoint_url', 'backup_s3_keys_paired', 'backup_encryption', 'backup_encryption_recipients',
             'backup_set_names') + _DIRECTORY_LISTS


def _in_range(value, low, high):
    number = integer(value)
    return number is not None and low <= number <= high


def _area(s):
    problems = not_absolute(s, ['backup_root'])
    if s['backup_compression'] not in ('auto', 'zstd', 'gzip'):
        problems.append(f"backup_compression must be auto, zstd or gzip (got {s['backup_compression']!r})")
    if not _in_range(s['backup_zstd_level'], 1, 19):
        problems.append(f"backup_zstd_level must be 1-19 (got {s['backup_zstd_level']!r})")
    if not _in_range(s['backup_min_free_mb'], 0, float('inf')):
        problems.append(f"backup_min_free_mb must be a number of MB, 0 or more (got {s['backup_min_free_mb']!r})")
    if not _in_range(s['backup_pitr_archive_timeout'], 10, float('inf')):
        problems.append(f"backup_pitr_archive_timeout must be at least 10 seconds (got {s['backup_pitr_archive_timeout']!r})")
    databases = s['backup_postgres_databases']
    if not is_list(databases) or [name for name in databases if not _DATABASE.match(str(name))]:
        problems.append(f"backup_postgres_databases must be a list of PostgreSQL database names (got {databases!r})")
    for name in _DIRECTORY_LISTS:
        if not is_list(s[name]):
            problems.append(f"{name} must be a list of absolute paths (got {s[name]!r})")
        elif [path for path in s[name] if not is_abs(path)]:
            problems.append(f"{name} must hold absolute paths only (got {[path for path in s[name] if not is_abs(path)]})")
    names = s['backup_set_names']
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        problems.append(f"backup_extra_dirs, backup_config_dirs and backup_dvc_workspaces must not hold two directories "
                        f"that map to the same set file ({', '.join(doubled)}): name each directory once")
    return problems


def _entry_problems(kind, entry):
    """Why a schedule entry is not {hour, minute, weekday or day}, or []."""
    if not isinstance(entry, dict):
        return [f"must be a dict of hour, minute and weekday or day (got {entry!r})"]
    problems = []
    if not _in_range(entry.get('hour'), 0, 23):
        problems.append(f"hour must be 0-23 (got {entry.get('hour')!r})")
    if not _in_range(entry.get('minute', 0), 0, 59):
        problems.append(f"minute must be 0-59 (got {entry.get('minute')!r})")
    if 'weekday' in entry and entry['weekday'] not in _WEEKDAYS:
        problems.append(f"weekday must be one of {', '.join(_WEEKDAYS)} (got {entry['weekday']!r})")
    if 'day' in entry and not _in_range(entry['day'], 1, 28):
        problems.append(f"day must be 1-28, a day every month has (got {entry['day']!r})")
    return [f"backup_schedule.{kind}: {problem}" for problem in problems]


def _schedules(s):
    problems = []
    schedule, keep = s['backup_schedule'], s['backup_keep']
    if not isinstance(schedule, dict) or set(schedule) - set(_SCHEDULED):
        problems.append(f"backup_schedule must map daily, weekly and monthly to their times (got {schedule!r})")
    else:
        for kind, entry in schedule.items():
            problems += _entry_problems(kind, entry)
    if not isinstance(keep, dict) or set(keep) - set(_KEPT):
        problems.append(f"backup_keep must map daily, weekly, monthly and manual to counts (got {keep!r})")
    elif [kind for kind, count in keep.items() if not _in_range(count, 0, float('inf'))]:
        problems.append(f"backup_keep must keep 0 or more sets of each kind (got {keep!r})")
    if not _in_range(s['backup_keep_safety'], 1, float('inf')):
        problems.append(f"backup_keep_safety must be at least 1: the newest verified set is never pruned "
                        f"(got {s['backup_keep_safety']!r})")
    return problems


def _upload(s):
    problems = []
    bucket, encryption, recipients = s['backup_s3_bucket'], s['backup_encryption'], s['backup_encryption_recipients']
    if bucket and not _BUCKET.match(str(bucket)):
        problems.append(f"backup_s3_bucket must be an S3 bucket name (got {bucket!r})")
    if s['backup_s3_endpoint_url'] and not re.match(r'^https?://', str(s['backup_s3_endpoint_url'])):
        problems.append(f"backup_s3_endpoint_url must be an http(s) URL (got {s['backup_s3_endpoint_url']!r})")
    if not s['backup_s3_keys_paired']:
        problems.append("backup_s3_secret_access_key and backup_s3_access_key_id go together: give both (from the vault) "
                        "or neither (the host's own credentials)")
    if encryption not in ('none', 'age', 'gpg'):
        problems.append(f"backup_encryption must be none, age or gpg (got {encryption!r})")
    if not is_list(recipients):
        problems.append("backup_encryption_recipients must be a list of public keys")
    elif encryption != 'none' and not recipients:
        problems.append(f"backup_encryption_recipients must name at least one public key with backup_encryption={encryption}")
    elif encryption == 'age' and [key for key in recipients if not _AGE_RECIPIENT.match(str(key))]:
        problems.append("backup_encryption_recipients must be age public keys (age1...) with backup_encryption=age: never "
                        "private ones, the host only encrypts")
    elif encryption == 'gpg' and [key for key in recipients if 'BEGIN PGP PUBLIC KEY BLOCK' not in str(key)]:
        problems.append("backup_encryption_recipients must be ASCII-armored gpg public keys with backup_encryption=gpg: "
                        "never private ones, the host only encrypts")
    # A set holds the databases and /etc/efficientai (every service's secrets).
    if bucket and encryption == 'none':
        problems.append(f"backup_encryption is 'none' while backup_s3_bucket is {bucket!r}: every set would leave the host "
                        "unencrypted, secrets included. Set backup_encryption to age or gpg with "
                        "backup_encryption_recipients (public keys only; the decryption key stays off the hosts)")
    return problems


def backup_settings_problems(settings):
    """Return one message per problem of the backup role's settings; an empty list means valid.

    `settings` maps the role's variable names to their values, with backup_set_names (the set
    file of each source, which must not repeat) and backup_s3_keys_paired (whether both S3 keys or
    neither are given: the keys never come in)."""
    s = checked(settings, _REQUIRED, 'backup_settings_problems')
    return _area(s) + _schedules(s) + _upload(s)


class FilterModule:
    def filters(self):
        return {'backup_settings_problems': backup_settings_problems}
