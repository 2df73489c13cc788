#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mlops_health
short_description: Check the services of the MLOps stack and report each one OK or DOWN
version_added: 0.1.0
description:
  - Checks a list of services over HTTP (the status code), Airflow's health JSON (every
    component, because the endpoint answers 200 even when components are down) or TCP
    (PostgreSQL, Redis), with a timeout and retries, and returns one result per service.
  - A service that is down does not make the module fail; test RV(all_ok) (the
    C(efficientai.mlops.health) playbook does, after printing RV(table)).
options:
  services:
    description: The services to check.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name shown in the results, for example V(mlflow).
        type: str
        required: true
      node:
        description: Host the service runs on, shown in the results.
        type: str
        default: ""
      kind:
        description:
          - V(http) passes when the answer's status is in O(services[].status_codes).
          - V(airflow) reads the JSON of C(/api/v2/monitor/health) and passes when every required
            component is healthy and none is unhealthy.
          - V(tcp) passes when a TCP connection opens.
        type: str
        choices: [http, airflow, tcp]
        required: true
      target:
        description: A URL for V(http) and V(airflow), C(host:port) for V(tcp).
        type: str
        required: true
      status_codes:
        description: HTTP statuses that count as up (V(http)).
        type: list
        elements: int
        default: [200]
      components:
        description: Airflow components that must be reported healthy (V(airflow)).
        type: list
        elements: str
        default: [metadatabase, scheduler]
      metrics_path:
        description: Not used by the check; accepted so that the service list of the monitoring role can be passed as it is.
        type: str
        default: ""
      tls:
        description:
          - The service serves HTTPS (its O(services[].target) is an C(https://) URL); set by the
            C(efficientai.mlops.stack_services) filter for C(mlflow_tls) and C(bentoml_tls). A service with V(true)
            and an C(http://) target is refused.
        type: bool
        default: false
      ca_path:
        description: CA certificate this service's HTTPS certificate is verified against; O(ca_path) when not set.
        type: path
  timeout:
    description: Seconds to wait for each answer or connection.
    type: float
    default: 5
  retries:
    description:
      - How often a check is repeated after a refused connection, a timeout or an HTTP 429, 502,
        503 or 504 answer, with a growing delay, before the service counts as down.
    type: int
    default: 2
  validate_certs:
    description: Verify the TLS certificates of HTTPS services.
    type: bool
    default: true
  ca_path:
    description: CA bundle that HTTPS certificates are verified against.
    type: path
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The checks only read, so they run in check mode too.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Check the stack
  efficientai.mlops.mlops_health:
    services:
      - {name: mlflow, kind: http, target: "http://tracking1:5000/health"}
      - {name: airflow, kind: airflow, target: "http://orchestration1:8080/api/v2/monitor/health"}
      - {name: postgresql, kind: tcp, target: "db1:5432"}
      - {name: bentoml-iris, kind: http, target: "https://serving1:3000/readyz", tls: true, ca_path: /etc/prometheus/stack-ca.crt}
  register: health

- name: Fail when something is down
  ansible.builtin.assert:
    that: health.all_ok
    fail_msg: "{{ health.table | join('\n') }}"
"""

RETURN = r"""
services:
  description: One result per service, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The service name.
      type: str
    node:
      description: The host it runs on.
      type: str
    kind:
      description: The kind of check.
      type: str
    target:
      description: What was checked.
      type: str
    status:
      description: V(OK) or V(DOWN).
      type: str
    detail:
      description: What was seen, for example V(HTTP 200), or why the service is down.
      type: str
    elapsed_ms:
      description: Time the check took, retries included.
      type: int
  sample:
    - {name: mlflow, node: tracking1, kind: http, target: "http://tracking1:5000/health", status: OK, detail: HTTP 200, elapsed_ms: 12}
all_ok:
  description: Whether every service is OK.
  returned: always
  type: bool
down:
  description: The services that are down, as C(name@node) (or C(name) without a node).
  returned: always
  type: list
  elements: str
table:
  description: The results as text lines, a header, one line per service and a summary.
  returned: always
  type: list
  elements: str
"""

from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._health import (
    CheckFailed, check_service, format_table, target_problem)
from ansible_collections.efficientai.mlops.plugins.module_utils.rest import RestClient, RestError

SERVICE_SPEC = dict(
    name=dict(type='str', required=True),
    node=dict(type='str', default=''),
    kind=dict(type='str', required=True, choices=['http', 'airflow', 'tcp']),
    target=dict(type='str', required=True),
    status_codes=dict(type='list', elements='int', default=[200]),
    components=dict(type='list', elements='str', default=['metadatabase', 'scheduler']),
    metrics_path=dict(type='str', default=''),
    tls=dict(type='bool', default=False),
    ca_path=dict(type='path'),
)


class HealthCheck:
    def __init__(self, module):
        self.module = module
        self.params = module.params

    def run(self):
        services = self.params['services']
        problems = [f"services[{index}] ({service['name']}): {problem}"
                    for index, service in enumerate(services)
                    for problem in [target_problem(service['kind'], service['target'], service['tls'])] if problem]
        if problems:
            self.module.fail_json(msg='; '.join(problems))
        results = [check_service(service, self._http_getter(service), self.params['timeout'], self.params['retries'])
                   for service in services]
        down = [r['name'] + (f"@{r['node']}" if r['node'] else '') for r in results if r['status'] != 'OK']
        self.module.exit_json(changed=False, services=results, all_ok=not down, down=down,
                              table=format_table(results))

    def _http_getter(self, service):
        def get(url):
            parts = urlsplit(url)
            client = RestClient(self.module, service=service['name'], params=dict(
                url=f'{parts.scheme}://{parts.netloc}', username=None, password=None,
                validate_certs=self.params['validate_certs'], ca_path=service['ca_path'] or self.params['ca_path'],
                timeout=self.params['timeout'], retries=self.params['retries']))
            path = (parts.path or '/') + (f'?{parts.query}' if parts.query else '')
            try:
                return client.request('GET', path, expected=tuple(service['status_codes']), decode=False)
            except RestError as error:
                # Error statuses come as RestError; one listed in status_codes still means up.
                if error.status in service['status_codes']:
                    return error.status, b''
                raise CheckFailed(str(error)) from None
        return get


def main():
    module = AnsibleModule(
        argument_spec=dict(
            services=dict(type='list', elements='dict', required=True, options=SERVICE_SPEC),
            timeout=dict(type='float', default=5.0),
            retries=dict(type='int', default=2),
            validate_certs=dict(type='bool', default=True),
            ca_path=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    if module.params['timeout'] <= 0 or module.params['retries'] < 0:
        module.fail_json(msg='timeout must be > 0 and retries >= 0')
    HealthCheck(module).run()


if __name__ == '__main__':
    main()
