"""Helpers of the backup scenarios (backup_restore_pg runs these tests from here too)."""

import json
import os
import socket
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, 'molecule', '_shared'))
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position
ROOT = '/var/backups/efficientai'
# The runner's interpreter: the role's venv where uploads need boto3, else the system's.
RUNNER = ['$(test -x /opt/efficientai/backup/venv/bin/python && echo /opt/efficientai/backup/venv/bin/python '
          '|| echo /usr/bin/python3)', '/opt/efficientai/backup/efficientai_backup.py']
MLFLOW_PYTHON = '/opt/efficientai/mlflow/venv/bin/python'


@pytest.fixture(scope='module')
def variables(host):
    return host.ansible.get_variables()


@pytest.fixture(scope='session', autouse=True)
def s3():
    """moto's S3 on the controller, where backup_restore's uploads go (loopback is shared)."""
    if os.environ.get('MOLECULE_SCENARIO_NAME') != 'backup_restore':
        yield None
        return
    boto3 = pytest.importorskip('boto3')
    from moto.server import ThreadedMotoServer  # pylint: disable=import-outside-toplevel
    with socket.socket() as probe:
        if probe.connect_ex(('127.0.0.1', 16090)) == 0:
            pytest.fail('port 16090 (the S3 endpoint of backup_restore) is in use: is another verify running?')
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=16090)
    server.start()
    client = boto3.client('s3', endpoint_url='http://127.0.0.1:16090', region_name='us-east-1',
                          aws_access_key_id='test', aws_secret_access_key='test')
    client.create_bucket(Bucket='efficientai-backups')
    yield client
    server.stop()


@pytest.fixture
def run_playbook():
    """Run a playbook of the collection against the scenario's inventory; `output` has stdout and
    stderr (where ansible-core reports failed tasks)."""
    def run(name, **variables):
        return ansible_playbook(os.path.join(REPO, 'playbooks', name), variables)
    return run


@pytest.fixture
def sets(host):
    """The set ids of the host, oldest first."""
    def read():
        listed = host.check_output(f"ls {ROOT} | grep -E '^[0-9]{{8}}T[0-9]{{6}}Z$' || true")
        return listed.split()
    return read


@pytest.fixture
def manifest(host):
    def read(backup_id):
        return json.loads(host.file(f'{ROOT}/{backup_id}/manifest.json').content_string)
    return read


@pytest.fixture
def take_backup(host):
    """Take a manual set with the runner, as backup.yml and the timers do; returns its summary."""
    def take(backup_id=''):
        command = ' '.join(RUNNER + ['run', '--config', '/etc/efficientai/backup.json', '--kind', 'manual']
                           + (['--id', backup_id] if backup_id else []))
        result = host.run(command)
        assert result.rc == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])
    return take


@pytest.fixture
def mlflow_state(host, variables):
    """What a restore must not touch: the server's process and the databases' row counts."""
    def read():
        counts = host.run(' '.join(RUNNER + ['counts', '--config', '/etc/efficientai/backup.json']))
        pid = host.run("pgrep -f 'mlflow server' -o").stdout.strip()
        return {'counts': counts.stdout, 'pid': pid,
                'health': host.run(f"curl -sf http://127.0.0.1:{variables['mlflow_port']}/health").stdout}
    return read
