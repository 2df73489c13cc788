"""Unit tests of the password rule (strong_password) and the example-vault check (example_secret)."""

import hashlib
import os
import secrets

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.efficientai.mlops.plugins.test import strong_password as plugin
from ansible_collections.efficientai.mlops.plugins.test.strong_password import EXAMPLE_SECRETS, example_secret, strong_password

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
PRODUCTION = os.path.join(REPO, 'inventories', 'production')


class _VaultLoader(yaml.SafeLoader):
    """Reads `!vault |` values as their ciphertext."""


_VaultLoader.add_constructor('!vault', lambda loader, node: loader.construct_scalar(node))


def _example_vault():
    """{vault_* name: plaintext} of the committed example vault."""
    with open(os.path.join(PRODUCTION, 'vault-password.example.txt'), 'rb') as password:
        vault = VaultLib([('default', VaultSecret(password.read().strip()))])
    with open(os.path.join(PRODUCTION, 'group_vars', 'all', 'vault.yml')) as stream:
        return {name: vault.decrypt(ciphertext).decode() for name, ciphertext in yaml.load(stream, _VaultLoader).items()}


EXAMPLES = _example_vault()


@pytest.mark.parametrize('password', [
    'tracking-db-Secret-42', 'correct horse battery', 'x7#Lq9!vB2m@', '8#4@1Kz!93_1', 'Summer2024!!',
])
def test_acceptable(password):
    assert strong_password(password)


@pytest.mark.parametrize('make', [
    lambda: secrets.token_urlsafe(9), lambda: secrets.token_urlsafe(24), lambda: secrets.token_urlsafe(48),
    lambda: secrets.token_hex(16), lambda: secrets.token_hex(32),
])
def test_random_secrets_are_acceptable(make):
    for secret in (make() for count in range(2000)):
        assert strong_password(secret, min_length=len(secret)), secret


@pytest.mark.parametrize('password', [
    # empty, short, too few different characters, well-known (also with digits and punctuation around)
    None, '', 'short', 'elevenchars', 'aaaaaaaaaaaaaaaa', 'abababababab', 123456789012,
    'password1234', 'Password1234!', 'changeme-2024', '2024!Changeme', 'postgres12345', 'qwertyuiop12',
    # all digits
    '902184736150', '31415926535897932384',
    # runs, ascending or descending, letters or digits, also repeated
    '123456789012', '1234567890123', '210987654321', '98765432109876543210',
    'abcdefghijkl', 'ABCDEFGHIJKL', 'lkjihgfedcba', 'mnopqrstuvwxyz', 'abcdefghijkl2024!', 'abcdef!!2024',
    'abcdefgh-ijkl', 'abcabcabcabc', 'abcdeabcdeab', 'abcdefabcdefabcdef', '123123123123', '12345abcdefg',
    'aaaabbbbcccc1', 'abcdefghijklmnopqrstuvwxyz' * 3,
    # keyboard rows, with repetition and case
    'qwertyuiopas', 'QwErTyUiOpAs', 'QWERTYUIOPASDFGHJKL', 'poiuytrewqlkj', 'asdfghjklasd', 'zxcvbnmzxcvbnm',
    'mnbvcxzlkjhgf', 'qwer12345678', '1234567890!!', '!@#$%^&*()_+', 'qwertyqwertyqwerty',
    # any shorter part repeated
    'Ab3$zAb3$zAb', 'x7Q!x7Q!x7Q!x7Q!',
])
def test_refused(password):
    assert not strong_password(password)


def test_min_length_is_the_secrets_own():
    secret = secrets.token_urlsafe(24)  # 32 characters
    assert strong_password(secret, min_length=32)
    assert not strong_password(secret, min_length=64)


@pytest.mark.parametrize('arguments, message', [
    ({'min_length': 8}, 'at least 12'),
    ({'min_length': 'long'}, 'must be a number'),
    ({'allow_examples': 'maybe'}, 'allow_examples a boolean'),
])
def test_bad_arguments(arguments, message):
    with pytest.raises(AnsibleFilterError, match=message):
        strong_password('tracking-db-Secret-42', **arguments)


def test_every_example_value_is_listed():
    listed = {hashlib.sha256(value.encode()).hexdigest(): name for name, value in EXAMPLES.items()}
    missing = {digest: name for digest, name in listed.items() if EXAMPLE_SECRETS.get(digest) != name}
    assert not missing, (
        'plugins/test/strong_password.py EXAMPLE_SECRETS lacks values of the example vault; add:\n'
        + '\n'.join(f"    '{digest}': '{name}'," for digest, name in sorted(missing.items(), key=lambda item: item[1])))


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_example_values_are_refused_without_opt_in(name):
    value = EXAMPLES[name]
    assert example_secret(value)
    assert not strong_password(value)
    assert not strong_password(value, allow_examples=False)
    assert not strong_password(value, allow_examples='false')
    # With the opt-in, the example value still has to pass the rule at its own length.
    assert strong_password(value, min_length=len(value), allow_examples=True)
    assert strong_password(value, allow_examples='yes')


def test_only_example_values_are_examples():
    assert not any(example_secret(value) for value in ('', None, 'tracking-db-Secret-42', secrets.token_urlsafe(24)))
    assert not any(example_secret(value + ' ') or example_secret(value.upper()) for value in EXAMPLES.values())


def test_the_plugin_holds_no_example_plaintext():
    with open(os.path.join(REPO, 'plugins', 'test', 'strong_password.py')) as source:
        code = source.read()
    assert not [name for name, value in EXAMPLES.items() if value in code]


def test_registered_names():
    assert plugin.TestModule().tests() == {'strong_password': strong_password, 'example_secret': example_secret}
