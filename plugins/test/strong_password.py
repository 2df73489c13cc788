# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Jinja test that refuses empty, short and well-known passwords in preflight checks."""

from __future__ import annotations

import re

MIN_LENGTH = 12
_MIN_DISTINCT = 5
# Defaults and placeholders seen in guides and images; compared after trimming digits and
# punctuation at both ends, so that `password1234` and `Changeme!2024` are caught too.
_WELL_KNOWN = frozenset((
    'password', 'passw0rd', 'changeme', 'change-me', 'changeit', 'secret', 'admin', 'administrator',
    'root', 'toor', 'postgres', 'mlflow', 'airflow', 'bentoml', 'default', 'qwerty', 'qwertyuiop',
    'letmein', 'welcome', 'test', 'example', 'abc', 'abcdef', 'abcdefgh', 'iloveyou', 'monkey',
    'dragon', 'master', 'please-change', 'insecure', 'dummy', 'foobar', 'supersecret'))
_EDGES = re.compile(r'^[\W\d_]+|[\W\d_]+$')


def strong_password(value):
    """True for a string of at least 12 characters, with at least 5 different characters,
    that is not a well-known default once digits and punctuation at its ends are trimmed."""
    if not isinstance(value, str) or len(value) < MIN_LENGTH or len(set(value)) < _MIN_DISTINCT:
        return False
    return _EDGES.sub('', value).lower() not in _WELL_KNOWN


class TestModule:
    """Password strength test."""

    def tests(self):
        return {'strong_password': strong_password}
