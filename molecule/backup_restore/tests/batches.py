"""Metric rows per run of one experiment in a set's database file.
Usage: batches.py FILE sqlite|postgres PORT EXPERIMENT (prints {run: rows})"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile

path, kind, port, experiment = sys.argv[1:5]
QUERY = ("SELECT r.run_uuid, count(m.run_uuid) FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id "
         "LEFT JOIN metrics m ON m.run_uuid = r.run_uuid WHERE e.name = '%s' GROUP BY r.run_uuid") % experiment.replace("'", "''")
unpacked = subprocess.run(['zstd', '-q', '-d', '-c', path], capture_output=True, check=True).stdout
if kind == 'sqlite':
    with tempfile.TemporaryDirectory() as scratch:
        copy = os.path.join(scratch, 'copy.db')
        with open(copy, 'wb') as out:
            out.write(unpacked)
        print(json.dumps(dict(sqlite3.connect(copy).execute(QUERY).fetchall())))
else:
    def as_postgres(*argv, **kwargs):
        return subprocess.run(['runuser', '-u', 'postgres', '--'] + list(argv), check=True, capture_output=True, **kwargs)
    connect = ['-p', port, '-h', '/var/run/postgresql']
    subprocess.run(['runuser', '-u', 'postgres', '--', 'dropdb', '--if-exists'] + connect + ['batches_check'], check=False)
    as_postgres('createdb', *connect, 'batches_check')
    try:
        as_postgres('pg_restore', '--no-owner', '--no-acl', '-d', 'batches_check', *connect, input=unpacked)
        rows = as_postgres('psql', '-X', '-At', '-F', ' ', '-d', 'batches_check', *connect, '-c', QUERY).stdout.decode()
        print(json.dumps({run: int(count) for run, count in (line.split() for line in rows.splitlines())}))
    finally:
        subprocess.run(['runuser', '-u', 'postgres', '--', 'dropdb'] + connect + ['batches_check'], check=False)
