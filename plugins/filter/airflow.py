# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading Airflow's health answer, which is HTTP 200 even when components are down."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def airflow_unhealthy(health, expected, since=''):
    """Return the expected components that are not healthy, each with the reason.

    `health` is the JSON of /api/v2/monitor/health; a component counts as healthy when
    it is present, says "healthy" and, when `since` (an ISO-8601 UTC time) is given, its
    latest heartbeat is not older than `since`."""
    if not isinstance(health, dict):
        raise AnsibleFilterError(f"airflow_unhealthy expects the health JSON as a dict, got {type(health).__name__}")
    if isinstance(expected, str) or not isinstance(expected, (list, tuple)):
        raise AnsibleFilterError("airflow_unhealthy: expected must be a list of component names")
    problems = []
    for name in expected:
        component = health.get(name)
        if not isinstance(component, dict):
            problems.append(f"{name} (not reported)")
            continue
        status = component.get('status')
        if status != 'healthy':
            problems.append(f"{name} ({status or 'no status'})")
            continue
        heartbeat = component.get(f'latest_{name}_heartbeat')
        # ISO-8601 times in UTC compare as strings up to the seconds.
        if since and heartbeat and str(heartbeat)[:19] < str(since)[:19]:
            problems.append(f"{name} (last heartbeat {heartbeat}, before {since})")
    return problems


class FilterModule:
    def filters(self):
        return {'airflow_unhealthy': airflow_unhealthy}
