# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for every secret of the stack (Jinja tests used by every preflight check).

strong_password: long enough, not all digits, not made of runs (abcd, 9876), keyboard rows
(qwerty, asdf) or a repeated part, not a well-known value, and not a value of the committed
example vault unless the inventory opts in. example_secret: whether a value is one of those."""

from __future__ import annotations

import hashlib
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

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
# Sequences a person walks along, forwards or backwards: the alphabet, the digits and the
# rows of a QWERTY keyboard (the digit row joins 9 to 0, so 123456789012 is one walk).
_SEQUENCES = ('abcdefghijklmnopqrstuvwxyz', '0123456789', '1234567890', '!@#$%^&*()',
              'qwertyuiop', 'asdfghjkl', 'zxcvbnm')
_MIN_RUN = 3

# SHA-256 of each value of the example vault (inventories/production/group_vars/all/vault.yml,
# whose password inventories/production/vault-password.example.txt is public), with its variable.
# A value once committed stays public: keep its line when the vault changes and add the new ones
# (tests/unit/plugins/test/test_strong_password.py fails on a missing one). Print them with:
#   ansible localhost -c local -i localhost, -m debug -e @inventories/production/group_vars/all/vault.yml \
#     --vault-password-file inventories/production/vault-password.example.txt -a "msg={{ dict(query('varnames',
#     '^vault_') | map('extract', hostvars.localhost) | map('hash', 'sha256') | zip(query('varnames', '^vault_'))) }}"
EXAMPLE_SECRETS = {
    '2ab18b88354025dde1fac86c964a11b59f5a2a8a338fb2a915754fabaec71e11': 'vault_airflow_admin_password',
    '9b0bd734521859a5bca466aa3f6dd80472f52afe2769c80a4105e7249e9a950f': 'vault_airflow_fernet_key',
    'b8b187ce7969b708aca6b98ceab321d5c7444707a3d7ccdf03be7b5813efba25': 'vault_airflow_redis_password',
    '802a0c98c0132d8a7ea8d57aaf7d53d293847dc13e519abb2ac4c497b3ef521c': 'vault_airflow_jwt_secret',
    '5827bbe4d6a72056fcfebf7923657e3bd75f5de4c7be54ae56b266152ee327b7': 'vault_airflow_secret_key',
    'a885004c3b73778a31f6c3d8d170494fef3f9d4d5048ae1a6f022d70aaf37dfc': 'vault_mlflow_admin_password',
    'fe86a4f240e367b5c180bad4fe2bb17351dc2471c5641ed398d4d81d4edcaf30': 'vault_mlflow_flask_secret_key',
    '668c5784037bf0aa6d2ecf78869e0c36e9eb4e6ac9a6089254205bbd6a576f59': 'vault_postgres_airflow_password',
    'a5950564d9e9b6b1b59f3034ecdcc228555fe8c69998a7c77100335b4cc3c6c3': 'vault_postgres_mlflow_auth_password',
    '3e5da93d2a7b86bf1d314e649e12a6658131d5bc86cb1b455208057d4c2a082b': 'vault_postgres_mlflow_password',
    '736bf757c4edd33da37b203b3a6104f4589c6fd05ebab97d16a3f9bd9c571065': 'vault_postgres_monitoring_password',
    'e5b5e89b6e98a84e7cd526c0131fc44349acea89ba12646b85c686f744184294': 'vault_proxy_bentoml_password',
    '7066971c822a798ceba49987554315ebbce3517c9b1047066844680b8cf498fa': 'vault_proxy_dashboard_password',
    'a5079722ff77fd59942105deaac42dde04039eb3d286c494c35bb5c61c825dfc': 'vault_pagerduty_routing_key',
    'f5c388734d28087b33b453e43c4383711da5a9948dcbb607b7bdbebc176ab7d8': 'vault_slack_webhook_url',
    'da29e58cf22663c28164f5bc0770431605a7b942a9551bcc56a4337ae9fd196e': 'vault_smtp_password',
}


def _neighbour_steps():
    """Each ordered pair of neighbours in _SEQUENCES ('ab', 'ba', 'we', ...) with its
    directions: (sequence index, +1 or -1)."""
    steps = {}
    for index, sequence in enumerate(_SEQUENCES):
        for first, second in zip(sequence, sequence[1:]):
            steps.setdefault(first + second, set()).add((index, 1))
            steps.setdefault(second + first, set()).add((index, -1))
    return steps


_STEPS = {pair: frozenset(directions) for pair, directions in _neighbour_steps().items()}


def _step(pair):
    """The directions in which the two characters of pair walk: 'same' for a repeat."""
    return frozenset(('same',)) if pair[0] == pair[1] else _STEPS.get(pair, frozenset())


def _chars_outside_runs(text):
    """How many characters of text are in no run of _MIN_RUN or more characters: the same
    character repeated, or a walk in one direction along one of _SEQUENCES."""
    in_run = [False] * len(text)
    start, directions = 0, frozenset()
    for end in range(1, len(text) + 1):
        step = _step(text[end - 1:end + 1]) if end < len(text) else frozenset()
        if directions & step:
            directions = directions & step
            continue
        if end - start >= _MIN_RUN:
            in_run[start:end] = [True] * (end - start)
        start, directions = end - 1, step
    return in_run.count(False)


def _is_pattern(text):
    """Whether text is a short part repeated (abc!abc!abc!) or mostly runs: at most a quarter of
    its characters (at most 2 of a short text) are outside runs."""
    if len(text) < 6:
        return False
    repeated = any(text == (text[:size] * len(text))[:len(text)] for size in range(1, len(text) // 2 + 1))
    return repeated or _chars_outside_runs(text) < max(3, len(text) // 4)


def example_secret(value):
    """True when value is one of the committed example vault's values."""
    return isinstance(value, str) and hashlib.sha256(value.encode('utf-8')).hexdigest() in EXAMPLE_SECRETS


def strong_password(value, min_length=MIN_LENGTH, allow_examples=False):
    """True for a secret that passes the rule (see the module's docstring): at least min_length
    characters, 5 different ones, and neither the value nor its core (digits and punctuation at
    both ends trimmed) a well-known value or a pattern of runs, rows and repeats."""
    try:
        min_length, allow_examples = int(min_length), boolean(allow_examples, strict=True)
    except (TypeError, ValueError) as error:
        raise AnsibleFilterError(f'strong_password: min_length must be a number and allow_examples a boolean ({error})')
    if min_length < MIN_LENGTH:
        raise AnsibleFilterError(f'strong_password: min_length must be at least {MIN_LENGTH} (got {min_length})')
    if not isinstance(value, str) or len(value) < min_length or len(set(value)) < _MIN_DISTINCT:
        return False
    if value.isdigit() or (example_secret(value) and not allow_examples):
        return False
    lowered = value.lower()
    core = _EDGES.sub('', lowered)
    # The core alone is judged when it is most of the value (abcdefghijkl2024!).
    core_is_pattern = 2 * len(core) >= len(value) and _is_pattern(core)
    return core not in _WELL_KNOWN and not core_is_pattern and not _is_pattern(lowered)


class TestModule:
    """The password rule and the example-vault check."""

    def tests(self):
        return {'strong_password': strong_password, 'example_secret': example_secret}
