# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""The REST client shared by the modules that talk to MLflow, Airflow and the other
HTTP services of the stack: common arguments, basic auth, TLS verification, timeouts,
retries of transient failures, and error messages that never echo a server body that
may hold credentials."""

from __future__ import annotations

import json
import re
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import open_url

REST_ARGUMENT_SPEC = dict(
    url=dict(type='str', required=True),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='float', default=10.0),
    retries=dict(type='int', default=3),
)

# Server messages that look like SQL or a password hash are withheld: MLflow answers a
# duplicate user with the failing INSERT statement, hash included.
_UNSAFE_MESSAGE = re.compile(
    r'(?i)\b(insert|select|update|delete)\b.*\b(into|from|set|where)\b|pbkdf2|scrypt|argon2|bcrypt|\$[0-9a-z]{1,8}\$|[0-9a-f]{40,}')
_MAX_MESSAGE = 300
_RETRIED_STATUS = (429, 502, 503, 504)


class RestError(Exception):
    """A request that failed: status is the HTTP status, or None when there was no answer."""

    def __init__(self, message, status=None, error_code=None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


def safe_error_message(body):
    """Return (error_code, message) from an error body, withholding unsafe messages."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None, '(non-JSON error body withheld)'
    if not isinstance(data, dict):
        return None, '(error body withheld)'
    error_code = data.get('error_code')
    message = str(data.get('message') or data.get('detail') or data.get('error') or '')
    if _UNSAFE_MESSAGE.search(message):
        return error_code, '(server message withheld: it may contain credentials)'
    return error_code, message[:_MAX_MESSAGE]


class RestClient:
    """JSON-over-HTTP client for one service; modules create it with their AnsibleModule."""

    def __init__(self, module, service='service', params=None):
        """params: the REST_ARGUMENT_SPEC values, module.params by default (a module that
        talks to several services passes one dict per service)."""
        self.module = module
        self.params = module.params if params is None else params
        self.service = service
        self.base_url = self.params['url'].rstrip('/')
        self._sleep = time.sleep

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def request(self, method, path, params=None, body=None, expected=(200,), decode=True):
        """Send one request and return (status, decoded JSON or None), or (status, raw
        bytes) with decode=False.

        Connection errors and 429/5xx gateway answers are retried with a growing delay;
        other answers are final. A status outside `expected` raises RestError."""
        url = self.base_url + path
        if params:
            url += '?' + urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        attempts = max(1, self.params['retries'] + 1)
        for attempt in range(1, attempts + 1):
            try:
                status, raw = self._send(method, url, data)
            except RestError as error:
                if attempt == attempts or (error.status is not None and error.status not in _RETRIED_STATUS):
                    raise
                self._sleep(min(0.5 * 2 ** (attempt - 1), 5))
                continue
            if status not in expected:
                raise RestError(f'{self.service} answered {method} {path} with HTTP {status}', status=status)
            if not decode:
                return status, raw
            return status, (json.loads(raw) if raw else None)
        raise RestError(f'{self.service}: no answer to {method} {path}')  # pragma: no cover

    def _send(self, method, url, data):
        params = self.params
        headers = {'Accept': 'application/json'}
        if data is not None:
            headers['Content-Type'] = 'application/json'
        try:
            response = open_url(
                url, data=data, method=method, headers=headers,
                url_username=params.get('username'), url_password=params.get('password'),
                force_basic_auth=bool(params.get('username')),
                validate_certs=params['validate_certs'], ca_path=params.get('ca_path'),
                timeout=params['timeout'], follow_redirects='safe')
            return response.getcode(), response.read()
        except HTTPError as error:
            error_code, message = safe_error_message(error.read())
            detail = f' ({error_code}: {message})' if error_code else (f' ({message})' if message else '')
            raise RestError(f'{self.service} answered {method} {self._path(url)} with HTTP {error.code}{detail}',
                            status=error.code, error_code=error_code) from None
        except URLError as error:
            raise RestError(f'cannot reach {self.service} at {self.base_url}: {error.reason}') from None
        except (OSError, ValueError) as error:
            raise RestError(f'cannot reach {self.service} at {self.base_url}: {error}') from None

    def _path(self, url):
        return url[len(self.base_url):].split('?', 1)[0]
