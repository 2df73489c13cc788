# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alertmanager_config filter: notification channels (the seed's slack, email, pagerduty,
plus webhooks) become Alertmanager's receivers and routes, each notification saying what a
person needs: the alert, where, the value and the runbook."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.alerting import WHERE_LABELS
from ansible_collections.efficientai.mlops.plugins.test.strong_password import example_secret

# Settings per channel type: (required, optional, secret) keys.
CHANNEL_TYPES = {
    'slack': (('api_url',), ('channel', 'title', 'text'), ('api_url',)),
    'email': (('to', 'from', 'smarthost'), ('auth_username', 'auth_password', 'require_tls', 'ca_file', 'headers', 'text'),
              ('auth_password',)),
    'pagerduty': (('routing_key',), ('url', 'severity', 'source', 'description'), ('routing_key',)),
    'webhook': (('url',), ('bearer_token', 'max_alerts'), ('bearer_token',)),
}
_CONFIG_KEY = {'slack': 'slack_configs', 'email': 'email_configs', 'pagerduty': 'pagerduty_configs',
               'webhook': 'webhook_configs'}
NULL_RECEIVER = 'null'
_CHANNEL_NAME = re.compile(r'^[A-Za-z0-9_-]+$')
_URL_KEYS = {'slack': 'api_url', 'pagerduty': 'url', 'webhook': 'url'}
_ADDRESS = re.compile(r'^[^@\s,]+@[^@\s,]+$')
# Names reserved for documentation (RFC 2606): a notification sent there reaches nobody.
_PLACEHOLDER_DOMAIN = re.compile(r'(^|\.)(example\.(com|net|org)|example|invalid|test)\.?$', re.IGNORECASE)

# What a person reads, in Alertmanager's Go templates: a title with the state, the alert and its
# severity; then per alert its summary, its description (the value and where: see the
# alert_rules filter) and its runbook.
_TITLE = ('[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
          '{{ .CommonLabels.alertname }}{{ with .CommonLabels.severity }} ({{ . }}){{ end }}')
_BODY = ('{{ range .Alerts }}{{ .Status | toUpper }}: {{ .Annotations.summary }}\n{{ .Annotations.description }}\n'
         '{{ with .Annotations.runbook_url }}Runbook: {{ . }}\n{{ end }}{{ end }}')
_WHERE = '{{ or ' + ' '.join(f'.CommonLabels.{label}' for label in WHERE_LABELS) + ' "efficientai.mlops" }}'
CONTENT = {
    'slack': {'title': _TITLE, 'text': _BODY},
    'email': {'headers': {'Subject': _TITLE}, 'text': _BODY},
    # Events API v2: payload.summary, payload.severity (critical, error, warning or info) and
    # payload.source; the runbook and the descriptions go in custom_details.
    'pagerduty': {
        'description': '{{ or .CommonAnnotations.summary .CommonLabels.alertname }} on ' + _WHERE,
        'severity': '{{ if eq .CommonLabels.severity "critical" }}critical{{ else if eq .CommonLabels.severity "warning" }}'
                    'warning{{ else }}info{{ end }}',
        'source': _WHERE,
        'details': {'firing': _BODY, 'runbook': '{{ .CommonAnnotations.runbook_url }}'},
    },
    'webhook': {},
}


def _fail(variable, name, kind, message):
    return AnsibleFilterError(f'{variable}: channel {name!r} ({kind}): {message}')


def _shown(key, value, secret):
    return 'a value that is not shown (a secret)' if key in secret else repr(value)


def _check_values(variable, name, kind, settings, secret):
    """The settings Alertmanager would only refuse at start, or that would fail at the first alert."""
    key = _URL_KEYS.get(kind)
    if key in settings:
        url = urlsplit(str(settings[key]))
        if url.scheme not in ('http', 'https') or not url.hostname:
            raise _fail(variable, name, kind, f'{key} must be an http:// or https:// URL with a host, got '
                                              f'{_shown(key, settings[key], secret)}')
    if kind == 'email':
        host, _sep, port = str(settings['smarthost']).rpartition(':')
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise _fail(variable, name, kind,
                        f"smarthost must be host:port with a port of 1-65535, got {settings['smarthost']!r}")
        for key in ('to', 'from'):
            if not all(_ADDRESS.match(address.strip()) for address in str(settings[key]).split(',')):
                raise _fail(variable, name, kind,
                            f'{key} must be e-mail addresses (comma-separated), got {settings[key]!r}')
    if kind == 'pagerduty' and len(str(settings['routing_key'])) != 32:
        raise _fail(variable, name, kind, 'routing_key must be the 32 characters of an Events API v2 integration key '
                                          '(a value that is not shown: a secret)')


def _destinations(kind, settings):
    """(key, host or mail domain) of every place the channel sends to."""
    if kind in _URL_KEYS and _URL_KEYS[kind] in settings:
        yield _URL_KEYS[kind], urlsplit(str(settings[_URL_KEYS[kind]])).hostname or ''
    if kind == 'email':
        yield 'smarthost', str(settings['smarthost']).rpartition(':')[0]
        for key in ('to', 'from'):
            for address in str(settings[key]).split(','):
                yield key, address.strip().rpartition('@')[2]


def _check_placeholders(variable, name, kind, settings, secret):
    """Refuse the example inventory's placeholders: a reserved domain or a value of the public
    example vault means the notifications reach nobody (or anybody)."""
    for key, where in _destinations(kind, settings):
        if _PLACEHOLDER_DOMAIN.search(where):
            shown = 'a value that is not shown (a secret)' if key in secret else repr(where)
            raise _fail(variable, name, kind, f'{key} points to {shown}, a domain reserved for examples: set your '
                                              f'own, or mlops_allow_example_secrets: true for a throwaway test stack')
    for key in secret:
        if key in settings and example_secret(str(settings[key])):
            raise _fail(variable, name, kind, f'{key} is a value of the example vault, whose password is public: '
                                              f'replace it with your own secret (ansible-vault encrypt_string), or '
                                              f'set mlops_allow_example_secrets: true for a throwaway test stack')


def _receiver(variable, name, channel, allow_examples):
    if not isinstance(channel, dict):
        raise AnsibleFilterError(f'{variable}: channel {name!r} must be a dict, got {type(channel).__name__}')
    kind = channel.get('type')
    if kind not in CHANNEL_TYPES:
        raise AnsibleFilterError(f'{variable}: channel {name!r}: type must be one of '
                                 f'{", ".join(sorted(CHANNEL_TYPES))}, got {kind!r}')
    required, optional, secret = CHANNEL_TYPES[kind]
    # An optional setting left empty (an inventory's "{{ smtp_ca_file | default('') }}") is unset.
    settings = {key: value for key, value in channel.items()
                if key != 'type' and (key in required or value not in (None, ''))}
    unknown = set(settings) - set(required) - set(optional) - {'send_resolved'}
    missing = [key for key in required if settings.get(key) in (None, '')]
    if unknown or missing:
        problems = [f'missing {", ".join(missing)}' if missing else '', f'unknown keys {sorted(unknown)}' if unknown else '']
        raise _fail(variable, name, kind, '; '.join(filter(None, problems)) + f'; {kind} takes {", ".join(required + optional)}')
    _check_values(variable, name, kind, settings, secret)
    if not allow_examples:
        _check_placeholders(variable, name, kind, settings, secret)
    config = {'send_resolved': bool(settings.pop('send_resolved', True)), **CONTENT[kind]}
    if kind == 'webhook' and 'bearer_token' in settings:
        config['http_config'] = {'authorization': {'type': 'Bearer', 'credentials': settings.pop('bearer_token')}}
    if kind == 'email' and 'ca_file' in settings:
        config['tls_config'] = {'ca_file': settings.pop('ca_file')}
    config.update(settings)
    return {'name': name, _CONFIG_KEY[kind]: [config]}


def alertmanager_config(channels, group_by=None, group_wait='30s', group_interval='5m', repeat_interval='4h',
                        variable='alertmanager_config', allow_examples=False):
    """Return an Alertmanager configuration (as data): one receiver per channel, and a
    route per channel that takes every alert whose `channels` label names it. Messages
    start with `variable`, the name the channels have for the user. Placeholders (reserved
    example domains, the example vault's values) are refused unless allow_examples."""
    if not isinstance(channels, dict):
        raise AnsibleFilterError(f'alertmanager_config expects a dict of channels, got {type(channels).__name__}')
    receivers, routes = [{'name': NULL_RECEIVER}], []
    for name in sorted(channels):
        if not _CHANNEL_NAME.match(str(name)) or name == NULL_RECEIVER:
            raise AnsibleFilterError(f'{variable}: channel name {name!r} must be letters, digits, _ or - '
                                     f'(and not {NULL_RECEIVER!r})')
        receivers.append(_receiver(variable, name, channels[name], allow_examples))
        routes.append({'receiver': name, 'matchers': [f'channels=~"(.*,)?{name}(,.*)?"'], 'continue': True})
    return {
        'route': {
            # Alerts that name no channel are kept in Alertmanager (and the dashboard) only.
            'receiver': NULL_RECEIVER,
            'group_by': list(group_by or ['alertname', 'instance']),
            'group_wait': group_wait,
            'group_interval': group_interval,
            'repeat_interval': repeat_interval,
            'routes': routes,
        },
        'receivers': receivers,
    }


class FilterModule:
    """Alertmanager filters."""

    def filters(self):
        return {"alertmanager_config": alertmanager_config}
