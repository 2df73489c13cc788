# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: tls_certificate_status
short_description: Whether a host certificate of the collection's private CA is still what the deploy would make
version_added: 0.3.0
description:
  - Reads, on the controller, a host's key and certificate and the CA certificate that the C(_common) role's C(tls)
    entry point keeps, and tells whether the certificate is current - signed by that CA, for that key, with the
    wanted names, and valid for longer than the renewal margin.
  - A current certificate lets the role skip the community.crypto tasks that would change nothing; anything else
    runs them.
options:
  _terms:
    description: The host's files on the controller without suffix (C(.key), C(.crt)).
    required: true
  ca:
    description: Path of the CA certificate.
    type: path
    required: true
  names:
    description: The names the certificate must carry, the first one as its common name; addresses become IP names.
    type: list
    elements: str
    required: true
  renew_days:
    description: A certificate that expires within this many days is not current.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Decide whether the certificate must be made
  ansible.builtin.set_fact:
    certificate_status: >-
      {{ lookup('efficientai.mlops.tls_certificate_status', '/home/me/.efficientai/pki/hosts/db-1',
                ca='/home/me/.efficientai/pki/ca.crt', names=['db-1.example.internal', '10.0.0.5']) }}
"""

RETURN = r"""
_raw:
  description: One status per term.
  type: list
  elements: dict
  contains:
    current:
      description: The certificate needs nothing.
      type: bool
    reason:
      description: Why it is not current (empty when it is).
      type: str
    ca_exists:
      description: The CA certificate exists.
      type: bool
    key_exists:
      description: The host's key exists.
      type: bool
    certificate_exists:
      description: The host's certificate exists.
      type: bool
    subject_alt_names:
      description: The names as a certificate request takes them (C(DNS:name), C(IP:address)), the one place that tells them apart.
      type: list
      elements: str
"""

import datetime
import ipaddress
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
except ImportError as import_error:  # community.crypto needs it on the controller as well
    CRYPTOGRAPHY_ERROR = import_error
else:
    CRYPTOGRAPHY_ERROR = None


def public_der(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def classified_names(names):
    """The names in their order as (kind, value): addresses as IP names, the rest as DNS names."""
    classified = []
    for name in names:
        try:
            classified.append(('IP', ipaddress.ip_address(name)))
        except ValueError:
            classified.append(('DNS', name.lower()))
    return classified


def certificate_names(certificate):
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return ({('IP', address) for address in extension.get_values_for_type(x509.IPAddress)}
            | {('DNS', name.lower()) for name in extension.get_values_for_type(x509.DNSName)})


def read(path):
    with open(path, 'rb') as stream:
        return stream.read()


def problem(host_pki, ca_path, names, renew_days, now):
    """Why the certificate is not current, or '' when it is."""
    ca = x509.load_pem_x509_certificate(read(ca_path))
    key = serialization.load_pem_private_key(read(f'{host_pki}.key'), password=None)
    certificate = x509.load_pem_x509_certificate(read(f'{host_pki}.crt'))
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != 'secp256r1':
        return 'the key is not an ECC secp256r1 key'
    if public_der(certificate.public_key()) != public_der(key.public_key()):
        return 'the certificate is not for the key'
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as error:
        return f'the certificate is not signed by the CA ({error.__class__.__name__})'
    if certificate.not_valid_after_utc - now <= datetime.timedelta(days=renew_days):
        return f'the certificate expires within {renew_days} days ({certificate.not_valid_after_utc:%Y-%m-%d})'
    common_names = [attribute.value for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if common_names != names[:1]:
        return f'the common name is {common_names} instead of {names[:1]}'
    if certificate_names(certificate) != set(classified_names(names)):
        return 'the names changed'
    return ''


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if CRYPTOGRAPHY_ERROR is not None:
            raise AnsibleLookupError(f'tls_certificate_status needs the cryptography library: {CRYPTOGRAPHY_ERROR}')
        unknown = set(kwargs) - {'ca', 'names', 'renew_days'}
        if unknown:
            raise AnsibleLookupError(f'tls_certificate_status: unknown options {sorted(unknown)}')
        ca_path, names, renew_days = kwargs.get('ca'), kwargs.get('names'), kwargs.get('renew_days', 30)
        if not ca_path or not isinstance(ca_path, str):
            raise AnsibleLookupError(f'tls_certificate_status needs ca, the path of the CA certificate (got {ca_path!r})')
        if isinstance(names, str) or not names or not all(isinstance(name, str) for name in names):
            raise AnsibleLookupError(f'tls_certificate_status needs names, a list of at least one name (got {names!r})')
        try:
            renew_days = int(renew_days)
        except (TypeError, ValueError):
            raise AnsibleLookupError(f'tls_certificate_status: renew_days must be a number of days (got {renew_days!r})') from None
        names = list(names)
        now = datetime.datetime.now(datetime.timezone.utc)
        statuses = []
        for host_pki in terms:
            status = {'ca_exists': os.path.exists(ca_path), 'key_exists': os.path.exists(f'{host_pki}.key'),
                      'certificate_exists': os.path.exists(f'{host_pki}.crt'),
                      'subject_alt_names': [f'{kind}:{value}' for kind, value in classified_names(names)]}
            missing = [path for path in (ca_path, f'{host_pki}.key', f'{host_pki}.crt') if not os.path.exists(path)]
            if missing:
                reason = f'{missing[0]} does not exist'
            else:
                try:
                    reason = problem(host_pki, ca_path, names, renew_days, now)
                except (OSError, ValueError) as error:
                    reason = f'unreadable: {error}'
            statuses.append(dict(status, current=not reason, reason=reason))
        return statuses
