# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment file that the service filters (controller) and the service module (host)
share, and its censored form for diffs. Kept apart from _service.py so that the filters, which
every Ansible worker imports with the collection's other filters, do not import
ansible.module_utils.urls (a quarter of a CPU second per worker)."""

from __future__ import annotations

import re

ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHELL_ESCAPED = re.compile(r'([\\"$`])')
CENSORED = "********"


def env_value(value, what):
    """One value as text; booleans as true/false, nothing that would break a line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, (str, int, float)):
        raise ValueError(f"{what} must be a string or number, got {type(value).__name__}")
    text = str(value)
    if "\n" in text or "\0" in text:
        raise ValueError(f"{what} must not contain a newline or NUL character")
    return text


def render_env(variables, censor=()):
    """The content of an environment file that systemd and sh both read: KEY="value",
    sorted, with sh's special characters escaped. Values of the keys in censor are
    replaced by asterisks (for diffs)."""
    if not isinstance(variables, dict):
        raise ValueError(f"env_file expects a dict, got {type(variables).__name__}")
    lines = []
    for key in sorted(variables):
        if not isinstance(key, str) or not ENV_KEY.match(key):
            raise ValueError(f"env_file: {key!r} is not a valid environment variable name")
        value = CENSORED if key in censor else env_value(variables[key], f"env_file: the value of {key}")
        escaped = _SHELL_ESCAPED.sub(r"\\\1", value)
        lines.append(f'{key}="{escaped}"')
    return "".join(line + "\n" for line in lines)


def censor_env_text(text, keys):
    """An existing environment file with the values of keys replaced, for a diff's before."""
    censored = []
    for line in text.splitlines(keepends=True):
        key = line.split("=", 1)[0]
        censored.append(f'{key}="{CENSORED}"\n' if "=" in line and key in keys else line)
    return "".join(censored)
