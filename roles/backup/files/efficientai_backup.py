# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Takes a backup set of this host (installed by the efficientai.mlops.backup role).

    efficientai_backup.py run --config FILE --kind daily|weekly|monthly|manual [--id ID]
    efficientai_backup.py prune --config FILE [--keep JSON] [--dry-run]
    efficientai_backup.py counts --config FILE
    efficientai_backup.py pg-dump --database DB --port PORT --socket-dir DIR [--table T ...]

`run` is what the timers (or cron) and playbooks/backup.yml start: it copies every source of
the configuration into ROOT/.partial-<id>, writes the manifest, checks the set against it,
renames it to ROOT/<id>, uploads it (optionally encrypted), prunes by retention and prints a
JSON summary. Any failure removes the partial set, leaves the other sets untouched and exits 1.

`prune` applies the retention alone (playbooks/maintenance.yml): `--keep` replaces the
configuration's counts, `--dry-run` only reports what would go.

Every `run` updates the node_exporter textfile of the configuration (`metrics_file`): when the
newest set was taken, its size, duration and check, whether the upload and the run worked.

`counts` prints the row counts of the live databases (restore.yml compares them with the
manifest). `pg-dump` runs as the postgres user: a custom-format dump on stdout taken in an exported
snapshot, and the row counts of that same snapshot as JSON on the last line of stderr.

The set layout, manifest checks and retention come from _backup.py beside this file (the
collection's module_utils/_backup.py)."""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import _backup

_LSN = re.compile(r'write-ahead log (start|end) point: ([0-9A-F]+)/([0-9A-F]+)(?: on timeline ([0-9]+))?')
_WAL_SEGMENT = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


class Failed(Exception):
    """The run cannot go on; the message is what the operator reads in the journal."""


def iso(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def run_command(argv):
    """(rc, stdout, stderr) of a command, as _backup's functions expect."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def tool_version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return ''


def compressor(setting, level):
    """(name, argv that compresses stdin to stdout, file suffix)."""
    if setting in ('auto', 'zstd') and shutil.which('zstd'):
        return 'zstd', ['zstd', '-q', '-c', f'-{level}', '-T0'], '.zst'
    if setting == 'zstd':
        raise Failed('compression is zstd but the zstd command is not installed')
    return 'gzip', ['gzip', '-c', '-6'], '.gz'


class Writer:
    """Writes one file of the set from a producer's stdout, through the compressor, hashing
    the bytes as they go to disk."""

    def __init__(self, set_dir, compress):
        self.set_dir = set_dir
        self.compress = compress
        self.files = {}

    def write(self, name, producer_argv=None, source_path=None, ok_codes=(0,)):
        relative = f'{_backup.FILES_DIR}/{name}{self.compress[2]}'
        dest = os.path.join(self.set_dir, relative)
        digest = hashlib.sha256()
        size = 0
        with tempfile.TemporaryFile() as producer_err, open(dest, 'wb') as out:
            if producer_argv:
                producer = subprocess.Popen(producer_argv, stdout=subprocess.PIPE, stderr=producer_err)
                stdin = producer.stdout
            else:
                producer, stdin = None, open(source_path, 'rb')  # pylint: disable=consider-using-with
            packer = subprocess.Popen(self.compress[1], stdin=stdin, stdout=subprocess.PIPE)
            stdin.close()
            for chunk in iter(lambda: packer.stdout.read(_CHUNK), b''):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
            packer.stdout.close()
            producer_code = producer.wait() if producer else 0
            packer_code = packer.wait()
            producer_err.seek(0)
            errors = producer_err.read().decode(errors='replace')
        if producer_code not in ok_codes:
            raise Failed(f'{name}: {producer_argv[0] if producer_argv else "read"} failed ({producer_code}): '
                         f'{errors.strip()[-2000:]}')
        if packer_code != 0:
            raise Failed(f'{name}: {self.compress[0]} failed ({packer_code})')
        os.chmod(dest, 0o600)
        self.files[relative] = {'size': size, 'sha256': digest.hexdigest()}
        return relative, errors, producer_code


class Backup:
    def __init__(self, config, kind, backup_id):
        self.config = config
        self.kind = kind
        self.root = config['root']
        self.id = backup_id
        self.partial = os.path.join(self.root, _backup.PARTIAL_PREFIX + backup_id)
        self.final = os.path.join(self.root, backup_id)
        self.compress = compressor(config.get('compression', 'auto'), config.get('zstd_level', 3))
        self.warnings = []
        # Why the set, if taken, is not a consistent copy (it is then not verified).
        self.unverified = []

    # Sources
    def sqlite(self, writer, source):
        scratch = os.path.join(self.partial, 'scratch.sqlite')
        _backup.sqlite_copy(source['path'], scratch)
        counts = _backup.sqlite_counts(scratch, source.get('tables', []))
        relative = writer.write(source['name'] + '.sqlite', source_path=scratch)[0]
        os.unlink(scratch)
        return {'file': relative, 'counts': counts, 'sqlite_version': sqlite3.sqlite_version,
                'schema_revision': self._sqlite_revision(source['path'])}

    @staticmethod
    def _sqlite_revision(path):
        try:
            database = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
            try:
                row = database.execute('SELECT version_num FROM alembic_version').fetchone()
            finally:
                database.close()
        except sqlite3.Error:
            return ''
        return row[0] if row else ''

    def files(self, writer, source):
        path = source['path'].rstrip('/')
        if not os.path.isdir(path):
            raise Failed(f"{source['name']}: {path} is not a directory")
        parent, base = os.path.dirname(path) or '/', os.path.basename(path)
        argv = ['tar', '-C', parent, '-cf', '-', '--numeric-owner']
        argv += [f'--exclude={base}/{pattern}' for pattern in source.get('exclude', [])] + [base]
        # tar exits 1 when a file changed while it was read: read once more; a file that
        # changes again leaves a set that is kept and reported, but not verified.
        for _attempt in range(2):
            relative, errors, code = writer.write(source['name'] + '.tar', producer_argv=argv, ok_codes=(0, 1))
            if code == 0:
                break
        if code == 1:
            self.unverified.append(f"{source['name']}: files changed while read, twice: {errors.strip()[-500:]}")
        return {'file': relative}

    def postgres(self, writer, source):
        helper = [self.config.get('system_python', '/usr/bin/python3'), os.path.abspath(__file__), 'pg-dump',
                  '--database', source['database'], '--port', str(source['port']),
                  '--socket-dir', self.config.get('postgres_socket_dir', '/var/run/postgresql')]
        helper += [arg for table in source.get('tables', []) for arg in ('--table', table)]
        relative, errors = writer.write(source['name'] + '.dump', producer_argv=_backup.as_user(self._pg_user(), helper))[:2]
        try:
            facts = json.loads(errors.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise Failed(f"{source['name']}: the dump did not report its row counts: {errors.strip()[-500:]}") from None
        return dict(facts, file=relative)

    def postgres_base(self, writer, source):
        argv = ['pg_basebackup', '-D', '-', '-Ft', '-X', 'fetch', '-c', 'fast', '-v',
                '-p', str(source['port']), '-h', self.config.get('postgres_socket_dir', '/var/run/postgresql'),
                '-l', f'efficientai {self.id}']
        relative, errors = writer.write(source['name'] + '.base.tar', producer_argv=_backup.as_user(self._pg_user(), argv))[:2]
        points = {m.group(1): m for m in _LSN.finditer(errors)}
        if 'start' not in points:
            raise Failed(f"{source['name']}: pg_basebackup did not report its start point: {errors.strip()[-500:]}")
        start = points['start']
        timeline = int(start.group(4) or 1)
        return {'file': relative, 'timeline': timeline,
                'start_lsn': f'{start.group(2)}/{start.group(3)}',
                'end_lsn': f"{points['end'].group(2)}/{points['end'].group(3)}" if 'end' in points else '',
                'start_wal': wal_file_name(timeline, start.group(2), start.group(3)),
                'finished': iso(time.time())}

    def _pg_user(self):
        return self.config.get('postgres_user', 'postgres')

    # The run
    def space_check(self):
        needed = 0
        for source in self.config['sources']:
            if source['type'] == 'sqlite' and os.path.isfile(source['path']):
                needed += os.path.getsize(source['path']) * 2
            elif source['type'] == 'files' and os.path.isdir(source['path']):
                needed += sum(os.path.getsize(os.path.join(d, f)) for d, _s, names in os.walk(source['path'])
                              for f in names if os.path.isfile(os.path.join(d, f)))
        free = shutil.disk_usage(self.root).free
        reserve = int(self.config.get('min_free_mb', 0)) * 1024 * 1024
        if free - needed < reserve:
            raise Failed(f'not enough space in {self.root}: the sources take up to {needed // 2**20} MB, '
                         f'{free // 2**20} MB are free and {reserve // 2**20} MB must stay free (min_free_mb)')

    def take(self):
        started = time.time()
        if os.path.exists(self.final):
            raise Failed(f'backup set {self.final} exists already')
        self.space_check()
        os.makedirs(os.path.join(self.partial, _backup.FILES_DIR), mode=0o700)
        writer = Writer(self.partial, self.compress)
        sources = []
        for source in self.config['sources']:
            taken = getattr(self, source['type'])(writer, source)
            origin = source.get('path') or f"postgresql:{source.get('port')}/{source.get('database', '*')}"
            sources.append(dict(taken, name=source['name'], type=source['type'], origin=origin,
                                **{key: source[key] for key in ('port', 'database') if key in source}))
        manifest = {
            'format': _backup.FORMAT, 'id': self.id, 'kind': self.kind, 'host': self.config.get('host', platform.node()),
            'started': iso(started), 'finished': iso(time.time()), 'compression': self.compress[0],
            'sources': sources, 'files': writer.files, 'warnings': self.warnings + self.unverified,
            'tools': self.tools()}
        _backup.write_json(os.path.join(self.partial, _backup.MANIFEST), manifest)
        problems = _backup.set_problems(self.partial, manifest) + self.decompression_problems(writer.files)
        if problems:
            raise Failed('the new set does not match its manifest: ' + '; '.join(problems))
        os.chmod(self.partial, 0o755)
        os.rename(self.partial, self.final)
        _backup.write_json(os.path.join(self.final, _backup.VERIFICATION),
                           {'verified': not self.unverified, 'at': iso(time.time()), 'by': 'efficientai_backup.py',
                            'problems': self.unverified})
        return manifest

    def decompression_problems(self, files):
        problems = []
        for relative in files:
            tester = ['zstd', '-q', '-t'] if relative.endswith('.zst') else ['gzip', '-t']
            result = subprocess.run(tester + [os.path.join(self.partial, relative)], capture_output=True, text=True,
                                    check=False)
            if result.returncode != 0:
                problems.append(f'{relative}: {result.stderr.strip()}')
        return problems

    def tools(self):
        found = {'python': platform.python_version(), 'sqlite': sqlite3.sqlite_version,
                 'compressor': tool_version([self.compress[1][0], '--version'])}
        if any(s['type'].startswith('postgres') for s in self.config['sources']):
            found['pg_dump'] = tool_version(['pg_dump', '--version'])
        mlflow_python = self.config.get('mlflow_python')
        if mlflow_python and os.path.exists(mlflow_python):
            found['mlflow'] = tool_version([mlflow_python, '-c', 'import mlflow; print(mlflow.__version__)'])
        return found

    def abandon(self):
        shutil.rmtree(self.partial, ignore_errors=True)


def wal_file_name(timeline, high, low):
    """The WAL segment file holding an LSN high/low (hex), with 16 MB segments."""
    segment = (int(high, 16) * 2**32 + int(low, 16)) // _WAL_SEGMENT
    per_id = 2**32 // _WAL_SEGMENT
    return f'{timeline:08X}{segment // per_id:08X}{segment % per_id:08X}'


def upload(config, set_dir, backup_id):
    """Send the set as one tar stream (encrypted when configured) to S3; returns the key."""
    s3 = config.get('s3') or {}
    if not s3.get('bucket'):
        return ''
    try:
        import boto3  # pylint: disable=import-outside-toplevel  # only where S3 is configured
    except ImportError:
        raise Failed('uploads need boto3: run the runner with the backup role\'s virtual environment '
                     f'({os.path.dirname(os.path.abspath(__file__))}/venv/bin/python)') from None
    encryption = config.get('encryption') or {'method': 'none'}
    suffix = {'none': '', 'age': '.age', 'gpg': '.gpg'}[encryption['method']]
    key = '/'.join(p for p in (s3.get('prefix', '').strip('/'), config.get('host', platform.node()),
                               f'{backup_id}.tar{suffix}') if p)
    tar = subprocess.Popen(['tar', '-C', os.path.dirname(set_dir), '-cf', '-', backup_id], stdout=subprocess.PIPE)
    stream, stages = tar.stdout, [tar]
    with tempfile.TemporaryDirectory() as scratch:
        if encryption['method'] == 'age':
            argv = ['age'] + [a for r in encryption['recipients'] for a in ('-r', r)]
        elif encryption['method'] == 'gpg':
            keys = os.path.join(scratch, 'recipients.asc')
            with open(keys, 'w', encoding='utf-8') as out:
                out.write('\n'.join(encryption['recipients']) + '\n')
            argv = ['gpg', '--homedir', scratch, '--batch', '--quiet', '--trust-model', 'always',
                    '--recipient-file', keys, '--encrypt', '--output', '-']
        else:
            argv = None
        if argv:
            stages.append(subprocess.Popen(argv, stdin=stream, stdout=subprocess.PIPE))
            stream.close()
            stream = stages[-1].stdout
        client = boto3.client('s3', endpoint_url=s3.get('endpoint_url') or None, region_name=s3.get('region') or None,
                              aws_access_key_id=s3.get('access_key_id') or None,
                              aws_secret_access_key=s3.get('secret_access_key') or None)
        try:
            client.upload_fileobj(stream, s3['bucket'], key)
        except Exception as error:  # botocore and s3transfer raise many kinds; each is a failed upload
            for stage in stages:
                stage.kill()
                stage.wait()
            raise Failed(f"upload of {backup_id} to s3://{s3['bucket']}/{key} failed: {error}") from None
        codes = [stage.wait() for stage in stages]
    if any(codes):
        client.delete_object(Bucket=s3['bucket'], Key=key)
        raise Failed(f'upload of {backup_id}: tar/{encryption["method"]} exited {codes}')
    return key


def prune(config, dry_run=False):
    """Apply retention to the sets of root; returns (kept, pruned)."""
    root = config['root']
    sets = _backup.list_sets(root)
    plan = _backup.retention(sets, config.get('retention', {}))
    if dry_run:
        return plan['keep'], plan['prune']
    for backup_id in plan['prune']:
        shutil.rmtree(os.path.join(root, backup_id))
    wal_dir = config.get('wal_dir')
    if wal_dir and os.path.isdir(wal_dir):
        starts = []
        for backup_id in plan['keep']:
            try:
                manifest = _backup.load_manifest(os.path.join(root, backup_id))
            except _backup.BackupError:
                continue
            starts += [s['start_wal'] for s in manifest['sources'] if s.get('start_wal')]
        if starts:
            # WAL before the oldest kept base backup can restore nothing any more.
            subprocess.run(['pg_archivecleanup', '-x', '.zst', wal_dir, min(starts)], check=True,
                           capture_output=True)
    return plan['keep'], plan['prune']


RESTORING = '.restoring'


@contextlib.contextmanager
def locked(root, restore=False):
    """Hold the lock of root: one run or prune at a time, and none while a restore is in
    progress (a set of a half-restored state would become the newest verified one)."""
    os.makedirs(root, mode=0o755, exist_ok=True)
    with open(os.path.join(root, '.lock'), 'a', encoding='utf-8') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Failed(f"another backup is running in {root}") from None
        marker = os.path.join(root, RESTORING)
        if os.path.exists(marker) and not restore:
            with open(marker, encoding='utf-8') as stream:
                since = stream.read().strip()
            raise Failed(f"a restore is in progress in {root} (started {since}); no set is taken until "
                         f"playbooks/restore.yml removes {marker} (remove it by hand only if no restore runs)")
        yield marker


def begin_restore(args):
    """Mark root as being restored: refused while a backup runs; backups refuse until end-restore."""
    config = _backup.read_json(args.config)
    with locked(config['root'], restore=True) as marker:
        with open(marker, 'w', encoding='utf-8') as stream:
            stream.write(args.stamp + '\n')
    return {'marker': marker, 'stamp': args.stamp}


def end_restore(args):
    config = _backup.read_json(args.config)
    marker = os.path.join(config['root'], RESTORING)
    present = os.path.exists(marker)
    if present:
        os.unlink(marker)
    return {'marker': marker, 'removed': present}


# What node_exporter's textfile collector exports for the alerts (stale_backup) and the dashboard.
METRICS = {
    'mlops_backup_configured': 'This host takes backup sets (1).',
    'mlops_backup_last_success_timestamp_seconds': 'When the newest set was taken and checked.',
    'mlops_backup_last_size_bytes': 'Size of the newest set.',
    'mlops_backup_last_duration_seconds': 'How long the newest set took.',
    'mlops_backup_last_verified': 'Whether the newest set passed its check (0: files changed while read, twice).',
    'mlops_backup_last_upload_success': 'Whether the last upload worked (1) or failed (0).',
    'mlops_backup_last_run_success': 'Whether the last run took and kept its set (1) or failed (0).',
    'mlops_backup_last_failure_timestamp_seconds': 'When a run last failed (0: never).',
}


def read_metrics(path):
    """{name: value} of the textfile a previous run wrote (empty when there is none)."""
    found = {}
    try:
        with open(path, encoding='utf-8') as stream:
            for line in stream:
                parts = line.split()
                if len(parts) == 2 and parts[0] in METRICS:
                    found[parts[0]] = float(parts[1])
    except (OSError, ValueError):
        return {}
    return found


def record_metrics(path, **values):
    """Update the textfile at path with values (names without the mlops_backup_ prefix); the others
    keep what earlier runs wrote. Written to a temporary file and renamed, so that node_exporter
    never reads half a file. A failure to write is reported, not raised: the set matters more,
    and stale_backup fires when the figures stop coming."""
    if not path:
        return
    current = read_metrics(path)
    current.update({f'mlops_backup_{name}': float(value) for name, value in values.items()}, mlops_backup_configured=1)
    text = ''.join(f'# HELP {name} {text}\n# TYPE {name} gauge\n{name} {current[name]:.17g}\n'
                   for name, text in METRICS.items() if name in current)
    try:
        with tempfile.NamedTemporaryFile('w', dir=os.path.dirname(path), prefix='.efficientai_backup.', delete=False,
                                         encoding='utf-8') as stream:
            stream.write(text)
        os.chmod(stream.name, 0o644)
        os.replace(stream.name, path)
    except OSError as error:
        print(f'efficientai-backup: cannot write the metrics {path}: {error}', file=sys.stderr)


def set_size(path):
    return sum(os.path.getsize(os.path.join(folder, name)) for folder, _subdirs, names in os.walk(path) for name in names)


def run(args):
    config = _backup.read_json(args.config)
    metrics = config.get('metrics_file', '')
    try:
        result = take_set(config, args, metrics)
    except Exception:
        record_metrics(metrics, last_run_success=0, last_failure_timestamp_seconds=time.time())
        raise
    record_metrics(metrics, last_run_success=1)
    return result


def take_set(config, args, metrics):
    with locked(config['root']):
        for name in os.listdir(config['root']):
            if name.startswith(_backup.PARTIAL_PREFIX):
                shutil.rmtree(os.path.join(config['root'], name), ignore_errors=True)
        now = time.time()
        # Scheduled runs of several hosts start in the same minute: their sets share the id.
        backup_id = args.id or _backup.set_id(now - (now % 60 if args.kind != 'manual' else 0))
        backup = Backup(config, args.kind, backup_id)
        try:
            manifest = backup.take()
        except BaseException:
            backup.abandon()
            raise
        record_metrics(metrics, last_success_timestamp_seconds=time.time(), last_size_bytes=set_size(backup.final),
                       last_duration_seconds=time.time() - now, last_verified=int(not backup.unverified))
        # Local retention whatever happens to the upload: a failing bucket must not fill the disk.
        try:
            key = upload(config, backup.final, backup_id)
        except Failed as error:
            record_metrics(metrics, last_upload_success=0)
            kept, pruned = prune(config)
            raise Failed(f"{error}; the set is kept here, and local retention ran (pruned: {', '.join(pruned) or 'none'})") from None
        if key:
            record_metrics(metrics, last_upload_success=1)
        kept, pruned = prune(config)
    return {'id': backup_id, 'path': backup.final, 'kind': args.kind, 'files': manifest['files'],
            'sources': [{k: s[k] for k in ('name', 'type', 'counts') if k in s} for s in manifest['sources']],
            'warnings': manifest['warnings'], 'uploaded': key, 'kept': kept, 'pruned': pruned,
            'seconds': round(time.time() - now, 3)}


def prune_now(args):
    """Retention alone, with the counts of --keep when given."""
    config = _backup.read_json(args.config)
    if args.keep:
        config['retention'] = json.loads(args.keep)
    with locked(config['root']):
        kept, pruned = prune(config, args.dry_run)
    return {'kept': kept, 'pruned': pruned, 'dry_run': args.dry_run}


def pg_dump(args):
    """As the postgres user: the dump on stdout, its snapshot's row counts on stderr."""
    try:
        import psycopg2  # pylint: disable=import-outside-toplevel  # only on database hosts
    except ImportError:
        raise Failed('python3-psycopg2 is needed for PostgreSQL backups (the postgres role installs it)') from None
    try:
        return _pg_dump(psycopg2, args)
    except psycopg2.Error as error:
        raise Failed(f'{args.database}: {error}'.strip()) from None


def _pg_dump(psycopg2, args):
    connection = psycopg2.connect(dbname=args.database, port=args.port, host=args.socket_dir)
    connection.set_session(isolation_level='REPEATABLE READ', readonly=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT pg_export_snapshot(), current_setting(%s)', ('server_version',))
            snapshot, server_version = cursor.fetchone()
            sys.stdout.flush()
            dumped = subprocess.run(['pg_dump', '-Fc', '-Z0', '--snapshot', snapshot, '-p', str(args.port),
                                     '-h', args.socket_dir, '-d', args.database], check=False)
            if dumped.returncode != 0:
                raise Failed(f'pg_dump of {args.database} exited {dumped.returncode}')
            counts = {}
            for table in args.table:
                cursor.execute('SELECT to_regclass(%s) IS NOT NULL', (f'public.{table}',))
                if cursor.fetchone()[0]:
                    cursor.execute(f'SELECT count(*) FROM public."{table}"')
                    counts[table] = cursor.fetchone()[0]
            cursor.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL")
            revision = ''
            if cursor.fetchone()[0]:
                cursor.execute('SELECT version_num FROM public.alembic_version')
                revision = (cursor.fetchone() or [''])[0]
    finally:
        connection.rollback()
        connection.close()
    print(json.dumps({'counts': counts, 'server_version': server_version, 'schema_revision': revision,
                      'database': args.database}), file=sys.stderr)
    return None


def counts(args):
    """Row counts of the live databases of the configuration, by source name."""
    config = _backup.read_json(args.config)
    found = {}
    for source in config['sources']:
        if source['type'] == 'sqlite' and os.path.isfile(source['path']):
            found[source['name']] = _backup.sqlite_counts(source['path'], source.get('tables', []))
        elif source['type'] == 'postgres':
            found[source['name']] = _backup.postgres_counts(
                run_command, source['database'], source['port'], source.get('tables', []), config.get('postgres_user', 'postgres'),
                config.get('postgres_socket_dir', '/var/run/postgresql'))
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    commands = parser.add_subparsers(dest='command', required=True)
    run_parser = commands.add_parser('run')
    run_parser.add_argument('--config', required=True)
    run_parser.add_argument('--kind', required=True, choices=_backup.KINDS)
    run_parser.add_argument('--id', default='', help='set id (default: now, UTC)')
    prune_parser = commands.add_parser('prune')
    prune_parser.add_argument('--config', required=True)
    prune_parser.add_argument('--keep', default='', help='retention counts as JSON, e.g. {"daily": 7}')
    prune_parser.add_argument('--dry-run', action='store_true')
    counts_parser = commands.add_parser('counts')
    counts_parser.add_argument('--config', required=True)
    dump_parser = commands.add_parser('pg-dump')
    dump_parser.add_argument('--database', required=True)
    dump_parser.add_argument('--port', type=int, required=True)
    dump_parser.add_argument('--socket-dir', required=True)
    dump_parser.add_argument('--table', action='append', default=[])
    for name in ('begin-restore', 'end-restore'):
        restore_parser = commands.add_parser(name)
        restore_parser.add_argument('--config', required=True)
        restore_parser.add_argument('--stamp', default='', help='when the restore started (UTC)')
    args = parser.parse_args(argv)
    if args.command == 'run' and args.id and not _backup.SET_ID.match(args.id):
        parser.error(f'--id {args.id!r} is not like 20261127T020000Z')
    try:
        result = {'run': run, 'prune': prune_now, 'counts': counts, 'pg-dump': pg_dump,
                  'begin-restore': begin_restore, 'end-restore': end_restore}[args.command](args)
    except (Failed, _backup.BackupError, OSError, subprocess.CalledProcessError, sqlite3.Error, ValueError) as error:
        print(f'efficientai-backup: FAILED: {error}', file=sys.stderr)
        return 1
    if result is not None:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
