# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a restore replaces a service's data: the writers of that data stop first."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def restore_replaces(plans, sources):
    """True when one of the restore hosts' plans ({sources, postgres_cluster}, the backup role's
    fact backup_restore_replaces) replaces one of the sources (like postgres-airflow). A
    point-in-time recovery rewinds the whole cluster, so every postgres-* source with it."""
    if not isinstance(plans, list) or not all(isinstance(plan, dict) for plan in plans):
        raise AnsibleFilterError(f'restore_replaces: expected a list of restore plans ({{sources, postgres_cluster}}), got {plans!r}')
    if not isinstance(sources, list):
        raise AnsibleFilterError(f'restore_replaces: expected a list of source names, got {sources!r}')
    for plan in plans:
        if set(sources) & set(plan.get('sources', [])):
            return True
        if plan.get('postgres_cluster') and any(str(name).startswith('postgres-') for name in sources):
            return True
    return False


class FilterModule:
    """Restore filters."""

    def filters(self):
        return {'restore_replaces': restore_replaces}
