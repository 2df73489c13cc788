"""Unit tests of the sqlite_backup module."""

import os
import sqlite3

from ansible_collections.efficientai.mlops.plugins.modules import sqlite_backup


def database(path, runs=3):
    with sqlite3.connect(path) as db:
        db.execute('CREATE TABLE runs (id)')
        db.executemany('INSERT INTO runs VALUES (?)', [(n,) for n in range(runs)])
    return str(path)


def test_copy_then_no_change_and_check_mode_predicts(tmp_path, run_module):
    args = {'src': database(tmp_path / 'live.db'), 'dest': str(tmp_path / 'copy.db'), 'tables': ['runs', 'nope']}
    predicted = run_module(sqlite_backup, args, check_mode=True)
    assert predicted['changed'] and not os.path.exists(args['dest'])
    done = run_module(sqlite_backup, args)
    assert done['changed'] and done['counts'] == {'runs': 3}
    assert done['size'] == os.path.getsize(args['dest']) and len(done['sha256']) == 64
    assert os.stat(args['dest']).st_mode & 0o777 == 0o600
    assert not run_module(sqlite_backup, args)['changed']
    assert not run_module(sqlite_backup, args, check_mode=True)['changed']


def test_force_copies_again(tmp_path, run_module):
    args = {'src': database(tmp_path / 'live.db'), 'dest': str(tmp_path / 'copy.db')}
    run_module(sqlite_backup, args)
    with sqlite3.connect(args['src']) as db:
        db.execute('INSERT INTO runs VALUES (99)')
    again = run_module(sqlite_backup, dict(args, force=True, tables=['runs']))
    assert again['changed'] and again['counts'] == {'runs': 4}


def test_clear_errors_and_no_partial_copy(tmp_path, run_module):
    missing = run_module(sqlite_backup, {'src': str(tmp_path / 'none.db'), 'dest': str(tmp_path / 'c.db')})
    assert missing['failed'] and 'no SQLite database there' in missing['msg']
    nodir = run_module(sqlite_backup, {'src': database(tmp_path / 'live.db'), 'dest': str(tmp_path / 'x' / 'c.db')})
    assert nodir['failed'] and 'does not exist' in nodir['msg']
    (tmp_path / 'junk.db').write_bytes(b'not a database at all' * 100)
    broken = run_module(sqlite_backup, {'src': str(tmp_path / 'junk.db'), 'dest': str(tmp_path / 'c.db')})
    assert broken['failed'] and 'copy of' in broken['msg']
    assert sorted(os.listdir(tmp_path)) == ['junk.db', 'live.db']
