"""Backup and restore time of the backup role's runner against a raw `tar | zstd` + `pg_dump`
of the same data, measured in the same run.

Runs on a host where the backup role is installed and PostgreSQL runs (the backup_restore_pg
scenario's container):

    docker cp benchmarks/backup.py backup-pg:/root/ && docker exec backup-pg python3 /root/backup.py

It generates ~1 GB of artifacts (half model-like random bytes, half CSV-like text) and a database
with 100k metric rows (MLflow's metrics table layout), then times:
  baseline  tar -cf - ARTIFACTS | zstd -T0 -3  plus  pg_dump -Fc of the database
  runner    efficientai_backup.py run (copy, compression, manifest with SHA-256, its own check)
  restore   the set's artifacts unpacked and its dump restored with pg_restore
and prints the figures and the ratio runner / baseline."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

RUNNER = ['/usr/bin/python3', '/opt/efficientai/backup/efficientai_backup.py']
DATABASE = 'efficientai_bench'


def timed(command, **kwargs):
    started = time.perf_counter()
    subprocess.run(command, shell=isinstance(command, str), check=True, **kwargs)
    return time.perf_counter() - started


def as_postgres(sql, port, database='postgres'):
    return subprocess.run(['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1',
                           '-p', str(port), '-h', '/var/run/postgresql', '-d', database, '-c', sql],
                          check=True, capture_output=True, text=True).stdout


def generate(artifacts, megabytes, port, rows):
    chunk = 8 * 1024 * 1024
    for number in range(megabytes * 1024 * 1024 // chunk):
        run_dir = os.path.join(artifacts, str(number % 8), f'run{number:04d}')
        os.makedirs(run_dir, exist_ok=True)
        if number % 2:
            with open(os.path.join(run_dir, 'model.bin'), 'wb') as out:
                out.write(os.urandom(chunk))
        else:
            line = b'%d,0.%06d,training,epoch,accuracy,loss,learning_rate\n'
            with open(os.path.join(run_dir, 'metrics.csv'), 'wb') as out:
                out.write(b''.join(line % (i, i * 7919 % 1000000) for i in range(chunk // len(line % (0, 0)))))
    as_postgres(f'DROP DATABASE IF EXISTS {DATABASE}', port)
    as_postgres(f'CREATE DATABASE {DATABASE}', port)
    as_postgres('CREATE TABLE metrics (key varchar(250), value double precision, timestamp bigint, '
                'run_uuid varchar(32), step bigint, is_nan boolean, '
                'PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan)); '
                f"INSERT INTO metrics SELECT 'loss' || (i % 5), random(), 1700000000000 + i, "
                f"md5((i % 1000)::text), i / 1000, false FROM generate_series(1, {rows}) i", port, DATABASE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--megabytes', type=int, default=1024)
    parser.add_argument('--rows', type=int, default=100_000)
    parser.add_argument('--port', type=int, default=16432)
    parser.add_argument('--workdir', default='/var/tmp/efficientai-bench')
    parser.add_argument('--rounds', type=int, default=2)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    artifacts, root = os.path.join(args.workdir, 'artifacts'), os.path.join(args.workdir, 'sets')
    os.makedirs(root)
    started = time.perf_counter()
    generate(artifacts, args.megabytes, args.port, args.rows)
    print(f'generated {args.megabytes} MB of artifacts and {args.rows} metric rows in {time.perf_counter() - started:.1f} s')

    config = os.path.join(args.workdir, 'backup.json')
    with open(config, 'w', encoding='utf-8') as out:
        json.dump({'root': root, 'host': 'bench', 'retention': {'manual': 5}, 'sources': [
            {'name': 'artifacts', 'type': 'files', 'path': artifacts},
            {'name': 'postgres-bench', 'type': 'postgres', 'database': DATABASE, 'port': args.port,
             'tables': ['metrics']}]}, out)
    # Alternating rounds, best of each: both sides see the same cache and the same (shared) machine.
    tars, dumps, runners = [], [], []
    for _round in range(args.rounds):
        baseline_dir = os.path.join(args.workdir, 'baseline')
        shutil.rmtree(baseline_dir, ignore_errors=True)
        os.makedirs(baseline_dir)
        tars.append(timed(f'tar -C {args.workdir} -cf - artifacts | zstd -q -T0 -3 -o {baseline_dir}/artifacts.tar.zst'))
        with open(os.path.join(baseline_dir, 'db.dump'), 'wb') as out:
            dumps.append(timed(['runuser', '-u', 'postgres', '--', 'pg_dump', '-Fc', '-p', str(args.port), '-h',
                                '/var/run/postgresql', '-d', DATABASE], stdout=out))
        started = time.perf_counter()
        summary = json.loads(subprocess.run(RUNNER + ['run', '--config', config, '--kind', 'manual'], check=True,
                                            capture_output=True, text=True).stdout)
        runners.append(time.perf_counter() - started)
    tar, dump, runner = min(tars), min(dumps), min(runners)
    baseline = tar + dump
    set_dir = summary['path']
    set_mb = sum(f['size'] for f in summary['files'].values()) / 2**20

    restored = os.path.join(args.workdir, 'restored')
    os.makedirs(restored)
    unpack = timed(f'zstd -q -d -c {set_dir}/files/artifacts.tar.zst | tar -C {restored} -xf -')
    as_postgres(f'DROP DATABASE IF EXISTS {DATABASE}_restored', args.port)
    as_postgres(f'CREATE DATABASE {DATABASE}_restored', args.port)
    pg_restore = timed(f'zstd -q -d -c {set_dir}/files/postgres-bench.dump.zst | runuser -u postgres -- pg_restore '
                       f'--exit-on-error -p {args.port} -h /var/run/postgresql -d {DATABASE}_restored')
    restored_rows = int(as_postgres('SELECT count(*) FROM metrics', args.port, f'{DATABASE}_restored'))

    print(f'load average: {" ".join(f"{x:.1f}" for x in os.getloadavg())} on {os.cpu_count()} CPUs')
    print(f'best of {args.rounds} alternating rounds')
    print(f'baseline tar|zstd artifacts      {tar:8.1f} s')
    print(f'baseline pg_dump -Fc             {dump:8.1f} s')
    print(f'baseline total                   {baseline:8.1f} s')
    print(f'runner (copy+compress+sha256+check) {runner:5.1f} s   set {set_mb:.0f} MB, '
          f"rows {summary['sources'][1].get('counts')}")
    print(f'ratio runner / baseline          {runner / baseline:8.2f}')
    print(f'restore: artifacts unpack        {unpack:8.1f} s')
    print(f'restore: pg_restore              {pg_restore:8.1f} s   ({restored_rows} rows)')
    print(f'restore total                    {unpack + pg_restore:8.1f} s')
    as_postgres(f'DROP DATABASE {DATABASE}_restored', args.port)
    as_postgres(f'DROP DATABASE {DATABASE}', args.port)
    shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
