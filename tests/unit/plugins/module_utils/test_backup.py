"""Unit tests of module_utils/_backup.py: manifests, verification, SQLite copies, retention."""

import os
import sqlite3
import threading

import pytest

from ansible_collections.efficientai.mlops.plugins.module_utils import _backup


def test_an_intact_set_has_no_problems(make_set, tmp_path):
    set_dir = make_set(tmp_path, '20261101T020000Z')
    assert _backup.set_problems(str(set_dir), _backup.load_manifest(str(set_dir))) == []


def test_one_flipped_byte_is_found(make_set, tmp_path):
    set_dir = make_set(tmp_path, '20261101T020000Z', files={'files/a.zst': b'abcdef', 'files/b.zst': b'xyz'})
    data = bytearray((set_dir / 'files/a.zst').read_bytes())
    data[2] ^= 0x01
    (set_dir / 'files/a.zst').write_bytes(bytes(data))
    problems = _backup.set_problems(str(set_dir), _backup.load_manifest(str(set_dir)))
    assert problems == ['files/a.zst: sha256 differs from the manifest (the file is corrupted)']


def test_missing_truncated_and_unlisted_files_are_found(make_set, tmp_path):
    set_dir = make_set(tmp_path, '20261101T020000Z', files={'files/a.zst': b'abcdef', 'files/b.zst': b'xyz'})
    (set_dir / 'files/a.zst').write_bytes(b'abc')
    (set_dir / 'files/b.zst').unlink()
    (set_dir / 'files/extra').write_bytes(b'?')
    assert _backup.set_problems(str(set_dir), _backup.load_manifest(str(set_dir))) == [
        'files/a.zst: size 3 instead of 6', 'files/b.zst: missing', 'files/extra: not in the manifest']


def test_a_manifest_that_escapes_the_set_is_refused(make_set, tmp_path):
    set_dir = make_set(tmp_path, '20261101T020000Z')
    manifest = _backup.load_manifest(str(set_dir))
    manifest['files']['../elsewhere'] = {'size': 1, 'sha256': ''}
    assert '../elsewhere: path outside the set' in _backup.set_problems(str(set_dir), manifest)


@pytest.mark.parametrize('content, message', [(None, 'is missing'), ('{', 'cannot be read'),
                                              ('{"format": 2, "files": {}}', 'not a manifest of format 1')])
def test_unusable_manifests(tmp_path, content, message):
    if content is not None:
        (tmp_path / 'manifest.json').write_text(content)
    with pytest.raises(_backup.BackupError, match=message):
        _backup.load_manifest(str(tmp_path))


def test_sets_are_listed_oldest_first_and_partial_ones_ignored(make_set, tmp_path):
    make_set(tmp_path, '20261102T020000Z', verified=False)
    make_set(tmp_path, '20261101T020000Z', kind='weekly')
    make_set(tmp_path, '20261103T020000Z', verified=None)
    (tmp_path / '.partial-20261104T020000Z').mkdir()
    (tmp_path / 'wal').mkdir()
    listed = [(s['id'], s['kind'], s['verified']) for s in _backup.list_sets(str(tmp_path))]
    assert listed == [('20261101T020000Z', 'weekly', True), ('20261102T020000Z', 'daily', False),
                      ('20261103T020000Z', 'daily', False)]
    assert _backup.choose_set(_backup.list_sets(str(tmp_path)))['id'] == '20261101T020000Z'
    assert _backup.choose_set(_backup.list_sets(str(tmp_path)), '20261103T020000Z')['id'] == '20261103T020000Z'
    with pytest.raises(_backup.BackupError, match='no backup set 20261109T020000Z'):
        _backup.choose_set(_backup.list_sets(str(tmp_path)), '20261109T020000Z')
    assert _backup.list_sets(str(tmp_path / 'absent')) == []


def test_set_ids_and_times():
    assert _backup.set_id(0) == '19700101T000000Z'
    assert _backup.set_time('19700101T000100Z') == 60.0
    with pytest.raises(_backup.BackupError):
        _backup.set_time('yesterday')


def test_the_copy_of_a_database_being_written_is_consistent(tmp_path):
    """A writer adds pairs of rows in one transaction each; every copy holds whole pairs."""
    source = str(tmp_path / 'live.db')
    with sqlite3.connect(source) as database:
        database.execute('CREATE TABLE metrics (run TEXT, step INTEGER)')
        database.execute('CREATE TABLE runs (run TEXT)')
    stop = threading.Event()

    def write():
        database = sqlite3.connect(source, timeout=30)
        step = 0
        while not stop.is_set():
            with database:
                database.execute('INSERT INTO runs VALUES (?)', (f'r{step}',))
                database.executemany('INSERT INTO metrics VALUES (?, ?)', [(f'r{step}', 0), (f'r{step}', 1)])
            step += 1
        database.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        copies = []
        for number in range(5):
            dest = str(tmp_path / f'copy{number}.db')
            _backup.sqlite_copy(source, dest)
            copies.append(_backup.sqlite_counts(dest, ['runs', 'metrics', 'absent']))
    finally:
        stop.set()
        writer.join()
    assert all(counts['metrics'] == 2 * counts['runs'] for counts in copies), copies
    assert copies[-1]['runs'] > 0 and 'absent' not in copies[-1]
    assert _backup.sqlite_check(str(tmp_path / 'copy4.db')) == 'ok'


def test_a_wal_database_is_copied_to_one_file(tmp_path):
    source = str(tmp_path / 'wal.db')
    database = sqlite3.connect(source)
    database.execute('PRAGMA journal_mode=WAL')
    database.execute('CREATE TABLE runs (id)')
    database.execute('INSERT INTO runs VALUES (1)')
    database.commit()
    _backup.sqlite_copy(source, str(tmp_path / 'copy.db'))
    database.close()
    copy = sqlite3.connect(str(tmp_path / 'copy.db'))
    assert copy.execute('PRAGMA journal_mode').fetchone()[0] == 'delete'
    assert copy.execute('SELECT count(*) FROM runs').fetchone()[0] == 1


def test_a_missing_database_is_an_error(tmp_path):
    with pytest.raises(_backup.BackupError, match='no such SQLite database'):
        _backup.sqlite_copy(str(tmp_path / 'none.db'), str(tmp_path / 'copy.db'))


def test_a_corrupted_database_fails_its_check(tmp_path):
    path = tmp_path / 'broken.db'
    path.write_bytes(b'SQLite format 3\x00' + os.urandom(4000))
    assert _backup.sqlite_check(str(path)) != 'ok'


def sets(*specs):
    return [{'id': f'202611{day:02d}T020000Z', 'kind': kind, 'verified': verified} for day, kind, verified in specs]


def test_retention_keeps_the_newest_of_each_kind():
    daily = sets(*[(day, 'daily', True) for day in range(1, 11)])
    weekly = sets((2, 'weekly', True), (9, 'weekly', True))
    weekly = [dict(s, id=s['id'].replace('T02', 'T03')) for s in weekly]
    plan = _backup.retention(daily + weekly, {'daily': 3, 'weekly': 1, 'monthly': 0, 'manual': 0})
    assert plan['keep'] == ['20261108T020000Z', '20261109T020000Z', '20261109T030000Z', '20261110T020000Z']
    assert '20261102T030000Z' in plan['prune'] and len(plan['prune']) == 8
    assert plan['reasons']['20261110T020000Z'] == 'newest verified'
    assert plan['reasons']['20261109T030000Z'] == 'weekly #1'


def test_retention_never_prunes_the_newest_verified_set():
    plan = _backup.retention(sets((1, 'manual', True), (2, 'daily', False)),
                             {'daily': 0, 'weekly': 0, 'monthly': 0, 'manual': 0})
    assert plan['keep'] == ['20261101T020000Z', '20261102T020000Z']
    assert plan['reasons'] == {'20261101T020000Z': 'newest verified', '20261102T020000Z': 'no newer verified set'}


def test_unverified_sets_go_only_once_a_newer_verified_set_exists():
    plan = _backup.retention(sets((1, 'daily', False), (2, 'daily', True), (3, 'daily', False)),
                             {'daily': 5, 'weekly': 0, 'monthly': 0, 'manual': 0})
    assert plan['prune'] == ['20261101T020000Z']
    assert plan['keep'] == ['20261102T020000Z', '20261103T020000Z']
    assert _backup.retention(sets((1, 'daily', False)), {'daily': 1})['prune'] == []


@pytest.mark.parametrize('keep, message', [({'daily': -1}, 'keep.daily'), ({'hourly': 1}, 'unknown kinds'),
                                           ({'weekly': True}, 'keep.weekly'), ({'monthly': '2'}, 'keep.monthly')])
def test_retention_refuses_bad_counts(keep, message):
    with pytest.raises(_backup.BackupError, match=message):
        _backup.retention([], keep)


def test_run_as_another_user(monkeypatch):
    monkeypatch.setattr(_backup.os, 'geteuid', lambda: 0)
    assert _backup.as_user('postgres', ['psql']) == ['runuser', '-u', 'postgres', '--', 'psql']
    assert _backup.as_user('root', ['psql']) == ['psql']
    monkeypatch.setattr(_backup.os, 'geteuid', lambda: 1000)
    assert _backup.as_user('postgres', ['psql']) == ['psql']
