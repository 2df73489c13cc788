"""Unit tests of the tls_certificate_status lookup, on certificates made the way the tls entry point makes them."""

import datetime
import ipaddress
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible.errors import AnsibleLookupError

from ansible_collections.efficientai.mlops.plugins.lookup.tls_certificate_status import LookupModule

NAMES = ('db-1.example.internal', '10.0.0.5')
NOW = datetime.datetime.now(datetime.timezone.utc)


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def make_ca():
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'efficientai.mlops private CA')])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(NOW)
                   .not_valid_after(NOW + datetime.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .sign(key, hashes.SHA256()))
    return key, certificate


def make_host(ca, key=None, names=NAMES, days=397):
    ca_key, ca_certificate = ca
    key = key or ec.generate_private_key(ec.SECP256R1())
    sans = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
    certificate = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                   .issuer_name(ca_certificate.subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(NOW)
                   .not_valid_after(NOW + datetime.timedelta(days=days))
                   .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    return key, certificate


@pytest.fixture
def pki(tmp_path):
    """Writes a CA and a host's key and certificate like tls_pki.yml; returns (host base path, CA path, write)."""
    ca = make_ca()
    base, ca_path = tmp_path / 'hosts' / 'db-1', tmp_path / 'ca.crt'
    base.parent.mkdir()

    def write(ca_pair=ca, host=None):
        key, certificate = host or make_host(ca_pair)
        ca_path.write_bytes(ca_pair[1].public_bytes(serialization.Encoding.PEM))
        (tmp_path / 'hosts' / 'db-1.key').write_bytes(pem_key(key))
        (tmp_path / 'hosts' / 'db-1.crt').write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return ca_pair, key

    return str(base), str(ca_path), write, ca


@pytest.fixture
def status():
    def read(base, ca_path, names=NAMES, renew_days=30):
        return LookupModule().run([base], {}, ca=ca_path, names=list(names), renew_days=renew_days)[0]
    return read


def test_a_certificate_as_the_deploy_made_it_is_current(pki, status):
    base, ca_path, write, _ca = pki
    write()
    assert status(base, ca_path) == {'current': True, 'reason': '', 'ca_exists': True, 'key_exists': True,
                                     'certificate_exists': True,
                                     'subject_alt_names': ['DNS:db-1.example.internal', 'IP:10.0.0.5']}


def test_missing_files_are_named_and_reported(pki, status):
    base, ca_path, _write, _ca = pki
    result = status(base, ca_path)
    assert not result['current'] and result['reason'] == f'{ca_path} does not exist'
    assert not result['ca_exists'] and not result['key_exists'] and not result['certificate_exists']
    # What the certificate request is made with, in the names' order, IPv6 included.
    assert status(base, ca_path, names=['fd00::5', 'DB-1'])['subject_alt_names'] == ['IP:fd00::5', 'DNS:db-1']


def test_new_names_need_a_new_certificate(pki, status):
    base, ca_path, write, _ca = pki
    write()
    assert status(base, ca_path, names=[*NAMES, 'db-1'])['reason'] == 'the names changed'
    assert 'common name' in status(base, ca_path, names=list(reversed(NAMES)))['reason']


def test_a_certificate_within_the_renewal_margin_is_renewed(pki, status):
    base, ca_path, write, ca = pki
    write(host=make_host(ca, days=20))
    assert 'expires within 30 days' in status(base, ca_path)['reason']
    assert status(base, ca_path, renew_days=10)['current']


def test_a_certificate_of_another_ca_or_for_another_key_is_not_current(pki, status):
    base, ca_path, write, ca = pki
    write(host=make_host(make_ca()))
    assert 'not signed by the CA' in status(base, ca_path)['reason']
    _ca_pair, key = write()
    # The key was made again after the certificate was signed.
    write(host=(ec.generate_private_key(ec.SECP256R1()), make_host(ca, key=key)[1]))
    assert status(base, ca_path)['reason'] == 'the certificate is not for the key'


def test_a_key_of_another_kind_is_not_current(pki, status):
    base, ca_path, write, ca = pki
    write(host=make_host(ca, key=ec.generate_private_key(ec.SECP384R1())))
    assert status(base, ca_path)['reason'] == 'the key is not an ECC secp256r1 key'


@pytest.mark.parametrize('options, message', [
    ({'names': list(NAMES)}, 'needs ca'),
    ({'ca': '/pki/ca.crt', 'names': 'db-1'}, 'needs names, a list'),
    ({'ca': '/pki/ca.crt', 'names': list(NAMES), 'renew_days': 'soon'}, "renew_days must be a number of days (got 'soon')"),
    ({'ca': '/pki/ca.crt', 'names': list(NAMES), 'renew': 3}, "unknown options ['renew']"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(AnsibleLookupError, match=re.escape(message)):
        LookupModule().run(['/pki/hosts/db-1'], {}, **options)
