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


def _flag(value):
    """An inventory boolean, also when it arrives as a string."""
    if isinstance(value, str):
        return value.strip().lower() in ('true', 'yes', 'on', '1')
    return bool(value)


def _service(name, host, hostvars, kind, port, path='', metrics_path='', tls=False, ca_path=''):
    """One service. A service that serves TLS has an https:// target, tls true and, when
    given, the CA certificate (on the checking host) it is verified with."""
    address = _address(host, hostvars)
    scheme = 'https' if tls else 'http'
    target = f'{address}:{port}' if kind == 'tcp' else f'{scheme}://{address}:{port}{path}'
    service = {'name': name, 'node': host, 'kind': kind, 'target': target, 'metrics_path': metrics_path}
    if tls:
        service['tls'] = True
        if ca_path:
            service['ca_path'] = ca_path
    return service


def _bentoml_services(host, hostvars, ca_path=''):
    # bentoml_tls: the service ports (the HAProxy front) serve HTTPS.
    services = hostvars.get('bentoml_services') or [{'name': '', 'port': hostvars.get('bentoml_port', 3000)}]
    tls = _flag(hostvars.get('bentoml_tls', False))
    return [_service(f"bentoml-{item['name']}" if item.get('name') else 'bentoml', host, hostvars, 'http',
                     item.get('port', 3000), '/readyz', '/metrics', tls, ca_path)
            for item in services if item.get('state', 'started') == 'started']


def _mlflow_replicas(host, hostvars, ca_path=''):
    # Named like the mlflow role's units (mlflow, mlflow-2, ...), on consecutive ports, and
    # mlflow-artifacts where mlflow_artifacts_server; mlflow_tls: every one serves HTTPS.
    replicas, port = int(hostvars.get('mlflow_replicas', 1)), int(hostvars.get('mlflow_port', 5000))
    metrics_path = '/metrics' if hostvars.get('mlflow_prometheus_dir') else ''
    tls = _flag(hostvars.get('mlflow_tls', False))
    services = [_service('mlflow' if index == 0 else f'mlflow-{index + 1}', host, hostvars, 'http', port + index,
                         '/health', metrics_path, tls, ca_path)
                for index in range(replicas)]
    if _flag(hostvars.get('mlflow_artifacts_server', False)):
        services.append(_service('mlflow-artifacts', host, hostvars, 'http',
                                 int(hostvars.get('mlflow_artifacts_server_port', 5500)), '/health', '', tls, ca_path))
    return services


# Inventory group -> the services each of its hosts runs, read from the variables of the
# roles that deploy them (with those roles' defaults).
GROUPS = {
    'tracking': _mlflow_replicas,
    'serving': _bentoml_services,
    'orchestration': lambda host, hv, ca_path='': [_service(
        'airflow', host, hv, 'airflow', hv.get('airflow_api_port', 8080), '/api/v2/monitor/health')],
    'db': lambda host, hv, ca_path='': [_service('postgresql', host, hv, 'tcp', hv.get('postgres_port', 5432))],
    'redis': lambda host, hv, ca_path='': [_service(
        'redis', host, hv, 'tcp', hv.get('redis_port', hv.get('airflow_redis_port', 6379)))],
}


def stack_services(groups, hostvars, ca_path=''):
    """Return the services of the stack from the inventory groups tracking (MLflow, each
    replica), serving (BentoML), orchestration (Airflow), db (PostgreSQL) and redis: a list of
    {name, node, kind, target, metrics_path}, plus tls (and ca_path, when given) for the
    services that serve HTTPS (mlflow_tls, bentoml_tls)."""
    if not hasattr(groups, 'get') or not hasattr(hostvars, '__getitem__'):
        raise AnsibleFilterError('stack_services expects groups | stack_services(hostvars)')
    if not isinstance(ca_path, str) or (ca_path and not ca_path.startswith('/')):
        raise AnsibleFilterError(f'stack_services: ca_path must be an absolute path or empty, got {ca_path!r}')
    services = []
    for group, find in GROUPS.items():
        for host in groups.get(group) or []:
            services.extend(find(host, hostvars[host], ca_path))
    return services


# The UI a person opens for a service, by the start of its name, where it is not the root of
# its port (Airflow's health target is below its UI; BentoML's API page is its root).
_UI_NAMES = {'mlflow-artifacts': None, 'mlflow': 'MLflow', 'airflow': 'Airflow', 'bentoml': 'BentoML'}


def dashboard_links(services, extra=None):
    """Return [{name, url}] for the dashboard: the web UI of each HTTP service of `services`
    (the root of its target's port; artifacts servers and TCP services have none), then the
    `extra` links ({name, url}) as given."""
    if not isinstance(services, list):
        raise AnsibleFilterError(f'dashboard_links expects a list of services, got {type(services).__name__}')
    links = []
    for service in services:
        prefix = next((key for key in _UI_NAMES if str(service.get('name', '')).startswith(key)), None)
        if service.get('kind') == 'tcp' or prefix is None or _UI_NAMES[prefix] is None:
            continue
        target = urlsplit(service['target'])
        suffix = str(service['name'])[len(prefix):].lstrip('-')
        if suffix.isdigit():
            continue  # another replica of the same UI
        label = f"{_UI_NAMES[prefix]} {suffix}".strip() + (f" ({service['node']})" if service.get('node') else '')
        links.append({'name': label, 'url': f'{target.scheme}://{target.netloc}/'})
    for index, link in enumerate(extra or []):
        if not isinstance(link, dict) or not link.get('name') or urlsplit(str(link.get('url', ''))).scheme not in ('http', 'https'):
            raise AnsibleFilterError(f'dashboard_links: extra[{index}] must be {{name, url}} with an http(s) url, got {link!r}')
        links.append({'name': str(link['name']), 'url': str(link['url'])})
    return links


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
    metrics_path, honor_labels, labels}), a metrics job per service name that has a
    metrics_path, and blackbox probes of every service (when blackbox_address is set)."""
    if not isinstance(services, list):
        raise AnsibleFilterError(f'scrape_configs expects a list of services, got {type(services).__name__}')
    configs = []
    for job in jobs or []:
        config = {'job_name': job['job'], 'static_configs': [_static(job['targets'], job.get('labels'))]}
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
        config = {'job_name': name, 'metrics_path': metrics_path, 'static_configs': [
            _static([urlsplit(s['target']).netloc], {'node': s['node']}) for s in members]}
        # A job has one scheme and one CA: the members of a job must agree on them.
        schemes = {urlsplit(s['target']).scheme for s in members}
        cas = {s.get('ca_path', '') for s in members}
        if len(schemes) > 1 or len(cas) > 1:
            raise AnsibleFilterError(f'scrape_configs: the {name!r} services mix HTTP and HTTPS or CA certificates '
                                     f'({", ".join(s["node"] + " " + s["target"] for s in members)}); '
                                     'turn TLS on for all of them or none')
        if schemes == {'https'}:
            config['scheme'] = 'https'
            if cas != {''}:
                config['tls_config'] = {'ca_file': cas.pop()}
        configs.append(config)
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
            "dashboard_links": dashboard_links,
        }
