"""Unit tests of the strong_password test plugin."""

import pytest

from ansible_collections.efficientai.mlops.plugins.test.strong_password import strong_password


@pytest.mark.parametrize('password', ['tracking-db-Secret-42', 'correct horse battery', 'x7#Lq9!vB2m@'])
def test_acceptable(password):
    assert strong_password(password)


@pytest.mark.parametrize('password', [
    None, '', 'short', 'elevenchars', 'password1234', 'Password1234!', 'changeme-2024', '2024!Changeme',
    'aaaaaaaaaaaaaaaa', 'abababababab', 123456789012, 'postgres12345', 'qwertyuiop12',
])
def test_refused(password):
    assert not strong_password(password)
