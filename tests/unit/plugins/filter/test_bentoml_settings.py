"""Unit tests of the bentoml_settings_problems filter: the bentoml role's preflight in one call."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.bentoml_settings import bentoml_settings_problems

# The service of inventories/production's serving hosts, with the role's defaults (vars/main.yml).
IRIS = {
    'name': 'iris', 'bento': 'iris_classifier:1.0.0', 'source': 'demo', 'port': 3000, 'slot_ports': [3001, 3002],
    'models': [], 'workers': 2, 'threads': 0, 'environment': {}, 'secret_environment': {}, 'config': {}, 'cpus': 2,
    'memory_max': '4G', 'state': 'present', 'kubernetes': {},
}
# The role's defaults of the manifests (vars/main.yml's _bentoml_kubernetes_settings).
KUBERNETES = {
    'namespace': 'mlops', 'image_registry': '', 'replicas': 3,
    'resources': {'requests': {'cpu': '2', 'memory': '4Gi'}, 'limits': {'cpu': '4', 'memory': '8Gi'}},
    'autoscaling': {'enabled': True, 'min_replicas': 2, 'max_replicas': 10, 'cpu_utilization': 70},
    'service_type': 'ClusterIP', 'service_port': 3000,
}
# A serving host of inventories/production, as the preflight task passes it: HAProxy front, TLS, root.
PRODUCTION = {
    'bentoml_version': '1.4.40', 'bentoml_python_packages': ['scikit-learn==1.9.1'], 'bentoml_services': [IRIS],
    'bentoml_deployments_dir': '/opt/efficientai/bentoml/deployments', 'bentoml_ready_timeout': 120,
    'bentoml_front': 'haproxy', 'bentoml_kubernetes_enabled': False, 'bentoml_kubernetes_manifest_dir': '',
    'kubernetes_settings': KUBERNETES, 'bentoml_tls': True, 'bentoml_tls_certificate': False, 'bentoml_tls_key': False,
    'bentoml_tls_ca': False, 'bentoml_tls_extra_names': ['bentoml.backend.internal'],
    'bentoml_tls_ca_dir': '/root/.efficientai/pki', 'user_uid': 0,
}
# inventories/development: no root, so no front and no TLS; the manifests are rendered.
DEVELOPMENT = dict(PRODUCTION, bentoml_front='none', bentoml_tls=False, user_uid=1000,
                   bentoml_services=[dict(IRIS, workers=1, cpus=0, memory_max='')],
                   bentoml_deployments_dir='/home/ana/mlops/.workspace/bentoml/deployments',
                   bentoml_kubernetes_enabled=True, bentoml_kubernetes_manifest_dir='/home/ana/mlops/.workspace/kubernetes',
                   bentoml_tls_ca_dir='/home/ana/.efficientai/pki')


def services(*changed):
    """PRODUCTION's settings with these services, each IRIS with its changes."""
    return {'bentoml_services': [dict(IRIS, **changes) for changes in changed]}


@pytest.mark.parametrize('settings', [
    PRODUCTION, DEVELOPMENT,
    dict(PRODUCTION, bentoml_services=[]),
    dict(PRODUCTION, user_uid=1000, bentoml_tls=False, bentoml_services=[dict(IRIS, state='absent')]),
    dict(PRODUCTION, **services({}, {'name': 'iris-next', 'port': 3010, 'slot_ports': [3011, 3012],
                                     'secret_environment': {'API_TOKEN': 'tok-Vq8-tukm-Rz3w-Lp2x'}, 'environment': {'LOG_LEVEL': 'info'}})),
    dict(PRODUCTION, **services({}, {'name': 'old', 'port': 3000, 'state': 'absent'})),
    dict(PRODUCTION, **services({'source': 's3://models/iris.bento', 'bento': 'iris:2.0.1', 'memory_max': '',
                                 'models': [{'tag': 'iris_clf:1.0.0', 'source': '/srv/models/iris_clf.bentomodel'}]})),
    dict(DEVELOPMENT, **services({'port': 3001, 'slot_ports': [3000, 3001]})),
    dict(DEVELOPMENT, **services({'kubernetes': {'enabled': False, 'replicas': 50}})),
    dict(PRODUCTION, bentoml_tls_certificate=True, bentoml_tls_key=True, bentoml_tls_ca=True),
], ids=['production', 'development', 'no service', 'front without root, nothing present', 'two services',
        'an absent service on a port in use', 's3 and models', 'slot ports without front', 'kubernetes off for one',
        'given certificate'])
def test_valid_settings_have_no_problems(settings):
    assert bentoml_settings_problems(settings) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'bentoml_version': '1.5.0'}, 'bentoml_version', "a 1.4.x release such as 1.4.40 (got '1.5.0')"),
    ({'bentoml_python_packages': 'torch==2.9.0'}, 'bentoml_python_packages', "must be a list (got 'torch==2.9.0')"),
    ({'bentoml_services': 'iris'}, 'bentoml_services', "must be a list of services (got 'iris')"),
    ({'bentoml_services': {'name': 'iris'}}, 'bentoml_services', 'must be a list of services (got a dict)'),
    ({'bentoml_services': ['iris']}, 'bentoml_services[0]', "must be a dict with a name, a bento and a port (got 'iris')"),
    ({'bentoml_services': [['iris']]}, 'bentoml_services[0]', 'must be a dict with a name, a bento and a port (got a list)'),
    ({'bentoml_deployments_dir': 'deployments'}, 'bentoml_deployments_dir', "absolute path (got 'deployments')"),
    ({'bentoml_ready_timeout': 0}, 'bentoml_ready_timeout', 'above 0 (got 0)'),
    ({'user_uid': 1000, 'bentoml_tls': False}, 'bentoml_front', 'needs root (user id 1000): set become: true, or bentoml_front: none'),
    ({'user_uid': '', 'bentoml_tls': False}, 'bentoml_front', 'needs root (user id unknown, facts not gathered)'),
    (services({'name': 'Iris'}), 'bentoml_services[0]', "(Iris): name must be lowercase letters, digits and -, starting with "
                                                        "a letter, at most 40 characters (got 'Iris')"),
    (services({'name': 'i' * 41}), 'bentoml_services[0]', 'at most 40 characters'),
    (services({'bento': 'iris_classifier:latest'}), 'bentoml_services[0]',
     "(iris): bento must be a BentoML tag with a fixed version ('iris_classifier:latest' follows latest"),
    (services({'bento': 'Iris Classifier:1.0'}), 'bentoml_services[0]', "('Iris Classifier:1.0' is not valid: a BentoML tag is"),
    (services({'bento': 'Iris Classifier'}), 'bentoml_services[0]', "('Iris Classifier' names no version: a BentoML tag is"),
    (services({'bento': 'iris_classifier'}), 'bentoml_services[0]', "('iris_classifier' names no version"),
    (services({'source': 'models/iris.bento'}), 'bentoml_services[0]',
     "source must be empty, demo, an absolute path or a URL such as s3://bucket/key (got 'models/iris.bento')"),
    (services({'bento': 'penguins:1.0.0'}), 'bentoml_services[0]',
     "bento must be iris_classifier:<version> with source demo, the bento the demo builds (got 'penguins:1.0.0')"),
    (services({'port': 80}), 'bentoml_services[0]', '(iris): port must be 1024-65535 (got 80)'),
    (services({'port': 'eighty'}), 'bentoml_services[0]', "port must be 1024-65535 (got 'eighty')"),
    (services({'slot_ports': [3001, 99999]}), 'bentoml_services[0]', 'slot_ports must be two ports 1024-65535 (got [3001, 99999])'),
    (services({'slot_ports': [3001]}), 'bentoml_services[0]', 'slot_ports must be two ports 1024-65535 (got [3001])'),
    (services({'workers': 0}), 'bentoml_services[0]', 'workers must be 1 or more (got 0)'),
    (services({'threads': -1}), 'bentoml_services[0]', "threads must be 0 (the bento's own setting) or more (got -1)"),
    (services({'cpus': -0.5}), 'bentoml_services[0]', 'cpus must be 0 (no limit) or more (got -0.5)'),
    (services({'memory_max': '2GB'}), 'bentoml_services[0]', "memory_max must be empty or look like 512M or 2G (got '2GB')"),
    (services({'environment': {'LOG-LEVEL': 'info', 'OK': '1'}}), 'bentoml_services[0]',
     "environment names must be letters, digits and _, not starting with a digit (got ['LOG-LEVEL'])"),
    (services({'environment': ['LOG_LEVEL=info']}), 'bentoml_services[0]', 'environment must be a dict of NAME: value (got a list)'),
    (services({'secret_environment': None}), 'bentoml_services[0]', '(iris): secret_environment must be a dict of NAME: value (got null)'),
    (services({'secret_environment': ['TOKEN=x']}), 'bentoml_services[0]', 'secret_environment must be a dict of NAME: value (got a list)'),
    (services({'secret_environment': {'1TOKEN': 'x'}}), 'bentoml_services[0]',
     "secret_environment names must be letters, digits and _, not starting with a digit (got ['1TOKEN'])"),
    (services({'models': 'iris_clf:1.0.0'}), 'bentoml_services[0]', "models must be a list of {tag, source} (got 'iris_clf:1.0.0')"),
    (services({'models': [{'tag': 'iris_clf', 'source': '/srv/clf.bentomodel'}]}), 'bentoml_services[0]',
     "(iris): models[0].tag must be a BentoML tag with a fixed version ('iris_clf' names no version"),
    (services({'models': [{'tag': 'iris_clf:1.0.0', 'source': 'clf.bentomodel'}]}), 'bentoml_services[0]',
     "models[0].source must be an absolute path or a URL such as s3://bucket/key (got 'clf.bentomodel')"),
    (services({'models': [{'tag': 'iris_clf:1.0.0'}]}), 'bentoml_services[0]', "models[0].source must be an absolute path"),
    (services({'models': ['iris_clf:1.0.0']}), 'bentoml_services[0]', "models[0] must be a dict with a tag and a source"),
    (services({}, {'port': 3010, 'slot_ports': [3011, 3012]}), 'bentoml_services[1]',
     '(iris): name must differ from that of bentoml_services[0] (iris): every service needs its own name'),
    (services({}, {'name': 'iris-2', 'port': 3001, 'slot_ports': [3011, 3012]}), 'bentoml_services[1]',
     '(iris-2): port must be a port of its own, slot ports included (got 3001, which bentoml_services[0] (iris) binds '
     'already as its slot_ports[0])'),
    (services({'slot_ports': [3000, 3002]}), 'bentoml_services[0]',
     'slot_ports[0] must be a port of its own, slot ports included (got 3000, which bentoml_services[0] (iris) binds '
     'already as its port)'),
    ({'bentoml_kubernetes_enabled': True}, 'bentoml_kubernetes_manifest_dir',
     "an absolute directory on the controller while bentoml_kubernetes_enabled is true (got '')"),
    (dict(services({'kubernetes': {'replicas': 50}}), bentoml_kubernetes_enabled=True, bentoml_kubernetes_manifest_dir='/srv/k8s'),
     'bentoml_services[0]', '(iris): kubernetes (over the bentoml_kubernetes_* settings) must give valid manifests: '
                            'replicas (50) must lie between autoscaling.min_replicas (2) and max_replicas (10)'),
    ({'kubernetes_settings': dict(KUBERNETES, resources={'requests': {'cpu': '2', 'memory': '4GB'}}),
      'bentoml_kubernetes_enabled': True, 'bentoml_kubernetes_manifest_dir': '/srv/k8s'},
     'bentoml_services[0]', "resources.requests.memory '4GB' is not a Kubernetes quantity"),
    ({'bentoml_tls_certificate': True}, 'bentoml_tls_key', 'is empty while bentoml_tls_certificate is set: give both'),
    ({'bentoml_tls_key': True}, 'bentoml_tls_certificate', 'is empty while bentoml_tls_key is set'),
    ({'bentoml_tls_certificate': True, 'bentoml_tls_key': True}, 'bentoml_tls_ca', 'the CA that signed the certificate'),
    ({'bentoml_tls_extra_names': 'bentoml.backend.internal'}, 'bentoml_tls_extra_names', 'must be a list'),
    ({'bentoml_tls_ca_dir': '~/pki'}, 'bentoml_tls_ca_dir', "absolute path (got '~/pki')"),
    ({'user_uid': 1000, 'bentoml_front': 'none'}, 'bentoml_tls', 'needs the role to run as root (user id 1000)'),
])
def test_each_problem_names_its_variable_and_value(changes, variable, message):
    problems = bentoml_settings_problems(dict(PRODUCTION, **changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ' ') and message in problems[0], problems[0]


def test_no_message_shows_a_secret():
    """Of a service's secret_environment only the names are shown, and of a service list in the
    wrong shape only its type."""
    secret = 'tok-Vq8-tukm-Rz3w-Lp2x'
    problems = bentoml_settings_problems(dict(PRODUCTION, **services({'secret_environment': {'API-TOKEN': secret}})))
    assert problems == ["bentoml_services[0] (iris): secret_environment names must be letters, digits and _, not starting "
                        "with a digit (got ['API-TOKEN'])"]
    for wrong in ({'secret_environment': {'TOKEN': secret}}, [[secret]], [dict(IRIS, secret_environment=f'TOKEN={secret}')]):
        problems = bentoml_settings_problems(dict(PRODUCTION, bentoml_services=wrong))
        assert problems and not [problem for problem in problems if secret in problem], problems


def test_every_problem_is_reported_at_once():
    problems = bentoml_settings_problems(dict(PRODUCTION, bentoml_version='1.3.0', bentoml_tls_ca_dir='pki',
                                              **services({'port': 80, 'workers': 0}, {'name': 'Iris', 'port': 3010, 'slot_ports': [3011, 3012]})))
    assert [problem.split(': ', 1)[0] if problem.startswith('bentoml_services') else problem.split(' ', 1)[0]
            for problem in problems] == ['bentoml_version', 'bentoml_services[0] (iris)', 'bentoml_services[0] (iris)',
                                         'bentoml_services[1] (Iris)', 'bentoml_tls_ca_dir']


def test_settings_of_a_part_that_is_off_are_not_checked():
    """Without the front, TLS or Kubernetes, their settings cannot be wrong."""
    assert bentoml_settings_problems(dict(DEVELOPMENT, bentoml_kubernetes_enabled=False, bentoml_kubernetes_manifest_dir='',
                                          bentoml_tls_ca_dir='pki', bentoml_tls_certificate=True,
                                          **services({'slot_ports': [1], 'kubernetes': {'replicas': 50}}))) == []


def test_a_bad_name_or_bento_is_not_repeated_by_the_manifests():
    problems = bentoml_settings_problems(dict(DEVELOPMENT, **services({'name': 'Iris', 'bento': 'iris_classifier:latest'})))
    assert len(problems) == 2 and 'kubernetes' not in ' '.join(problems), problems


def test_a_missing_setting_is_the_callers_error():
    with pytest.raises(AnsibleFilterError, match='settings lack bentoml_front'):
        bentoml_settings_problems({key: value for key, value in PRODUCTION.items() if key != 'bentoml_front'})
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        bentoml_settings_problems(['bentoml_front'])
