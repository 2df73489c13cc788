# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The macos_silicon role's settings checked in one call, each problem naming one variable."""

from __future__ import annotations

import re

from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import below, checked, integer, is_abs, is_list, shown

_PYTHON_VERSION = re.compile(r'^3\.(\d+)$')
_OLDEST_MINOR = 10
# (name, lowest, highest) of the bounded numbers
_RANGES = (('macos_silicon_min_free_memory_percent', 0, 90), ('macos_silicon_powermetrics_samples', 0, 60))
_REQUIRED = ('macos_silicon_python', 'macos_silicon_python_version', 'macos_silicon_homebrew_packages',
             'macos_silicon_workers', 'macos_silicon_worker_memory_mb') + tuple(name for name, _low, _high in _RANGES)


def _python(s):
    problems = []
    if s['macos_silicon_python'] != 'homebrew' and not is_abs(s['macos_silicon_python']):
        problems.append(f"macos_silicon_python must be 'homebrew' or the absolute path of an interpreter "
                        f"(got {s['macos_silicon_python']!r})")
    version = s['macos_silicon_python_version']
    found = _PYTHON_VERSION.match(version) if isinstance(version, str) else None
    if not isinstance(version, str):
        # YAML reads an unquoted 3.10 as the number 3.1.
        problems.append(f"macos_silicon_python_version must be a quoted string such as '3.12' (got {shown(version)})")
    elif not found or int(found.group(1)) < _OLDEST_MINOR:
        problems.append(f"macos_silicon_python_version must be a Python release such as 3.12, 3.{_OLDEST_MINOR} or newer "
                        f"(got {version!r})")
    return problems


def _numbers(s):
    problems = below(s, ['macos_silicon_workers'], 0) + below(s, ['macos_silicon_worker_memory_mb'], 128)
    for name, low, high in _RANGES:
        value = integer(s[name])
        if value is None or not low <= value <= high:
            problems.append(f"{name} must be a number from {low} to {high} (got {s[name]!r})")
    return problems


def macos_silicon_settings_problems(settings):
    """Return one message per problem of the macos_silicon role's settings; an empty list means valid."""
    s = checked(settings, _REQUIRED, 'macos_silicon_settings_problems')
    problems = _python(s)
    # The argument spec turns a string into a one-item list; a string here is a mistake.
    if not is_list(s['macos_silicon_homebrew_packages']):
        problems.append(f"macos_silicon_homebrew_packages must be a list of Homebrew formulae "
                        f"(got {shown(s['macos_silicon_homebrew_packages'])})")
    return problems + _numbers(s)


class FilterModule:
    def filters(self):
        return {'macos_silicon_settings_problems': macos_silicon_settings_problems}
