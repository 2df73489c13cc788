"""Unit tests of the backup_verify module."""

import json
import os
import sqlite3
import subprocess

import pytest

from ansible_collections.efficientai.mlops.plugins.module_utils import _backup
from ansible_collections.efficientai.mlops.plugins.modules import backup_verify


@pytest.fixture
def sqlite_set(make_set, tmp_path):
    """A set holding a zstd-compressed SQLite copy with 5 runs, as the runner writes it."""
    live = tmp_path / 'live.db'
    with sqlite3.connect(live) as db:
        db.execute('CREATE TABLE runs (id)')
        db.executemany('INSERT INTO runs VALUES (?)', [(n,) for n in range(5)])
    packed = subprocess.run(['zstd', '-q', '-c', str(live)], capture_output=True, check=True).stdout
    root = tmp_path / 'root'
    set_dir = make_set(root, '20261101T020000Z', files={'files/db.sqlite.zst': packed})
    manifest = json.loads((set_dir / 'manifest.json').read_text())
    manifest['sources'] = [{'name': 'db', 'type': 'sqlite', 'file': 'files/db.sqlite.zst', 'counts': {'runs': 5}}]
    (set_dir / 'manifest.json').write_text(json.dumps(manifest))
    return root, set_dir


def test_the_newest_verified_set_passes(make_set, tmp_path, run_module):
    make_set(tmp_path, '20261101T020000Z')
    make_set(tmp_path, '20261102T020000Z')
    make_set(tmp_path, '20261103T020000Z', verified=False)
    result = run_module(backup_verify, {'root': str(tmp_path)})
    assert not result['failed'] and not result['changed']
    assert result['backup_id'] == '20261102T020000Z' and result['problems'] == []
    assert result['manifest']['kind'] == 'daily'
    earlier = run_module(backup_verify, {'root': str(tmp_path), 'before': '20261102T000000Z'})
    assert earlier['backup_id'] == '20261101T020000Z'
    assert 'taken before 20261101T000000Z' in run_module(backup_verify, {'root': str(tmp_path),
                                                                         'before': '20261101T000000Z'})['msg']


def test_a_flipped_byte_is_refused(make_set, tmp_path, run_module):
    set_dir = make_set(tmp_path, '20261101T020000Z', files={'files/db.sqlite.zst': b'0123456789'})
    (set_dir / 'files/db.sqlite.zst').write_bytes(b'0123456788')
    result = run_module(backup_verify, {'root': str(tmp_path), 'backup_id': '20261101T020000Z'})
    assert result['failed'] and result['problems'] == ['files/db.sqlite.zst: sha256 differs from the manifest (the file is corrupted)']
    assert 'backup set 20261101T020000Z fails verification' in result['msg']


def test_no_set_or_an_unknown_id(make_set, tmp_path, run_module):
    assert 'no verified backup set' in run_module(backup_verify, {'root': str(tmp_path)})['msg']
    make_set(tmp_path, '20261101T020000Z')
    assert 'no backup set 20261105T020000Z' in run_module(backup_verify, {'root': str(tmp_path),
                                                                          'backup_id': '20261105T020000Z'})['msg']


def test_test_restore_compares_row_counts(sqlite_set, run_module):
    root, set_dir = sqlite_set
    assert not run_module(backup_verify, {'root': str(root), 'test_restore': True})['failed']
    manifest = json.loads((set_dir / 'manifest.json').read_text())
    manifest['sources'][0]['counts'] = {'runs': 6}
    (set_dir / 'manifest.json').write_text(json.dumps(manifest))
    result = run_module(backup_verify, {'root': str(root), 'test_restore': True})
    assert result['failed'] and result['problems'] == ['db: runs has 5 rows, the manifest says 6']


def test_record_writes_the_result_once_and_check_mode_predicts(sqlite_set, run_module):
    root, set_dir = sqlite_set
    os.unlink(set_dir / 'verification.json')
    args = {'root': str(root), 'backup_id': '20261101T020000Z', 'record': True}
    assert run_module(backup_verify, args, check_mode=True)['changed']
    assert not (set_dir / 'verification.json').exists()
    assert run_module(backup_verify, args)['changed']
    assert _backup.read_json(str(set_dir / 'verification.json'))['verified'] is True
    assert not run_module(backup_verify, args)['changed']
    (set_dir / 'files/db.sqlite.zst').write_bytes(b'damaged')
    failed = run_module(backup_verify, args)
    assert failed['failed'] and failed['changed']
    assert _backup.read_json(str(set_dir / 'verification.json'))['verified'] is False
