# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles' settings filters (mlflow_settings_problems, airflow_settings_problems, ...) share:
the caller's mapping checked for completeness, and lenient readers of values that may be wrong."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def checked(settings, required, caller):
    """`settings` itself once it is a dict with every required name; a gap is the caller's bug."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"{caller} expects a dict of settings, got {type(settings).__name__}")
    missing = [name for name in required if name not in settings]
    if missing:
        raise AnsibleFilterError(f"{caller}: settings lack {', '.join(missing)}")
    return settings


def integer(value):
    """The value as an int, or None when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_list(value):
    return isinstance(value, (list, tuple))
