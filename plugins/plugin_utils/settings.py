# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles' settings filters (mlflow_settings_problems, airflow_settings_problems, ...) and the
other validating filters share: the caller's mapping checked for completeness, lenient readers and
tests of values that may be wrong, the rule of a given certificate, and the messages of secrets that
fail the password rule."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.test.strong_password import example_secret, strong_password


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


def number(value):
    """The value as a float, or None when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def below(settings, names, minimum):
    """A message for each of `names` whose setting is not a whole number of at least `minimum`."""
    return [f"{name} must be a number, {minimum} or more (got {settings[name]!r})"
            for name in names if integer(settings[name]) is None or integer(settings[name]) < minimum]


def is_list(value):
    return isinstance(value, (list, tuple))


def is_abs(value):
    return isinstance(value, str) and value.startswith('/')


def not_lists(settings, names, shown=True):
    """A message for each of `names` whose setting is not a list; `shown` false names a wrong value
    by its kind alone (it may hold a secret)."""
    return [f"{name} must be a list (got {repr(settings[name]) if shown else kind(settings[name])})"
            for name in names if not is_list(settings[name])]


def not_absolute(settings, names):
    """A message for each of `names` whose setting is not an absolute path."""
    return [f"{name} must be an absolute path (got {settings[name]!r})" for name in names if not is_abs(settings[name])]


def is_port(value):
    """A TCP or UDP port, 1-65535, written as digits alone."""
    return bool(re.fullmatch(r'[0-9]{1,5}', str(value))) and 0 < int(value) < 65536


def kind(value):
    """What a value is, by YAML's names, for a message that must not show it (it may hold a
    secret). Ansible's templated values are subclasses of the builtins (_AnsibleTaggedStr), whose
    names mean nothing to the user."""
    if isinstance(value, Mapping):
        return 'a dict'
    if isinstance(value, str):
        return 'a string'
    if is_list(value):
        return 'a list'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    return 'null' if value is None else f"a {type(value).__name__}"


def shown(value):
    """A value as a message shows it: a scalar as it is, a dict or a list (which may hold a secret)
    by its kind alone."""
    return kind(value) if isinstance(value, Mapping) or is_list(value) else repr(value)


# Prometheus's durations (5m, 1h30m, 15d), as its flags and rules take them.
_DURATION = re.compile(r'^([0-9]+(ms|s|m|h|d|w|y))+$')


def is_duration(value):
    return bool(_DURATION.match(str(value)))


def paired_problems(settings, first, second, advice):
    """Two settings given together or not at all (a certificate and its key); settings name
    whether each is given."""
    if bool(settings[first]) == bool(settings[second]):
        return []
    given, missing = (first, second) if settings[first] else (second, first)
    return [f"{missing} is empty while {given} is set: give both, {advice}"]


def given_certificate_problems(settings, certificate, key, ca, advice):
    """A server certificate of one's own comes with its key and the CA that signed it (which the
    roles' checks verify the server with); settings name whether each is given."""
    paired = paired_problems(settings, certificate, key, advice)
    if paired:
        return paired
    if settings[certificate] and not settings[ca]:
        return [f"{ca} is empty while {certificate} is given: set it to the CA that signed the certificate, which "
                "the role's own checks verify the server with"]
    return []


def user_id(settings):
    """The host's user id (`user_uid`) as a message shows it; without facts it is unknown, and
    the checks that need root take it for a user without."""
    return settings['user_uid'] if integer(settings['user_uid']) is not None else 'unknown, facts not gathered'


def server_tls_problems(settings, prefix):
    """A service's own TLS, `<prefix>_tls_*`: a given certificate with its key and CA, else the
    private CA's directory and the extra names of the one made there; and root, as the key goes
    to a root-owned directory. The certificate, key and CA come in as whether each is given."""
    ca_dir = f'{prefix}_tls_ca_dir'
    problems = given_certificate_problems(settings, f'{prefix}_tls_certificate', f'{prefix}_tls_key', f'{prefix}_tls_ca',
                                          "paths on the controller or PEM (vault the key), or neither to get a "
                                          f"certificate of the private CA in {ca_dir}")
    problems += not_lists(settings, [f'{prefix}_tls_extra_names']) + not_absolute(settings, [ca_dir])
    if integer(settings['user_uid']) != 0:
        problems.append(f"{prefix}_tls needs the role to run as root (user id {user_id(settings)}): the key goes to a "
                        "root-owned directory, so set become: true")
    return problems


def weak_secrets(secrets, allow_examples):
    """One message per secret of `secrets`, (name, value, minimum length) tuples, that fails the
    stack's password rule (plugins/test/strong_password.py), naming it and never showing it."""
    problems = []
    for name, value, min_length in secrets:
        if strong_password(value, min_length=min_length, allow_examples=allow_examples):
            continue
        if example_secret(value):
            problems.append(f"{name} is a value of the example vault, whose password is public: replace it with your own "
                            "secret (ansible-vault encrypt_string), or set mlops_allow_example_secrets: true for a "
                            "throwaway test stack (docs/secrets.md)")
        else:
            problems.append(f"{name} needs at least {min_length} characters, not all digits, and no run (abcd, 4321), "
                            "keyboard row (qwerty), repeated part or well-known value (docs/secrets.md)")
    return problems
