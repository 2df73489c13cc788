"""PostgreSQL under the postgres role's sandbox (backup_restore_pg): still archiving WAL after the
backups and point-in-time restores of test_backup_restore.py, and not exposed."""

import os
import re

import pytest

from conftest import REPO

UNIT = 'postgresql@15-main.service'


@pytest.fixture(autouse=True)
def postgres_only(variables):
    if variables.get('mlflow_backend') != 'postgresql':
        pytest.skip('no PostgreSQL in this scenario')


def test_the_exposure_is_at_most_medium(host):
    report = host.check_output(f'systemd-analyze security --no-pager {UNIT}')
    overall = report.splitlines()[-1]
    print(overall)
    kept = os.path.join(REPO, '.cache', 'artifacts', os.environ.get('MOLECULE_SCENARIO_NAME', 'backup'))
    os.makedirs(kept, exist_ok=True)
    with open(os.path.join(kept, 'postgres_exposure.txt'), 'w', encoding='utf-8') as out:
        out.write(report + '\n')
    level = re.search(r'exposure level for \S+: ([0-9.]+) (\w+)', overall)
    assert level, report
    assert level.group(2) in ('SAFE', 'OK', 'MEDIUM') and float(level.group(1)) < 4.5, overall


def test_the_cluster_runs_as_postgres_on_a_read_only_system(host):
    assert host.service('postgresql@15-main').is_running
    pid = host.check_output(f'systemctl show --property=MainPID --value {UNIT}')
    assert host.check_output(f'ps -o user= -p {pid}') == 'postgres'
    # The postmaster's view of the file system (mountinfo: mount point, then its options; the
    # last mount of a point wins): / read-only, its data directory writable.
    mounts = {fields[4]: fields[5].split(',')[0] for fields in
              (line.split() for line in host.check_output(f'cat /proc/{pid}/mountinfo').splitlines())}
    assert mounts['/'] == 'ro' and mounts['/var/lib/postgresql/15/main'] == 'rw', mounts
    assert host.check_output(f'grep CapEff /proc/{pid}/status').split()[1] == '0000000000000000'


def test_wal_archiving_still_works(host, variables):
    """archive_command writes into backup_root/wal, outside the sandbox's own writable paths."""
    psql = f"runuser -u postgres -- psql --port {variables['postgres_port']} --no-psqlrc --tuples-only --no-align"
    host.run_test(f'{psql} --command "SELECT txid_current()"')
    segment = host.check_output(f'{psql} --command "SELECT pg_walfile_name(pg_switch_wal())"')
    archive = f'/var/backups/efficientai/wal/{segment}.zst'
    host.run(f'for i in $(seq 30); do test -f {archive} && break; sleep 1; done')
    assert host.file(archive).exists, (host.check_output(f'{psql} --command "SELECT * FROM pg_stat_archiver"'),
                                       host.run('journalctl -u postgresql@15-main -n 30 --no-pager').stdout)
