# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grandfather-father-son retention of backup sets (the same rules the on-host runner applies)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.efficientai.mlops.plugins.module_utils._backup import SET_ID, BackupError, retention


def backup_retention(sets, daily=7, weekly=4, monthly=12, manual=5):
    """{keep, prune, reasons} for sets [{id, kind, verified}]."""
    if not isinstance(sets, list) or not all(isinstance(s, dict) for s in sets):
        raise AnsibleFilterError(f'backup_retention: expected a list of sets ({{id, kind, verified}}), got {sets!r}')
    for item in sets:
        if not SET_ID.match(str(item.get('id', ''))):
            raise AnsibleFilterError(f"backup_retention: {item.get('id')!r} is not a set id like 20261127T020000Z")
    try:
        return retention(sets, {'daily': daily, 'weekly': weekly, 'monthly': monthly, 'manual': manual})
    except BackupError as error:
        raise AnsibleFilterError(f'backup_retention: {error}') from None


class FilterModule:
    """Backup retention filter."""

    def filters(self):
        return {'backup_retention': backup_retention}
