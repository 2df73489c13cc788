"""Unit tests of the on-host backup runner (roles/backup/files/efficientai_backup.py) with real
SQLite, tar and zstd; PostgreSQL is exercised by the backup_restore_pg scenario."""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
# On a host, _backup.py is copied beside the runner; here it is taken from the collection.
sys.path[:0] = [os.path.join(REPO, 'roles', 'backup', 'files'), os.path.join(REPO, 'plugins', 'module_utils')]

import _backup  # noqa: E402
import efficientai_backup as runner  # noqa: E402


@pytest.fixture
def host(tmp_path):
    """A tracking host's data (SQLite database, artifacts) and a runner configuration."""
    data = tmp_path / 'data'
    (data / 'artifacts' / '1' / 'run1').mkdir(parents=True)
    (data / 'artifacts' / '1' / 'run1' / 'model.bin').write_bytes(os.urandom(50000))
    with sqlite3.connect(data / 'mlflow.db') as db:
        db.execute('CREATE TABLE runs (id)')
        db.executemany('INSERT INTO runs VALUES (?)', [(n,) for n in range(7)])
    (data / 'project' / '.dvc' / 'cache').mkdir(parents=True)
    (data / 'project' / '.dvc' / 'config').write_text('[core]\n')
    (data / 'project' / '.dvc' / 'cache' / 'big').write_bytes(b'x' * 1000)
    config = {'root': str(tmp_path / 'backups'), 'host': 'tracking-1', 'retention': {'manual': 2},
              'sources': [{'name': 'mlflow-db', 'type': 'sqlite', 'path': str(data / 'mlflow.db'), 'tables': ['runs']},
                          {'name': 'mlflow-artifacts', 'type': 'files', 'path': str(data / 'artifacts')},
                          {'name': 'dvc-project', 'type': 'files', 'path': str(data / 'project' / '.dvc'),
                           'exclude': ['cache', 'tmp']}]}
    path = tmp_path / 'backup.json'

    def run(kind='manual', backup_id='', **changes):
        path.write_text(json.dumps(dict(config, **changes)))
        return runner.main(['run', '--config', str(path), '--kind', kind] + (['--id', backup_id] if backup_id else []))
    run.config, run.root, run.data = config, tmp_path / 'backups', data
    return run


def test_a_set_holds_every_source_and_passes_its_own_check(host, capsys):
    assert host(backup_id='20261101T020000Z') == 0
    summary = json.loads(capsys.readouterr().out)
    set_dir = host.root / '20261101T020000Z'
    manifest = _backup.load_manifest(str(set_dir))
    assert _backup.set_problems(str(set_dir), manifest) == []
    assert summary['id'] == manifest['id'] == '20261101T020000Z' and manifest['host'] == 'tracking-1'
    assert manifest['sources'][0]['counts'] == {'runs': 7} and manifest['compression'] == 'zstd'
    assert sorted(manifest['files']) == ['files/dvc-project.tar.zst', 'files/mlflow-artifacts.tar.zst',
                                         'files/mlflow-db.sqlite.zst']
    assert _backup.read_json(str(set_dir / 'verification.json'))['verified'] is True
    assert oct(os.stat(set_dir / 'files' / 'mlflow-db.sqlite.zst').st_mode & 0o777) == '0o600'
    unpacked = subprocess.run(['zstd', '-dc', str(set_dir / 'files' / 'dvc-project.tar.zst')], capture_output=True,
                              check=True).stdout
    assert tarfile.open(fileobj=io.BytesIO(unpacked)).getnames() == ['.dvc', '.dvc/config']


def test_gzip_when_asked(host, capsys):
    assert host(compression='gzip', backup_id='20261101T020000Z') == 0
    assert json.loads(capsys.readouterr().out)['files'].keys() >= {'files/mlflow-db.sqlite.gz'}
    assert _backup.load_manifest(str(host.root / '20261101T020000Z'))['compression'] == 'gzip'


def test_a_failed_run_leaves_the_other_sets_untouched(host, capsys):
    assert host(backup_id='20261101T020000Z') == 0
    before = {p: p.stat().st_mtime for p in host.root.rglob('*')}
    broken = [dict(s, path=str(host.data / 'gone')) if s['type'] == 'files' else s for s in host.config['sources']]
    assert host(backup_id='20261102T020000Z', sources=broken) == 1
    assert 'FAILED' in capsys.readouterr().err
    assert {p: p.stat().st_mtime for p in host.root.rglob('*')} == before
    assert [s['id'] for s in _backup.list_sets(str(host.root))] == ['20261101T020000Z']


def test_not_enough_space_fails_before_writing(host, capsys):
    assert host(min_free_mb=10**9) == 1
    assert 'not enough space' in capsys.readouterr().err
    assert os.listdir(host.root) == ['.lock']


def test_retention_after_each_run(host, capsys):
    for day in (1, 2, 3):
        assert host(backup_id=f'2026110{day}T020000Z', retention={'manual': 5}) == 0
    assert host(kind='daily', backup_id='20261104T020000Z', retention={'manual': 1, 'daily': 1}) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary['kept'] == ['20261103T020000Z', '20261104T020000Z']
    assert summary['pruned'] == ['20261101T020000Z', '20261102T020000Z']
    assert sorted(p.name for p in host.root.iterdir()) == ['.lock', '20261103T020000Z', '20261104T020000Z']


def test_an_existing_id_and_a_running_backup_are_refused(host, capsys):
    assert host(backup_id='20261101T020000Z') == 0
    assert host(backup_id='20261101T020000Z') == 1
    assert 'exists already' in capsys.readouterr().err
    with open(host.root / '.lock', 'w', encoding='utf-8') as lock:
        runner.fcntl.flock(lock, runner.fcntl.LOCK_EX)
        assert host() == 1
    assert 'another backup is running' in capsys.readouterr().err


@pytest.mark.parametrize('changes, verified', [(1, True), (2, False)], ids=['once', 'twice'])
def test_files_that_change_while_read_are_read_again(host, capsys, tmp_path, monkeypatch, changes, verified):
    """tar exits 1 when a file changed while it read it (here the exit code of a real tar run is
    replaced for the first `changes` calls): the source is read again, and when it changes again
    the set is kept but not verified, so that no restore takes it for the newest good set."""
    calls = tmp_path / 'tar-calls'
    fake = tmp_path / 'bin' / 'tar'
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\n"{shutil.which("tar")}" "$@" || exit $?\necho call >> "{calls}"\n'
                    f'[ "$(wc -l < "{calls}")" -gt {changes} ] && exit 0\n'
                    'echo "tar: artifacts/1/run1/model.bin: file changed as we read it" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setenv('PATH', f"{fake.parent}:{os.environ['PATH']}")
    artifacts = [source for source in host.config['sources'] if source['name'] == 'mlflow-artifacts']
    assert host(backup_id='20261101T020000Z', sources=artifacts) == 0
    assert calls.read_text().count('call') == 2
    set_dir = str(host.root / '20261101T020000Z')
    assert _backup.set_problems(set_dir, _backup.load_manifest(set_dir)) == []
    verification = _backup.read_json(os.path.join(set_dir, 'verification.json'))
    assert verification['verified'] is verified
    warnings = json.loads(capsys.readouterr().out)['warnings']
    assert any('changed while read, twice' in warning for warning in warnings) is not verified
    assert [found['verified'] for found in _backup.list_sets(str(host.root))] == [verified]


def test_scheduled_ids_are_whole_minutes(host, capsys):
    assert host(kind='daily') == 0
    assert json.loads(capsys.readouterr().out)['id'].endswith('00Z')


def test_wal_file_names():
    assert runner.wal_file_name(1, '0', '2000028') == '000000010000000000000002'
    assert runner.wal_file_name(2, '1', 'FF000000') == '0000000200000001000000FF'


def test_upload_to_s3(host, capsys, tmp_path):
    moto = pytest.importorskip('moto.server')
    boto3 = pytest.importorskip('boto3')
    server = moto.ThreadedMotoServer(ip_address='127.0.0.1', port=0)
    server.start()
    try:
        endpoint = f'http://127.0.0.1:{server._server.server_port}'  # pylint: disable=protected-access
        s3 = {'bucket': 'backups', 'prefix': 'mlops', 'endpoint_url': endpoint, 'region': 'us-east-1',
              'access_key_id': 'test', 'secret_access_key': 'test'}
        client = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='test',
                              aws_secret_access_key='test')
        client.create_bucket(Bucket='backups')
        metrics = tmp_path / 'backup.prom'
        assert host(backup_id='20261101T020000Z', s3=s3, metrics_file=str(metrics)) == 0
        assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])['uploaded'] == 'mlops/tracking-1/20261101T020000Z.tar'
        assert textfile(metrics)['mlops_backup_last_upload_success'] == 1
        body = client.get_object(Bucket='backups', Key='mlops/tracking-1/20261101T020000Z.tar')['Body'].read()
        with tarfile.open(fileobj=io.BytesIO(body)) as archive:
            archive.extractall(tmp_path / 'downloaded', filter='data')
        downloaded = tmp_path / 'downloaded' / '20261101T020000Z'
        assert _backup.set_problems(str(downloaded), _backup.load_manifest(str(downloaded))) == []
        # A failed upload still applies local retention (the disk must not fill), and fails the run.
        assert host(backup_id='20261102T020000Z', s3=dict(s3, bucket='missing'), retention={'manual': 1},
                    metrics_file=str(metrics)) == 1
        error = capsys.readouterr().err
        assert 'NoSuchBucket' in error and 'local retention ran (pruned: 20261101T020000Z)' in error
        # The set itself is fresh; the failed upload and run are what the figures say.
        after = textfile(metrics)
        assert after['mlops_backup_last_upload_success'] == 0 and after['mlops_backup_last_run_success'] == 0
        assert after['mlops_backup_last_verified'] == 1
        assert [found['id'] for found in _backup.list_sets(str(host.root))] == ['20261102T020000Z']
    finally:
        server.stop()


def test_counts_of_the_live_databases(host, capsys):
    host.config_path = host.root.parent / 'backup.json'
    host(backup_id='20261101T020000Z')
    capsys.readouterr()
    assert runner.main(['counts', '--config', str(host.config_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {'mlflow-db': {'runs': 7}}


def test_gpg_encrypted_upload(host, capsys, tmp_path):
    moto = pytest.importorskip('moto.server')
    boto3 = pytest.importorskip('boto3')
    home = tmp_path / 'gnupg'
    home.mkdir(mode=0o700)
    gpg = ['gpg', '--homedir', str(home), '--batch', '--pinentry-mode', 'loopback', '--passphrase', '']
    subprocess.run(gpg + ['--quick-gen-key', 'backup-test@example.invalid', 'ed25519', 'cert', 'never'], check=True,
                   capture_output=True)
    fingerprint = [line.split(':')[9] for line in subprocess.run(
        gpg + ['--list-keys', '--with-colons'], check=True, capture_output=True, text=True).stdout.splitlines()
        if line.startswith('fpr:')][0]
    subprocess.run(gpg + ['--quick-add-key', fingerprint, 'cv25519', 'encr', 'never'], check=True, capture_output=True)
    public = subprocess.run(gpg + ['--armor', '--export', fingerprint], check=True, capture_output=True, text=True).stdout
    server = moto.ThreadedMotoServer(ip_address='127.0.0.1', port=0)
    server.start()
    try:
        endpoint = f'http://127.0.0.1:{server._server.server_port}'  # pylint: disable=protected-access
        client = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='test',
                              aws_secret_access_key='test')
        client.create_bucket(Bucket='backups')
        s3 = {'bucket': 'backups', 'endpoint_url': endpoint, 'region': 'us-east-1', 'access_key_id': 'test',
              'secret_access_key': 'test'}
        assert host(backup_id='20261101T020000Z', s3=s3, encryption={'method': 'gpg', 'recipients': [public]}) == 0
        key = json.loads(capsys.readouterr().out.strip().splitlines()[-1])['uploaded']
        assert key == 'tracking-1/20261101T020000Z.tar.gpg'
        body = client.get_object(Bucket='backups', Key=key)['Body'].read()
        plain = subprocess.run(gpg + ['--decrypt'], input=body, check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(plain)) as archive:
            assert 'files/mlflow-db.sqlite.zst' in '\n'.join(archive.getnames())
    finally:
        server.stop()


def test_no_set_while_a_restore_is_in_progress_and_no_restore_while_a_backup_runs(host, capsys):
    assert host(backup_id='20261101T020000Z') == 0
    config = str(host.root.parent / 'backup.json')
    with open(host.root / '.lock', 'w', encoding='utf-8') as lock:
        runner.fcntl.flock(lock, runner.fcntl.LOCK_EX)
        assert runner.main(['begin-restore', '--config', config, '--stamp', '20261102T100000Z']) == 1
    assert 'another backup is running' in capsys.readouterr().err
    assert not (host.root / '.restoring').exists()

    assert runner.main(['begin-restore', '--config', config, '--stamp', '20261102T100000Z']) == 0
    assert host(backup_id='20261102T020000Z') == 1
    assert 'a restore is in progress' in capsys.readouterr().err
    assert host(backup_id='20261102T020000Z') == 1
    assert [s['id'] for s in _backup.list_sets(str(host.root))] == ['20261101T020000Z']

    assert runner.main(['end-restore', '--config', config]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])['removed'] is True
    assert host(backup_id='20261102T020000Z') == 0


def textfile(path):
    return {name: float(value) for name, value in (line.split() for line in path.read_text().splitlines()
                                                   if not line.startswith('#'))}


def test_every_run_writes_its_figures_for_node_exporter(host, capsys, tmp_path):
    metrics = tmp_path / 'textfile' / 'efficientai_backup.prom'
    metrics.parent.mkdir()
    assert host(backup_id='20261101T020000Z', metrics_file=str(metrics)) == 0
    taken = textfile(metrics)
    set_bytes = sum(p.stat().st_size for p in (host.root / '20261101T020000Z').rglob('*') if p.is_file())
    assert taken['mlops_backup_configured'] == 1 and taken['mlops_backup_last_run_success'] == 1
    assert taken['mlops_backup_last_verified'] == 1 and taken['mlops_backup_last_size_bytes'] == set_bytes
    assert 0 < taken['mlops_backup_last_duration_seconds'] < 60
    assert 'mlops_backup_last_upload_success' not in taken  # no bucket
    assert oct(metrics.stat().st_mode & 0o777) == '0o644'
    assert '# TYPE mlops_backup_last_success_timestamp_seconds gauge' in metrics.read_text()

    # A failed run keeps the newest set's figures and says that it failed, and when.
    broken = [dict(s, path=str(host.data / 'gone')) if s['type'] == 'files' else s for s in host.config['sources']]
    assert host(backup_id='20261102T020000Z', sources=broken, metrics_file=str(metrics)) == 1
    failed = textfile(metrics)
    assert failed['mlops_backup_last_run_success'] == 0 and failed['mlops_backup_last_failure_timestamp_seconds'] > 0
    assert failed['mlops_backup_last_success_timestamp_seconds'] == taken['mlops_backup_last_success_timestamp_seconds']
    assert sorted(p.name for p in metrics.parent.iterdir()) == ['efficientai_backup.prom']  # no temporary file left
    capsys.readouterr()


def test_figures_that_cannot_be_written_do_not_fail_the_set(host, capsys, tmp_path):
    assert host(backup_id='20261101T020000Z', metrics_file=str(tmp_path / 'missing' / 'backup.prom')) == 0
    assert 'cannot write the metrics' in capsys.readouterr().err
    assert [s['id'] for s in _backup.list_sets(str(host.root))] == ['20261101T020000Z']
