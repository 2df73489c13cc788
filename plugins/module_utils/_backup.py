# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""Backup sets of the collection, in one place: their layout, manifest and verification,
SQLite's online copy, and the grandfather-father-son retention.

Standard library only: the modules and the retention filter import it, and the backup role
copies it next to the on-host runner (efficientai_backup.py), which runs outside Ansible.

A set is the directory ROOT/<id> (id: UTC time, 20261127T020000Z) holding files/* and a
manifest.json that lists every file's size and sha256. It is written as ROOT/.partial-<id>
and renamed only once complete and checked, so a failed run never leaves a set behind;
verification.json records that the check passed."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import re
import shlex
import sqlite3
import tempfile
import time

FORMAT = 1
KINDS = ('daily', 'weekly', 'monthly', 'manual')
MANIFEST = 'manifest.json'
VERIFICATION = 'verification.json'
FILES_DIR = 'files'
PARTIAL_PREFIX = '.partial-'
SET_ID = re.compile(r'^[0-9]{8}T[0-9]{6}Z$')
# Row counts recorded for MLflow's tracking and auth databases.
MLFLOW_TABLES = ('experiments', 'runs', 'metrics', 'params', 'tags')
AUTH_TABLES = ('users',)
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A set or an input is unusable; the message says why."""


def set_id(now=None):
    return time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(time.time() if now is None else now))


def set_time(backup_id):
    """Epoch seconds of a set id."""
    if not SET_ID.match(backup_id or ''):
        raise BackupError(f'{backup_id!r} is not a backup id (like 20261127T020000Z)')
    return float(calendar.timegm(time.strptime(backup_id, '%Y%m%dT%H%M%SZ')))


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def describe(path):
    return {'size': os.path.getsize(path), 'sha256': sha256_file(path)}


def read_json(path):
    with open(path, encoding='utf-8') as stream:
        return json.load(stream)


def write_json(path, data, mode=0o644):
    """Write atomically: a reader sees the old file or the complete new one."""
    partial = f'{path}.tmp'
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), 'w', encoding='utf-8') as stream:
        json.dump(data, stream, indent=2, sort_keys=True)
        stream.write('\n')
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(partial, mode)
    os.replace(partial, path)


def load_manifest(set_dir):
    path = os.path.join(set_dir, MANIFEST)
    try:
        manifest = read_json(path)
    except FileNotFoundError:
        raise BackupError(f'{path} is missing: not a complete backup set') from None
    except (OSError, ValueError) as error:
        raise BackupError(f'{path} cannot be read: {error}') from None
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT or not isinstance(manifest.get('files'), dict):
        raise BackupError(f'{path} is not a manifest of format {FORMAT}')
    return manifest


def set_problems(set_dir, manifest):
    """Every difference between the files of a set and its manifest (empty: intact)."""
    problems = []
    listed = manifest['files']
    for name in sorted(listed):
        path = os.path.join(set_dir, name)
        expected = listed[name]
        if os.path.normpath(name).startswith('..') or os.path.isabs(name):
            problems.append(f'{name}: path outside the set')
        elif not os.path.isfile(path):
            problems.append(f'{name}: missing')
        elif os.path.getsize(path) != expected.get('size'):
            problems.append(f"{name}: size {os.path.getsize(path)} instead of {expected.get('size')}")
        elif sha256_file(path) != expected.get('sha256'):
            problems.append(f'{name}: sha256 differs from the manifest (the file is corrupted)')
    files_dir = os.path.join(set_dir, FILES_DIR)
    for folder, _dirs, names in os.walk(files_dir):
        for name in names:
            relative = os.path.relpath(os.path.join(folder, name), set_dir)
            if relative not in listed:
                problems.append(f'{relative}: not in the manifest')
    return problems


def list_sets(root):
    """The complete sets under root, oldest first: id, path, kind, verified."""
    found = []
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return found
    for name in names:
        path = os.path.join(root, name)
        if not SET_ID.match(name) or not os.path.isdir(path):
            continue
        try:
            manifest = load_manifest(path)
        except BackupError:
            found.append({'id': name, 'path': path, 'kind': '', 'verified': False})
            continue
        try:
            verified = read_json(os.path.join(path, VERIFICATION)).get('verified') is True
        except (OSError, ValueError, AttributeError):
            verified = False
        found.append({'id': name, 'path': path, 'kind': manifest.get('kind', ''), 'verified': verified})
    return found


def choose_set(sets, backup_id='', before=''):
    """The set with this id, or the newest verified one (taken before `before`, an id)."""
    if backup_id:
        for candidate in sets:
            if candidate['id'] == backup_id:
                return candidate
        raise BackupError(f"no backup set {backup_id} (sets here: {', '.join(s['id'] for s in sets) or 'none'})")
    verified = [s for s in sets if s['verified'] and (not before or s['id'] < before)]
    if not verified:
        raise BackupError('no verified backup set to choose from' + (f' taken before {before}' if before else ''))
    return verified[-1]


def sqlite_copy(source, dest):
    """Copy a live SQLite database with SQLite's online backup API, check the copy and
    return its row counts. The copy is one step under one read transaction: consistent
    even while a server writes (writers wait for the copy, as for any reader)."""
    if not os.path.isfile(source):
        raise BackupError(f'{source}: no such SQLite database')
    if os.path.exists(dest):
        os.unlink(dest)
    origin = sqlite3.connect(f'file:{source}?mode=ro', uri=True, timeout=60)
    copy = sqlite3.connect(dest)
    try:
        origin.backup(copy)
        # A copy of a WAL database is in WAL mode too: make it one self-contained file.
        copy.execute('PRAGMA journal_mode=DELETE')
        integrity = copy.execute('PRAGMA integrity_check').fetchone()[0]
    finally:
        copy.close()
        origin.close()
    if integrity != 'ok':
        raise BackupError(f'{source}: the copy fails PRAGMA integrity_check: {integrity}')


def sqlite_counts(path, tables):
    """Row counts of the tables of a SQLite file that exist."""
    database = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
    try:
        present = {row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {table: database.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in tables if table in present}
    finally:
        database.close()


def sqlite_check(path):
    """PRAGMA integrity_check of a SQLite file ('ok' when intact)."""
    database = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
    try:
        return database.execute('PRAGMA integrity_check').fetchone()[0]
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        database.close()


def retention(sets, keep):
    """Which sets to keep and which to prune, grandfather-father-son by kind.

    sets: [{id, kind, verified}]; keep: {kind: count} for daily, weekly, monthly, manual.
    The newest `count` verified sets of each kind are kept, and the newest verified set
    whatever its kind. A set is pruned only when a newer verified set exists, so a set
    whose check failed stays until a good one replaces it."""
    for kind in KINDS:
        count = keep.get(kind, 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise BackupError(f'keep.{kind} must be a whole number >= 0, got {count!r}')
    unknown = set(keep) - set(KINDS)
    if unknown:
        raise BackupError(f"keep has unknown kinds {sorted(unknown)}; kinds are {', '.join(KINDS)}")
    ordered = sorted(sets, key=lambda s: s['id'], reverse=True)
    reasons = {}
    verified = [s for s in ordered if s.get('verified')]
    if verified:
        reasons[verified[0]['id']] = 'newest verified'
    for kind in KINDS:
        for rank, item in enumerate([s for s in verified if s.get('kind') == kind][:keep.get(kind, 0)], 1):
            reasons.setdefault(item['id'], f'{kind} #{rank}')
    newest_verified = verified[0]['id'] if verified else None
    for item in ordered:
        if item['id'] not in reasons and (newest_verified is None or item['id'] > newest_verified):
            reasons[item['id']] = 'no newer verified set'
    kept = sorted(reasons)
    return {'keep': kept, 'prune': sorted(s['id'] for s in ordered if s['id'] not in reasons), 'reasons': reasons}


def as_user(user, argv):
    """argv run as `user` (through runuser when we are root and not that user)."""
    if os.geteuid() == 0 and user != 'root':
        return ['runuser', '-u', user, '--'] + argv
    return argv


def decompressor(path):
    """The shell command (quoted) that writes the plain content of a set file to stdout."""
    program = 'zstd -q -d -c' if path.endswith('.zst') else 'gzip -d -c' if path.endswith('.gz') else 'cat'
    return f'{program} {shlex.quote(path)}'


def shell(script):
    """argv of a bash pipeline that fails when any of its commands fails."""
    return ['bash', '-o', 'pipefail', '-c', script]


# The functions below that run commands take `run(argv) -> (rc, stdout, stderr)`: the modules
# pass AnsibleModule.run_command, the on-host runner its own subprocess call.

def _count_problems(name, expected, found):
    return [f'{name}: {table} has {found.get(table)} rows, the manifest says {count}'
            for table, count in sorted((expected or {}).items()) if found.get(table) != count]


def _test_sqlite(set_dir, source, scratch, run):
    copy = os.path.join(scratch, source['name'] + '.sqlite')
    code, _out, err = run(shell(f"{decompressor(os.path.join(set_dir, source['file']))} > {shlex.quote(copy)}"))
    if code != 0:
        return [f"{source['name']}: cannot decompress: {err.strip()}"]
    integrity = sqlite_check(copy)
    if integrity != 'ok':
        return [f"{source['name']}: integrity_check: {integrity}"]
    return _count_problems(source['name'], source.get('counts'), sqlite_counts(copy, list(source.get('counts') or {})))


def postgres_counts(run, database, port, tables, pg_user='postgres', socket_dir='/var/run/postgresql'):
    """Row counts of the tables of a PostgreSQL database that exist (psql as pg_user)."""
    query = ' UNION ALL '.join(
        f"SELECT '{table}', (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM public.\"{table}\"', "
        f"false, true, '')))[1]::text::bigint WHERE to_regclass('public.\"{table}\"') IS NOT NULL" for table in tables)
    if not query:
        return {}
    code, out, err = run(as_user(pg_user, ['psql', '-X', '-At', '-F', ' ', '-v', 'ON_ERROR_STOP=1', '-d', database,
                                           '-p', str(port), '-h', socket_dir, '-c', query]))
    if code != 0:
        raise BackupError(f'row counts of {database}: {err.strip()}')
    return {name: int(count) for name, count in (line.split(' ') for line in out.splitlines() if line)}


def _test_postgres(set_dir, source, run, pg_user, socket_dir):
    scratch_db = 'efficientai_verify_' + re.sub('[^a-z0-9]', '_', source['name'].lower())
    connect = ['-p', str(source['port']), '-h', socket_dir]
    drop = as_user(pg_user, ['dropdb', '--if-exists'] + connect + [scratch_db])
    run(drop)
    code, _out, err = run(as_user(pg_user, ['createdb', '-T', 'template0'] + connect + [scratch_db]))
    if code != 0:
        return [f"{source['name']}: cannot create the scratch database {scratch_db}: {err.strip()}"]
    try:
        restore = ' '.join(shlex.quote(a) for a in as_user(pg_user, ['pg_restore', '--no-owner', '--no-acl', '--exit-on-error',
                                                                     '-d', scratch_db] + connect))
        code, _out, err = run(shell(f"{decompressor(os.path.join(set_dir, source['file']))} | {restore}"))
        if code != 0:
            return [f"{source['name']}: pg_restore into a scratch database failed: {err.strip()[-1000:]}"]
        try:
            found = postgres_counts(run, scratch_db, source['port'], list(source.get('counts') or {}), pg_user, socket_dir)
        except BackupError as error:
            return [f"{source['name']}: {error}"]
        return _count_problems(source['name'], source.get('counts'), found)
    finally:
        run(drop)


def restore_test_problems(run, set_dir, manifest, pg_user='postgres', socket_dir='/var/run/postgresql'):
    """Restore each database of a set into scratch space (a temporary SQLite file, a scratch
    PostgreSQL database) and compare its row counts with the manifest."""
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        for source in manifest.get('sources', []):
            if source.get('type') == 'sqlite':
                problems += _test_sqlite(set_dir, source, scratch, run)
            elif source.get('type') == 'postgres':
                problems += _test_postgres(set_dir, source, run, pg_user, socket_dir)
    return problems
