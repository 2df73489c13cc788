# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bentoml role's settings checked in one call, each problem naming one variable (a service by
its index and name); a service's secret environment comes in as its names alone."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.kubernetes import bentoml_k8s_manifests
from ansible_collections.efficientai.mlops.plugins.module_utils._bentoml import tag_problem
from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import (
    checked, integer, is_abs, is_list, kind, not_absolute, not_lists, number, server_tls_problems, shown, user_id)

_RELEASE = re.compile(r'^1\.4\.[0-9]+$')
# The units' names (bentoml-<name>-a) and the Kubernetes objects' (a DNS-1035 label) come from it.
_NAME = re.compile(r'^[a-z]([-a-z0-9]*[a-z0-9])?$')
_NAME_MAX = 40
_SOURCE = re.compile(r'^(/|[a-z][a-z0-9+.-]*://)')
_MEMORY = re.compile(r'^[0-9]+[KMGT]?$')
_ENVIRONMENT_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
# Below 1024 a port needs root, which the services do not have.
_PORTS = range(1024, 65536)
_REQUIRED = (
    'bentoml_version', 'bentoml_python_packages', 'bentoml_services', 'bentoml_deployments_dir',
    'bentoml_ready_timeout', 'bentoml_front', 'bentoml_kubernetes_enabled', 'bentoml_kubernetes_manifest_dir',
    'kubernetes_settings', 'bentoml_tls', 'bentoml_tls_certificate', 'bentoml_tls_key', 'bentoml_tls_ca',
    'bentoml_tls_extra_names', 'bentoml_tls_ca_dir', 'user_uid')


def _service_port(value):
    return integer(value) in _PORTS


def _where(index, service):
    return f"bentoml_services[{index}] ({service.get('name')})"


def _is_present(service):
    return isinstance(service, dict) and service.get('state', 'present') == 'present'


def _services_of(s):
    return s['bentoml_services'] if is_list(s['bentoml_services']) else []


def _setup(s):
    problems = []
    if not _RELEASE.match(str(s['bentoml_version'])):
        problems.append(f"bentoml_version must be a 1.4.x release such as 1.4.40 (got {s['bentoml_version']!r})")
    # The argument spec turns a string into a one-item list, so a string here is a mistake.
    problems += not_lists(s, ['bentoml_python_packages'])
    if not is_list(s['bentoml_services']):
        problems.append(f"bentoml_services must be a list of services (got {shown(s['bentoml_services'])})")
    problems += not_absolute(s, ['bentoml_deployments_dir'])
    timeout = integer(s['bentoml_ready_timeout'])
    if timeout is None or timeout < 1:
        problems.append(f"bentoml_ready_timeout must be a number of seconds above 0 (got {s['bentoml_ready_timeout']!r})")
    # The front is a system package and its instances run as another user.
    if s['bentoml_front'] == 'haproxy' and integer(s['user_uid']) != 0 and any(map(_is_present, _services_of(s))):
        problems.append(f"bentoml_front is haproxy, a system package whose instances run as another user, which needs "
                        f"root (user id {user_id(s)}): set become: true, or bentoml_front: none (a changed service "
                        "then restarts in place)")
    return problems


def _tag(field, tag):
    problem = tag_problem(tag)
    return [f"{field} must be a BentoML tag with a fixed version ({problem})"] if problem else []


def _identity(service):
    """Name, bento and source: what the service is."""
    problems = []
    name, bento, source = service.get('name'), service.get('bento'), service.get('source', '')
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > _NAME_MAX:
        problems.append(f"name must be lowercase letters, digits and -, starting with a letter, at most {_NAME_MAX} "
                        f"characters (got {name!r})")
    # One message on the bento: the demo's rule only for a valid tag.
    bento_problems = _tag('bento', bento)
    if not bento_problems and source == 'demo' and not bento.startswith('iris_classifier:'):
        bento_problems = [f"bento must be iris_classifier:<version> with source demo, the bento the demo builds (got "
                          f"{bento!r}): or set source to the archive of {bento}"]
    problems += bento_problems
    if source not in ('', 'demo') and not _SOURCE.match(str(source)):
        problems.append(f"source must be empty, demo, an absolute path or a URL such as s3://bucket/key (got {source!r})")
    return problems


def _runtime(service, front):
    """Ports, processes and limits."""
    problems = []
    if not _service_port(service.get('port')):
        problems.append(f"port must be 1024-65535 (got {service.get('port')!r})")
    slot_ports = service.get('slot_ports')
    if front == 'haproxy' and not (is_list(slot_ports) and len(slot_ports) == 2 and all(map(_service_port, slot_ports))):
        problems.append(f"slot_ports must be two ports 1024-65535 (got {slot_ports!r}), or empty for port + 1 and port + 2")
    workers, threads, cpus = integer(service.get('workers')), integer(service.get('threads')), number(service.get('cpus'))
    if workers is None or workers < 1:
        problems.append(f"workers must be 1 or more (got {service.get('workers')!r})")
    if threads is None or threads < 0:
        problems.append(f"threads must be 0 (the bento's own setting) or more (got {service.get('threads')!r})")
    if cpus is None or cpus < 0:
        problems.append(f"cpus must be 0 (no limit) or more (got {service.get('cpus')!r})")
    memory_max = service.get('memory_max', '')
    if memory_max != '' and not _MEMORY.match(str(memory_max)):
        problems.append(f"memory_max must be empty or look like 512M or 2G (got {memory_max!r})")
    return problems


def _environment(service):
    """Variable names only: of secret_environment only its names are read, and no value is shown."""
    problems = []
    for field in ('environment', 'secret_environment'):
        names = service.get(field, {})
        if not isinstance(names, Mapping):
            problems.append(f"{field} must be a dict of NAME: value (got {kind(names)})")
            continue
        wrong = [name for name in names if not _ENVIRONMENT_NAME.match(str(name))]
        if wrong:
            problems.append(f"{field} names must be letters, digits and _, not starting with a digit (got {wrong!r})")
    return problems


def _models(service):
    models = service.get('models', [])
    if not is_list(models):
        return [f"models must be a list of {{tag, source}} (got {models!r})"]
    problems = []
    for index, model in enumerate(models):
        if not isinstance(model, dict):
            problems.append(f"models[{index}] must be a dict with a tag and a source (got {model!r})")
            continue
        problems += _tag(f"models[{index}].tag", model.get('tag'))
        if not _SOURCE.match(str(model.get('source', ''))):
            problems.append(f"models[{index}].source must be an absolute path or a URL such as s3://bucket/key "
                            f"(got {model.get('source', '')!r})")
    return problems


def _services(s):
    problems = []
    for index, service in enumerate(_services_of(s)):
        if not isinstance(service, dict):
            problems.append(f"bentoml_services[{index}] must be a dict with a name, a bento and a port (got {shown(service)})")
            continue
        where = _where(index, service)
        found = _identity(service) + _runtime(service, s['bentoml_front']) + _environment(service) + _models(service)
        problems += [f"{where}: {problem}" for problem in found]
    return problems


def _distinct(s):
    """Every service has its own name, and every present one its own ports (slots included)."""
    problems, names, owners = [], {}, {}
    for index, service in enumerate(_services_of(s)):
        if not isinstance(service, dict):
            continue
        where, name = _where(index, service), str(service.get('name'))
        if name in names:
            problems.append(f"{where}: name must differ from that of {names[name]}: every service needs its own name")
        names.setdefault(name, where)
        if not _is_present(service):
            continue
        slot_ports = service.get('slot_ports') if is_list(service.get('slot_ports')) else []
        fields = [('port', service.get('port'))]
        fields += [(f'slot_ports[{slot}]', port) for slot, port in enumerate(slot_ports)] if s['bentoml_front'] == 'haproxy' else []
        for field, value in fields:
            port = integer(value)
            if port in owners:
                problems.append(f"{where}: {field} must be a port of its own, slot ports included (got {port}, which "
                                f"{owners[port][0]} binds already as its {owners[port][1]})")
            elif port is not None:
                owners[port] = (where, field)
    return problems


def _kubernetes(s):
    if not s['bentoml_kubernetes_enabled']:
        return []
    problems = []
    if not is_abs(s['bentoml_kubernetes_manifest_dir']):
        problems.append(f"bentoml_kubernetes_manifest_dir must be an absolute directory on the controller while "
                        f"bentoml_kubernetes_enabled is true (got {s['bentoml_kubernetes_manifest_dir']!r})")
    for index, service in enumerate(_services_of(s)):
        if not _is_present(service):
            continue
        kubernetes = service.get('kubernetes') if isinstance(service.get('kubernetes'), dict) else {}
        # A bad name or bento is reported above already, and the manifests would only repeat it.
        if not kubernetes.get('enabled', True) or _identity(service):
            continue
        # Rendering checks every value (quantities, replicas against the autoscaling range, ...).
        try:
            bentoml_k8s_manifests(service, s['kubernetes_settings'])
        except AnsibleFilterError as error:
            detail = str(error).replace(f"Kubernetes settings of service '{service['name']}': ", '')
            problems.append(f"{_where(index, service)}: kubernetes (over the bentoml_kubernetes_* settings) must give "
                            f"valid manifests: {detail}")
    return problems


def _tls(s):
    if not s['bentoml_tls']:
        return []
    return server_tls_problems(s, 'bentoml')


def bentoml_settings_problems(settings):
    """Return one message per problem of the bentoml role's settings; an empty list means valid.

    `settings` maps the role's variable names to their values, with bentoml_services as the role
    derives them (each with its defaults; of a secret_environment only the names are read), the
    Kubernetes settings the manifests start from (kubernetes_settings) and the host's user_uid.
    No message shows a secret: the TLS certificate, key and CA come in as whether each is given."""
    s = checked(settings, _REQUIRED, 'bentoml_settings_problems')
    return _setup(s) + _services(s) + _distinct(s) + _kubernetes(s) + _tls(s)


class FilterModule:
    def filters(self):
        return {'bentoml_settings_problems': bentoml_settings_problems}
