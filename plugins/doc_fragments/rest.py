# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that talk to a service over HTTP."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the service, for example V(https://mlflow.example.com) or V(http://127.0.0.1:5000).
    type: str
    required: true
  username:
    description:
      - User for HTTP basic authentication.
    type: str
  password:
    description:
      - Password for HTTP basic authentication.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle the server certificate is verified against (for a private CA).
    type: path
  timeout:
    description:
      - Seconds to wait for each answer.
    type: float
    default: 10
  retries:
    description:
      - How often a request is repeated after a connection error or an HTTP 429, 502, 503 or 504
        answer, with a growing delay. Other answers are not retried.
    type: int
    default: 3
notes:
  - Error messages from the server are reported only when they cannot contain credentials; a
    message that looks like SQL or a password hash is withheld.
"""
