"""Unit tests of the virtual environments' commands and identities (module_utils/_python_app)."""

import pytest

import hashlib
import re

import jinja2

from ansible_collections.efficientai.mlops.plugins.module_utils._python_app import (
    UNCOMPILED, censor_credentials, python_app_commands, spec_id, version_package)

VENV = '/opt/efficientai/mlflow/venvs/abc'
UV = '/opt/efficientai/tools/uv-0.13.9/bin/uv'


def app(**fields):
    return dict({'python': '/usr/bin/python3', 'packages': ['mlflow[auth]==3.17.2', 'psycopg2-binary==2.9.13'],
                 'pip_index_url': '', 'pip_wheelhouse': '', 'pip_offline': False, 'pip_extra_args': []}, **fields)


def test_uv_makes_a_venv_with_pip_from_the_given_interpreter_and_installs_into_it():
    commands = python_app_commands(app(), VENV, uv=UV)
    assert commands['installer'] == 'uv'
    assert commands['create'] == [UV, 'venv', '--quiet', '--seed', '--python', '/usr/bin/python3', VENV]
    assert commands['install'][:6] == [UV, 'pip', 'install', '--quiet', '--python', VENV + '/bin/python']
    assert commands['install'][-2:] == ['mlflow[auth]==3.17.2', 'psycopg2-binary==2.9.13']
    assert commands['environment']['UV_PYTHON_DOWNLOADS'] == 'never'
    assert commands['environment']['UV_SYSTEM_CERTS'] == '1'


def test_pip_without_uv():
    commands = python_app_commands(app(), VENV)
    assert commands['installer'] == 'pip'
    assert commands['create'] == ['/usr/bin/python3', '-m', 'venv', VENV]
    assert commands['install'][0] == VENV + '/bin/pip' and '--no-compile' in commands['install']
    assert commands['environment'] == {}


@pytest.mark.parametrize('uv, offline_flags', [(UV, ['--offline', '--no-index']), ('', ['--no-index'])])
def test_an_offline_wheelhouse(uv, offline_flags):
    install = python_app_commands(app(pip_wheelhouse='/srv/wheels', pip_offline=True), VENV, uv=uv)['install']
    assert install[install.index('--find-links') + 1] == '/srv/wheels'
    assert all(flag in install for flag in offline_flags)


@pytest.mark.parametrize('uv, variable', [(UV, 'UV_DEFAULT_INDEX'), ('', 'PIP_INDEX_URL')])
def test_an_index_url_is_read_from_stdin_never_put_on_the_command_line(uv, variable):
    url = 'https://user:s3cret@pypi.example.com/simple'
    commands = python_app_commands(app(pip_index_url=url), VENV, uv=uv)
    assert commands['install'][:2] == ['sh', '-c']
    assert f'read -r {variable}' in commands['install'][2]
    assert not any('s3cret' in arg for arg in commands['install'] + commands['create'])
    assert not any('s3cret' in value for value in commands['environment'].values())


def test_the_proxy_goes_to_both_installers():
    for uv in (UV, ''):
        environment = python_app_commands(app(), VENV, uv=uv, proxy='http://10.0.0.1:3128')['environment']
        assert environment['HTTPS_PROXY'] == environment['HTTP_PROXY'] == 'http://10.0.0.1:3128'


def test_extra_arguments_come_before_the_packages():
    install = python_app_commands(app(pip_extra_args=['--no-deps']), VENV, uv=UV)['install']
    assert install[-3:] == ['--no-deps', 'mlflow[auth]==3.17.2', 'psycopg2-binary==2.9.13']


@pytest.mark.parametrize('bad, venv', [({'python': '/usr/bin/python3', 'packages': []}, VENV), (app(), ''), ('mlflow', VENV)])
def test_refuses_what_cannot_be_built(bad, venv):
    with pytest.raises(ValueError):
        python_app_commands(bad, venv)


# The identity the task list computed before the module did: an upgrade of the collection must
# find the environments it built, not rebuild them.
TASKS_SPEC_ID = (
    "{{ (((packages | sort) + [python, pip_index_url, pip_wheelhouse, pip_offline | string] + pip_extra_args"
    " + ([] if installer == 'pip' else [installer])) | join('\\n') | hash('sha1'))[:12] }}")


def tasks_spec_id(fields):
    environment = jinja2.Environment()
    environment.filters['hash'] = lambda text, kind: hashlib.new(kind, text.encode()).hexdigest()
    return environment.from_string(TASKS_SPEC_ID).render(**fields)


@pytest.mark.parametrize('fields', [
    {'installer': 'uv'},
    {'installer': 'pip'},
    {'installer': 'uv', 'packages': ['Werkzeug==3.1.3', 'mlflow[auth]==3.17.2', 'bentoml==1.4.0']},
    {'installer': 'pip', 'pip_offline': True, 'pip_wheelhouse': '/srv/wheels', 'pip_extra_args': ['--pre']},
])
def test_the_identity_is_the_one_the_tasks_computed(fields):
    application = app(**fields)
    assert spec_id(application) == tasks_spec_id(application)


def test_every_field_of_the_specification_changes_the_identity():
    base = app(installer='uv')
    others = [app(installer='pip'), app(installer='uv', python='/usr/bin/python3.12'),
              app(installer='uv', packages=['mlflow[auth]==3.17.3', 'psycopg2-binary==2.9.13']),
              app(installer='uv', pip_offline=True), app(installer='uv', pip_extra_args=['--pre'])]
    assert len({spec_id(base)} | {spec_id(other) for other in others}) == 1 + len(others)


@pytest.mark.parametrize('packages, name', [
    (['mlflow[auth]==3.17.2'], 'mlflow'), (['apache-airflow==3.1.3', 'x'], 'apache-airflow'),
    (['uv'], 'uv'), (['bentoml>=1.4; python_version>"3"'], 'bentoml')])
def test_the_version_comes_from_the_first_package(packages, name):
    assert version_package(packages) == name


def test_credentials_of_an_index_url_are_censored():
    assert censor_credentials('GET https://bob:s3cret@pypi.example/simple failed') == (
        'GET https://********@pypi.example/simple failed')


@pytest.mark.parametrize('uv', [UV, ''])
def test_both_installers_leave_the_compile_to_one_step_that_skips_the_packages_tests(uv):
    commands = python_app_commands(app(), VENV, uv=uv)
    assert '--compile-bytecode' not in commands['install']
    assert commands['compile'][:3] == [VENV + '/bin/python', '-m', 'compileall'] and commands['compile'][-1] == VENV + '/lib'
    assert commands['compile'][commands['compile'].index('-x') + 1] == UNCOMPILED


@pytest.mark.parametrize('path, compiled', [
    ('/opt/efficientai/mlflow/venvs/abc/lib/python3.11/site-packages/pandas/tests/frame/test_api.py', False),
    ('/opt/efficientai/mlflow/venvs/abc/lib/python3.11/site-packages/scipy/_lib/tests/test_x.py', False),
    ('/opt/efficientai/mlflow/venvs/abc/lib/python3.11/site-packages/pandas/core/frame.py', True),
    ('/opt/efficientai/mlflow/venvs/abc/lib/python3.11/site-packages/numpy/testing/utils.py', True),
    ('/opt/efficientai/mlflow/venvs/abc/lib/python3.11/site-packages/tests_helper.py', True),
    # An environment under a directory named test still compiles.
    ('/srv/test/venvs/abc/lib/python3.11/site-packages/mlflow/server/app.py', True),
])
def test_the_uncompiled_files_are_the_packages_tests_only(path, compiled):
    assert (re.search(UNCOMPILED, path) is None) == compiled
