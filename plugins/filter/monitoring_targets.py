# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that find the services of the stack in the inventory and turn them into
Prometheus scrape jobs: one list of services feeds Prometheus, the status dashboard and
the health playbook alike."""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError

# Blackbox exporter module per kind of check (see the monitoring role's blackbox.yml).
PROBE_MODULES = {'http': 'http_2xx', 'airflow': 'airflow_health', 'tcp': 'tcp_connect'}


def _address(host, hostvars):
    return hostvars.get('monitoring_target_address') or hostvars.get('ansible_host') or host


def _service(name, host, hostvars, kind, port, path='', metrics_path=''):
    address = _address(host, hostvars)
    target = f'{address}:{port}' if kind == 'tcp' else f'http://{address}:{port}{path}'
    return {'name': name, 'node': host, 'kind': kind, 'target': target, 'metrics_path': metrics_path}


def _bentoml_services(host, hostvars):
    services = hostvars.get('bentoml_services') or [{'name': '', 'port': hostvars.get('bentoml_port', 3000)}]
    return [_service(f"bentoml-{item['name']}" if item.get('name') else 'bentoml', host, hostvars, 'http',
                     item.get('port', 3000), '/readyz', '/metrics')
            for item in services if item.get('state', 'started') == 'started']


def _mlflow_replicas(host, hostvars):
    # Named like the mlflow role's units (mlflow, mlflow-2, ...), on consecutive ports.
    replicas, port = int(hostvars.get('mlflow_replicas', 1)), int(hostvars.get('mlflow_port', 5000))
    metrics_path = '/metrics' if hostvars.get('mlflow_prometheus_dir') else ''
    return [_service('mlflow' if index == 0 else f'mlflow-{index + 1}', host, hostvars, 'http', port + index,
                     '/health', metrics_path)
            for index in range(replicas)]


# Inventory group -> the services each of its hosts runs, read from the variables of the
# roles that deploy them (with those roles' defaults).
GROUPS = {
    'tracking': _mlflow_replicas,
    'serving': _bentoml_services,
    'orchestration': lambda host, hv: [_service(
        'airflow', host, hv, 'airflow', hv.get('airflow_api_port', 8080), '/api/v2/monitor/health')],
    'db': lambda host, hv: [_service('postgresql', host, hv, 'tcp', hv.get('postgres_port', 5432))],
    'redis': lambda host, hv: [_service('redis', host, hv, 'tcp', hv.get('redis_port', hv.get('airflow_redis_port', 6379)))],
}


def stack_services(groups, hostvars):
    """Return the services of the stack from the inventory groups tracking (MLflow, each
    replica), serving (BentoML), orchestration (Airflow), db (PostgreSQL) and redis: a list of
    {name, node, kind, target, metrics_path}."""
    if not hasattr(groups, 'get') or not hasattr(hostvars, '__getitem__'):
        raise AnsibleFilterError('stack_services expects groups | stack_services(hostvars)')
    services = []
    for group, find in GROUPS.items():
        for host in groups.get(group) or []:
            services.extend(find(host, hostvars[host]))
    return services


def host_targets(hosts, hostvars, listen_var, default_listen):
    """Return 'address:port' of a listener on each host: the port of the host's listen
    address variable (listen_var) or of default_listen."""
    targets = []
    for host in hosts:
        listen = hostvars[host].get(listen_var) or default_listen
        port = str(listen).rpartition(':')[2]
        if not port.isdigit():
            raise AnsibleFilterError(f'host_targets: {listen_var} of {host} must be host:port, got {listen!r}')
        targets.append(f'{_address(host, hostvars[host])}:{port}')
    return targets


def _static(targets, labels=None):
    config = {'targets': list(targets)}
    if labels:
        config['labels'] = labels
    return config


def scrape_configs(services, jobs=None, blackbox_address=''):
    """Return Prometheus scrape_configs: the given static jobs ({job, targets,
    metrics_path, honor_labels}), a metrics job per service name that has a
    metrics_path, and blackbox probes of every service (when blackbox_address is set)."""
    if not isinstance(services, list):
        raise AnsibleFilterError(f'scrape_configs expects a list of services, got {type(services).__name__}')
    configs = []
    for job in jobs or []:
        config = {'job_name': job['job'], 'static_configs': [_static(job['targets'])]}
        if job.get('metrics_path'):
            config['metrics_path'] = job['metrics_path']
        if job.get('honor_labels'):
            config['honor_labels'] = True
        configs.append(config)
    by_name = {}
    for service in services:
        if service.get('kind') not in PROBE_MODULES:
            raise AnsibleFilterError(f'scrape_configs: service {service.get("name")!r} has an unknown kind '
                                     f'{service.get("kind")!r}; kinds: {", ".join(PROBE_MODULES)}')
        if service.get('metrics_path'):
            by_name.setdefault((service['name'], service['metrics_path']), []).append(service)
    for (name, metrics_path), members in sorted(by_name.items()):
        configs.append({'job_name': name, 'metrics_path': metrics_path, 'static_configs': [
            _static([urlsplit(s['target']).netloc], {'node': s['node']}) for s in members]})
    if blackbox_address:
        for kind, module in PROBE_MODULES.items():
            members = [s for s in services if s['kind'] == kind]
            if not members:
                continue
            configs.append({
                'job_name': f'probe_{kind}',
                'metrics_path': '/probe',
                'params': {'module': [module]},
                'static_configs': [_static([s['target']], {'service': s['name'], 'node': s['node']}) for s in members],
                'relabel_configs': [
                    {'source_labels': ['__address__'], 'target_label': '__param_target'},
                    {'source_labels': ['__param_target'], 'target_label': 'instance'},
                    {'target_label': '__address__', 'replacement': blackbox_address},
                ],
            })
    return configs


class FilterModule:
    """Monitoring target filters."""

    def filters(self):
        return {
            "stack_services": stack_services,
            "host_targets": host_targets,
            "scrape_configs": scrape_configs,
        }
