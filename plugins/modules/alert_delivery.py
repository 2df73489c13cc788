#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: alert_delivery
short_description: Send a test alert through Alertmanager and report which channels delivered it
version_added: 0.1.0
description:
  - Posts a synthetic alert to Alertmanager's API, labelled for every channel given (the
    C(channels) label the collection's routes match), waits until Alertmanager has notified
    each channel's integration or the timeout passes, then resolves the alert.
  - Delivery is read from Alertmanager's own counters of notification requests,
    C(alertmanager_notification_requests_total) and C(alertmanager_notification_requests_failed_total),
    which Alertmanager 0.25 keeps per integration type, not per receiver. A channel is
    V(delivered) when its type succeeded at least once per channel of that type since the start,
    V(failed) when requests of its type failed, V(no notification) otherwise. Channels that
    share a type are judged together, and another alert notified meanwhile counts too.
  - A channel that fails does not make the module fail; test RV(all_delivered).
options:
  url:
    description: Alertmanager's base URL, for example V(http://127.0.0.1:9093).
    type: str
    required: true
  channels:
    description: The channels to test, name to type (V(email), V(slack), V(pagerduty), V(webhook)); no secrets.
    type: dict
    required: true
  severity:
    description: The alert's severity label.
    type: str
    choices: [critical, warning, info]
    default: info
  source:
    description: Where the alert says it comes from (its C(node) label).
    type: str
    default: alert_delivery
  timeout:
    description: Seconds to wait for the notifications (Alertmanager's group_wait comes first).
    type: int
    default: 120
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Nothing is posted; every channel is reported V(not sent).
  diff_mode:
    support: none
  platform:
    platforms: posix
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Send a test alert to every channel
  efficientai.mlops.alert_delivery:
    url: http://127.0.0.1:9093
    channels: {pagerduty: pagerduty, email: email, slack: slack}
  register: delivery

- name: Fail unless every channel delivered it
  ansible.builtin.assert:
    that: delivery.all_delivered
    fail_msg: "{{ delivery.table | join('\n') }}"
"""

RETURN = r"""
channels:
  description: One result per channel, C({name, type, status, sent, failed, shared}) (C(shared) when other channels have its type).
  returned: always
  type: list
  elements: dict
all_delivered:
  description: Whether every channel was delivered.
  returned: always
  type: bool
table:
  description: The results as text lines, one per channel.
  returned: always
  type: list
  elements: str
"""

import collections
import datetime
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._table import align
from ansible_collections.efficientai.mlops.plugins.module_utils.rest import RestClient, RestError

ALERT_NAME = 'mlops_alert_test'
CHANNEL_TYPES = ('email', 'slack', 'pagerduty', 'webhook')
# Per request, retries included (alertmanager_notifications_total counts a notification once,
# and its failure only when Alertmanager gives up retrying).
_COUNTERS = {'alertmanager_notification_requests_total': 'sent',
             'alertmanager_notification_requests_failed_total': 'failed'}


def notification_counters(metrics_text):
    """{integration: {'sent': requests, 'failed': failed requests}} from Alertmanager's /metrics."""
    counters = {}
    for line in metrics_text.splitlines():
        name, _brace, rest = line.partition('{')
        if name not in _COUNTERS or 'integration="' not in rest:
            continue
        integration = rest.split('integration="', 1)[1].split('"', 1)[0]
        value = float(rest.rsplit('}', 1)[1].split()[0])
        entry = counters.setdefault(integration, {'sent': 0.0, 'failed': 0.0})
        entry[_COUNTERS[name]] += value
    return counters


def channel_results(channels, before, after):
    """A result per channel (in name order) from the counters before and after. Channels of one
    type share its counters: they are delivered when it succeeded at least once per channel."""
    per_type = collections.Counter(channels.values())
    results = []
    for name in sorted(channels):
        kind = channels[name]
        start, end = before.get(kind, {}), after.get(kind, {})
        failed = int(end.get('failed', 0) - start.get('failed', 0))
        succeeded = int(end.get('sent', 0) - start.get('sent', 0)) - failed
        status = 'delivered' if succeeded >= per_type[kind] else 'failed' if failed else 'no notification'
        results.append({'name': name, 'type': kind, 'status': status, 'sent': max(succeeded, 0), 'failed': failed,
                        'shared': per_type[kind] > 1})
    return results


def format_table(results):
    rows = [(r['name'], r['type'], r['status'] + (
        f" ({r['failed']} failed requests{' of its type' if r['shared'] else ''}: see Alertmanager's journal)"
        if r['failed'] and r['status'] != 'delivered' else '')) for r in results]
    return align(('channel', 'type', 'result'), rows)


class AlertDelivery:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = RestClient(module, service='Alertmanager', params=dict(
            url=self.params['url'].rstrip('/'), username=None, password=None, validate_certs=True, ca_path=None,
            timeout=10.0, retries=2))

    def counters(self):
        return notification_counters(self.client.request('GET', '/metrics', decode=False)[1].decode())

    def post(self, ends_in):
        now = datetime.datetime.now(datetime.timezone.utc)
        labels = {'alertname': ALERT_NAME, 'severity': self.params['severity'],
                  'channels': ','.join(sorted(self.params['channels'])), 'node': self.params['source']}
        annotations = {'summary': f'{ALERT_NAME}: a test of the notification channels, no action needed',
                       'description': f"sent by alert_delivery from {self.params['source']}"}
        self.client.request('POST', '/api/v2/alerts', expected=(200,), decode=False, body=[{
            'labels': labels, 'annotations': annotations, 'startsAt': now.isoformat(),
            'endsAt': (now + datetime.timedelta(seconds=ends_in)).isoformat()}])

    def run(self):
        channels = self.params['channels']
        if self.module.check_mode:
            results = [{'name': n, 'type': channels[n], 'status': 'not sent', 'sent': 0, 'failed': 0, 'shared': False}
                       for n in sorted(channels)]
            self.module.exit_json(changed=True, channels=results, all_delivered=False, table=format_table(results))
        before = self.counters()
        # The alert ends by itself after the wait even if this run is interrupted.
        self.post(ends_in=self.params['timeout'] + 60)
        deadline = time.time() + self.params['timeout']
        while True:
            results = channel_results(channels, before, self.counters())
            if all(r['status'] == 'delivered' for r in results) or time.time() > deadline:
                break
            time.sleep(2)
        self.post(ends_in=0)
        self.module.exit_json(changed=True, channels=results, table=format_table(results),
                              all_delivered=all(r['status'] == 'delivered' for r in results))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type='str', required=True),
            channels=dict(type='dict', required=True),
            severity=dict(type='str', default='info', choices=['critical', 'warning', 'info']),
            source=dict(type='str', default='alert_delivery'),
            timeout=dict(type='int', default=120),
        ),
        supports_check_mode=True,
    )
    channels = module.params['channels']
    wrong = {name: kind for name, kind in channels.items() if kind not in CHANNEL_TYPES}
    if not channels or wrong or module.params['timeout'] < 1:
        module.fail_json(msg=f"channels must name at least one channel, each of type {', '.join(CHANNEL_TYPES)} "
                             f"(got {wrong or channels}), and timeout must be >= 1 (got {module.params['timeout']})")
    try:
        AlertDelivery(module).run()
    except RestError as error:
        module.fail_json(msg=f"alert_delivery: {error} (url {module.params['url']})")


if __name__ == '__main__':
    main()
