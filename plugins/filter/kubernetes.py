# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes manifests of a BentoML deployment: a Deployment, a Service and a
HorizontalPodAutoscaler, with every value checked and a message that names it."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.module_utils._bentoml import tag_problem

# resource.Quantity: a decimal number with a binary (Ki..Ei), decimal (n..E) or exponent suffix.
_QUANTITY = re.compile(r'^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$')
_BINARY = {'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60}
_DECIMAL = {'n': Decimal('1e-9'), 'u': Decimal('1e-6'), 'm': Decimal('1e-3'), '': Decimal(1), 'k': Decimal('1e3'),
            'M': Decimal('1e6'), 'G': Decimal('1e9'), 'T': Decimal('1e12'), 'P': Decimal('1e15'), 'E': Decimal('1e18')}
# DNS-1035 label: what a Service name must be.
_NAME = re.compile(r'^[a-z]([-a-z0-9]*[a-z0-9])?$')
_SERVICE_TYPES = ('ClusterIP', 'NodePort', 'LoadBalancer')
CONTAINER_PORT = 3000


def quantity(value, what):
    """Return a Kubernetes quantity (such as 2, 500m, 4Gi) as a Decimal; refuse anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise AnsibleFilterError(f'{what} must be a Kubernetes quantity such as 2, 500m or 4Gi, got {value!r}')
    match = _QUANTITY.match(str(value))
    if not match:
        raise AnsibleFilterError(f"{what} '{value}' is not a Kubernetes quantity: use a number with an optional "
                                 f"suffix such as 500m, 2, 512Mi or 4Gi (not 4GB or 4 Gi)")
    suffix = match.group('suffix') or ''
    try:
        number = Decimal(match.group('number'))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise AnsibleFilterError(f"{what} '{value}' is not a number") from None
    if suffix in _BINARY:
        number *= _BINARY[suffix]
    elif suffix in _DECIMAL:
        number *= _DECIMAL[suffix]
    else:
        number *= Decimal(10) ** int(suffix[1:])
    if number <= 0:
        raise AnsibleFilterError(f"{what} '{value}' must be greater than zero")
    return number


def _integer(value, what, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, str) and value.isdigit()):
        raise AnsibleFilterError(f'{what} must be a whole number, got {value!r}')
    if int(value) < minimum:
        raise AnsibleFilterError(f'{what} must be at least {minimum}, got {value}')
    return int(value)


def _merged(settings, overrides):
    """The settings of one service: its own `kubernetes` values over the role's."""
    merged = dict(settings)
    for key, value in (overrides or {}).items():
        if key in ('resources', 'autoscaling') and isinstance(value, dict):
            base = dict(merged.get(key) or {})
            for inner, inner_value in value.items():
                base[inner] = dict(base.get(inner) or {}, **inner_value) if isinstance(inner_value, dict) else inner_value
            merged[key] = base
        else:
            merged[key] = value
    return merged


def _resources(resources, what):
    checked = {}
    for level in ('requests', 'limits'):
        values = (resources or {}).get(level) or {}
        unknown = sorted(set(values) - {'cpu', 'memory'})
        if unknown:
            raise AnsibleFilterError(f"{what}.{level} knows cpu and memory, not {', '.join(unknown)}")
        checked[level] = {key: (str(value), quantity(value, f'{what}.{level}.{key}')) for key, value in values.items()}
    for key in ('cpu', 'memory'):
        if key in checked['requests'] and key in checked['limits'] and checked['requests'][key][1] > checked['limits'][key][1]:
            raise AnsibleFilterError(f"{what}.requests.{key} ({checked['requests'][key][0]}) is more than "
                                     f"{what}.limits.{key} ({checked['limits'][key][0]})")
    return {level: {key: pair[0] for key, pair in values.items()} for level, values in checked.items() if values}


def bentoml_k8s_manifests(service, settings):
    """Return the Deployment, Service and (with autoscaling) HorizontalPodAutoscaler of one
    BentoML service. `service` is an item of bentoml_services (name, bento, environment,
    kubernetes); `settings` holds namespace, image_registry, replicas, resources,
    autoscaling (enabled, min_replicas, max_replicas, cpu_utilization), service_type and
    service_port, which the service's `kubernetes` dict may override."""
    if not isinstance(service, dict) or not isinstance(settings, dict):
        raise AnsibleFilterError('bentoml_k8s_manifests expects a service dict and a settings dict')
    name = service.get('name')
    if not isinstance(name, str) or len(name) > 63 or not _NAME.match(name):
        raise AnsibleFilterError(f"service name {name!r} must be lowercase letters, digits and '-', starting with a letter "
                                 f"(a Kubernetes DNS-1035 label of at most 63 characters)")
    what = f"Kubernetes settings of service '{name}'"
    problem = tag_problem(service.get('bento'))
    if problem:
        raise AnsibleFilterError(f'bento of service {name!r}: {problem}')
    bento_name, version = service['bento'].split(':', 1)
    config = _merged(settings, service.get('kubernetes'))
    unknown = sorted(set(service.get('kubernetes') or {}) - set(settings) - {'image', 'enabled'})
    if unknown:
        raise AnsibleFilterError(f"{what}: unknown key(s) {', '.join(unknown)}")
    namespace = config.get('namespace') or 'default'
    if len(namespace) > 63 or not re.match(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', namespace):
        raise AnsibleFilterError(f"{what}: namespace {namespace!r} must be lowercase letters, digits and '-'")
    replicas = _integer(config.get('replicas', 1), f'{what}: replicas', minimum=0)
    resources = _resources(config.get('resources'), f'{what}: resources')
    service_type = config.get('service_type') or 'ClusterIP'
    if service_type not in _SERVICE_TYPES:
        raise AnsibleFilterError(f"{what}: service_type must be one of {', '.join(_SERVICE_TYPES)}, got {service_type!r}")
    service_port = _integer(config.get('service_port', CONTAINER_PORT), f'{what}: service_port')
    if service_port > 65535:
        raise AnsibleFilterError(f'{what}: service_port must be 1-65535, got {service_port}')
    registry = (config.get('image_registry') or '').rstrip('/')
    image = config.get('image') or (f'{registry}/' if registry else '') + f'{bento_name}:{version}'

    selector = {'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name}
    labels = dict(selector, **{'app.kubernetes.io/version': version, 'app.kubernetes.io/component': 'model-server',
                               'app.kubernetes.io/part-of': 'efficientai-mlops', 'app.kubernetes.io/managed-by': 'ansible'})
    metadata = {'name': name, 'namespace': namespace, 'labels': labels}
    environment = dict(service.get('environment') or {}, BENTOML_DO_NOT_TRACK='true')
    container = {
        'name': 'bentoml',
        'image': image,
        'ports': [{'name': 'http', 'containerPort': CONTAINER_PORT, 'protocol': 'TCP'}],
        'env': [{'name': key, 'value': str(value)} for key, value in sorted(environment.items())],
        'resources': resources,
        # Model loading may take long: the startup probe gives it 150 s before liveness counts.
        'startupProbe': {'httpGet': {'path': '/livez', 'port': 'http'}, 'periodSeconds': 5, 'failureThreshold': 30},
        'livenessProbe': {'httpGet': {'path': '/livez', 'port': 'http'}, 'periodSeconds': 10, 'failureThreshold': 3},
        'readinessProbe': {'httpGet': {'path': '/readyz', 'port': 'http'}, 'periodSeconds': 5, 'failureThreshold': 3},
        'securityContext': {'allowPrivilegeEscalation': False, 'capabilities': {'drop': ['ALL']}},
    }
    deployment = {
        'apiVersion': 'apps/v1',
        'kind': 'Deployment',
        'metadata': metadata,
        'spec': {
            # Applied with `apply` semantics, replicas only counts when it changes: the HPA keeps its scale.
            'replicas': replicas,
            'selector': {'matchLabels': selector},
            # As on hosts: a new pod must be ready before an old one goes.
            'strategy': {'type': 'RollingUpdate', 'rollingUpdate': {'maxSurge': 1, 'maxUnavailable': 0}},
            'template': {
                'metadata': {'labels': labels, 'annotations': {
                    'prometheus.io/scrape': 'true', 'prometheus.io/port': str(CONTAINER_PORT), 'prometheus.io/path': '/metrics'}},
                'spec': {'containers': [container], 'terminationGracePeriodSeconds': 60},
            },
        },
    }
    kube_service = {
        'apiVersion': 'v1',
        'kind': 'Service',
        'metadata': metadata,
        'spec': {'type': service_type, 'selector': selector,
                 'ports': [{'name': 'http', 'port': service_port, 'targetPort': 'http', 'protocol': 'TCP'}]},
    }
    manifests = [deployment, kube_service]
    autoscaling = config.get('autoscaling') or {}
    if autoscaling.get('enabled', True):
        low = _integer(autoscaling.get('min_replicas', 1), f'{what}: autoscaling.min_replicas')
        high = _integer(autoscaling.get('max_replicas', low), f'{what}: autoscaling.max_replicas')
        target = _integer(autoscaling.get('cpu_utilization', 80), f'{what}: autoscaling.cpu_utilization')
        if high < low:
            raise AnsibleFilterError(f'{what}: autoscaling.max_replicas ({high}) is less than min_replicas ({low})')
        if not low <= replicas <= high:
            raise AnsibleFilterError(f'{what}: replicas ({replicas}) must lie between autoscaling.min_replicas ({low}) '
                                     f'and max_replicas ({high})')
        if 'cpu' not in resources.get('requests', {}):
            raise AnsibleFilterError(f'{what}: autoscaling on CPU utilization needs resources.requests.cpu')
        manifests.append({
            'apiVersion': 'autoscaling/v2',
            'kind': 'HorizontalPodAutoscaler',
            'metadata': metadata,
            'spec': {
                'scaleTargetRef': {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'name': name},
                'minReplicas': low,
                'maxReplicas': high,
                'metrics': [{'type': 'Resource', 'resource': {
                    'name': 'cpu', 'target': {'type': 'Utilization', 'averageUtilization': target}}}],
            },
        })
    # No object shared between manifests: YAML would write it as an anchor and an alias.
    return json.loads(json.dumps(manifests))


class FilterModule:
    """Kubernetes manifest filters."""

    def filters(self):
        return {'bentoml_k8s_manifests': bentoml_k8s_manifests}
