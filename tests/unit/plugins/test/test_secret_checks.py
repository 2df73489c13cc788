"""The roles' preflight and playbooks/preflight.yml refuse weak secrets and the example vault's values
through the one rule (efficientai.mlops.strong_password), naming the variable and never showing the
value; mlops_allow_example_secrets lets the example values through. Runs secret_checks.yml on localhost
with the committed example vault."""

import json
import os
import secrets
import subprocess
import sys

import pytest

from test_strong_password import EXAMPLES, PRODUCTION, REPO  # this directory is on sys.path (rootdir import mode)

HERE = os.path.dirname(os.path.abspath(__file__))
VAULT_PASSWORD = os.path.join(PRODUCTION, 'vault-password.example.txt')
GROUPS = ('tracking', 'orchestration', 'db', 'proxy')
OPT_IN = 'mlops_allow_example_secrets: true'
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """run(variables) -> (rc, output, {task name: [results]}) of secret_checks.yml with the example vault."""
    def run_playbook(variables):
        tmp_path = tmp_path_factory.mktemp('secrets')
        inventory = tmp_path / 'inventory.json'
        inventory.write_text(json.dumps({'all': {
            'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}},
            'children': {group: {'hosts': {'localhost': {}}} for group in GROUPS}}}))
        extra = tmp_path / 'vars.json'
        extra.write_text(json.dumps(variables))
        config = tmp_path / 'ansible.cfg'
        config.write_text('')
        env = dict(os.environ, ANSIBLE_CONFIG=str(config), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.cache', 'collections'),
                   ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_NOCOLOR='1')
        process = subprocess.run([ANSIBLE_PLAYBOOK, '-i', str(inventory), '--vault-password-file', VAULT_PASSWORD,
                                  '-e', '@' + os.path.join(PRODUCTION, 'group_vars', 'all', 'vault.yml'), '-e', f'@{extra}',
                                  os.path.join(HERE, 'secret_checks.yml')],
                                 capture_output=True, text=True, check=False, cwd=REPO, env=env)
        output = process.stdout + process.stderr
        data = json.loads(process.stdout[process.stdout.find('{'):])
        tasks = {}
        for task in data['plays'][0]['tasks']:
            result = task['hosts'].get('localhost', {})
            tasks.setdefault(task['task']['name'].split(' : ', 1)[-1], []).append(result)
        return process.returncode, output, tasks
    return run_playbook


def failures(tasks, name):
    """{loop label: message} of the failed items of a task."""
    items = [item for result in tasks[name] for item in result.get('results', [result])]
    # The json callback drops a failed item's `failed`; a refused assertion keeps evaluated_to.
    return {item.get('_ansible_item_label', item.get('item')): item['msg'] for item in items
            if item.get('failed') or item.get('evaluated_to') is False}


def assert_no_secret_in(output):
    assert not [name for name, value in EXAMPLES.items() if value in output]
    assert 'abcdefghijkl' not in output and 'qwertyuiopas' not in output


MLFLOW = {'secret_checks_role': 'mlflow', 'mlflow_admin_password': '{{ vault_mlflow_admin_password }}',
          'mlflow_flask_secret_key': '{{ vault_mlflow_flask_secret_key }}'}


def test_a_role_refuses_the_example_values_naming_each_variable(run):
    rc, output, tasks = run(MLFLOW)
    (message,) = failures(tasks, 'Check the settings').values()
    assert rc != 0, output[-3000:]
    for name in ('mlflow_admin_password', 'mlflow_flask_secret_key'):
        assert f'{name} is a value of the example vault' in message, message
    assert 'ansible-vault encrypt_string' in message and OPT_IN in message
    assert_no_secret_in(output)


def test_a_role_accepts_the_example_values_with_the_opt_in(run):
    rc, output, tasks = run(dict(MLFLOW, mlops_allow_example_secrets=True))
    assert rc == 0 and not failures(tasks, 'Check the settings'), output[-3000:]


def test_a_role_refuses_a_weak_secret_by_the_rule(run):
    rc, output, tasks = run(dict(MLFLOW, mlflow_admin_password='abcdefghijkl',
                                 mlflow_flask_secret_key=secrets.token_urlsafe(32), mlops_allow_example_secrets=True))
    (message,) = failures(tasks, 'Check the settings').values()
    assert rc != 0 and message.startswith('mlflow_admin_password needs at least 12 characters'), output[-3000:]
    assert 'mlflow_flask_secret_key' not in message
    assert_no_secret_in(output)


def test_airflow_checks_every_secret_and_user_password(run):
    rc, output, tasks = run({
        'secret_checks_role': 'airflow', 'airflow_secret_key': '{{ vault_airflow_secret_key }}',
        'airflow_jwt_secret': secrets.token_urlsafe(48), 'airflow_fernet_key': '{{ vault_airflow_fernet_key }}',
        'airflow_users': [{'username': 'admin', 'password': '{{ vault_airflow_admin_password }}', 'role': 'admin'},
                          {'username': 'gone', 'state': 'absent'},
                          {'username': 'ann', 'password': 'qwertyuiopas', 'role': 'viewer'}]})
    # One check of every setting: its message names each refused secret.
    (message,) = failures(tasks, 'Check the settings').values()
    assert rc != 0, output[-3000:]
    for name in ('airflow_secret_key', 'airflow_fernet_key', 'the password of airflow_users[0] (admin)'):
        assert f'{name} is a value of the example vault' in message, message
    assert 'the password of airflow_users[2] (ann) needs at least 12 characters' in message, message
    assert 'airflow_jwt_secret' not in message and 'gone' not in message
    assert_no_secret_in(output)


def test_the_proxy_checks_each_site_users_password(run):
    site = {'name': 'app', 'server_name': 'app.test', 'listen_port': 21443, 'upstreams': ['127.0.0.1:21101'],
            'auth_users': [{'name': 'ops', 'password': '{{ vault_postgres_monitoring_password }}'},
                           {'name': 'ann', 'password': secrets.token_urlsafe(16)}]}
    rc, output, tasks = run({'secret_checks_role': 'proxy', 'proxy_sites': [site]})
    # One check of every setting: its message names each refused password by site and user.
    (message,) = failures(tasks, 'Check the settings').values()
    assert rc != 0, output[-3000:]
    refused = [problem for problem in message.split('. ') if 'the password of' in problem]
    assert len(refused) == 1 and refused[0].startswith(
        'proxy_sites[0] (app): the password of auth_users[0] (ops) is a value of the example vault'), message
    assert OPT_IN in refused[0] and '(ann)' not in message
    assert_no_secret_in(output)


CHECKLIST = {'mlflow_backend': 'postgresql', 'mlflow_admin_password': '{{ vault_mlflow_admin_password }}',
             'mlflow_flask_secret_key': secrets.token_urlsafe(32), 'mlflow_db_password': 'abcdefghijkl2024!',
             'postgres_users': [{'name': 'mlflow', 'password': '{{ vault_postgres_mlflow_password }}'}],
             'airflow_secret_key': secrets.token_urlsafe(32), 'airflow_jwt_secret': secrets.token_urlsafe(64),
             'airflow_fernet_key': '{{ vault_airflow_fernet_key }}'}


@pytest.mark.parametrize('opt_in', [False, True])
def test_the_checklist_rows(run, opt_in):
    rc, output, tasks = run(dict(CHECKLIST, mlops_allow_example_secrets=opt_in))
    rows = {row['check']: row for row in tasks['Render the checklist\'s secret rows'][0]['ansible_facts']['secret_checks_rows']}
    examples = ('secret mlflow_admin_password', 'secret postgres_users[mlflow].password', 'secret airflow_fernet_key')
    for check in examples:
        assert rows[check]['status'] == ('PASS' if opt_in else 'FAIL'), rows[check]
        assert opt_in or OPT_IN in rows[check]['detail']
    assert rows['secret mlflow_db_password']['status'] == 'FAIL'
    assert 'a well-known or weak value' in rows['secret mlflow_db_password']['detail']
    assert rows['secret mlflow_auth_db_password']['status'] == 'FAIL'  # it defaults to mlflow_db_password
    for check in ('secret mlflow_flask_secret_key', 'secret airflow_secret_key', 'secret airflow_jwt_secret'):
        assert rows[check]['status'] == 'PASS', rows[check]
    assert_no_secret_in(json.dumps(rows))
