"""Backups that restore: schedules, consistency under load, refusal of a damaged set, retention,
encrypted uploads, the DR drill (and point-in-time recovery on PostgreSQL), and rollback."""

import concurrent.futures
import json
import os
import re
import time
import uuid

import pytest

from conftest import HERE, MLFLOW_PYTHON, REPO, ROOT, RUNNER

RESTORING = f'{ROOT}/.restoring'


def is_pg(variables):
    return variables.get('mlflow_backend') == 'postgresql'


def test_schedules_default_to_the_seed(host, variables):
    if host.file('/run/systemd/system').is_directory:
        for kind, when in (('daily', '*-*-* 02:00:00'), ('weekly', 'Sun *-*-* 03:00:00'), ('monthly', '*-*-01 04:00:00')):
            timer = host.file(f'/etc/systemd/system/efficientai-backup-{kind}.timer').content_string
            assert f'OnCalendar={when}' in timer
            assert host.service(f'efficientai-backup-{kind}.timer').is_running
    else:
        table = host.file('/etc/cron.d/efficientai-backup').content_string
        for kind, when in (('daily', '0 2 * * *'), ('weekly', '0 3 * * sun'), ('monthly', '0 4 1 * *')):
            assert re.search(rf'^{re.escape(when)} root .* {kind} ', table, re.M), table
        assert host.process.filter(comm='cron')


def test_a_scheduled_run_makes_a_checked_set(host, sets, manifest):
    """What the timer (or cron) starts, run now; the set passes a test restore of its databases."""
    before = sets()
    if host.file('/run/systemd/system').is_directory:
        started = host.run('systemctl start efficientai-backup@daily.service')
        assert started.rc == 0, host.run('journalctl -u efficientai-backup@daily -n 30 --no-pager').stdout
    else:
        line = [l for l in host.file('/etc/cron.d/efficientai-backup').content_string.splitlines() if ' daily ' in l][0]
        command = line.split(' root ', 1)[1].split(' >>')[0]
        assert host.run(command).rc == 0, host.file('/var/log/efficientai-backup.log').content_string
    new = [s for s in sets() if s not in before]
    assert len(new) == 1 and manifest(new[0])['kind'] == 'daily'
    checked = host.ansible('efficientai.mlops.backup_verify', f'backup_id={new[0]} test_restore=true', check=False)
    assert checked['problems'] == [], checked


def drill_report(result, name):
    """The drill's figures, kept in .cache/artifacts/<scenario>/ (pytest hides a passing test's output)."""
    lines = [line for line in result.stdout.splitlines() if re.search(r'differences:|RTO|RPO|data compared', line)]
    kept = os.path.join(REPO, '.cache', 'artifacts', os.environ.get('MOLECULE_SCENARIO_NAME', 'backup'))
    os.makedirs(kept, exist_ok=True)
    with open(os.path.join(kept, f'{name}.txt'), 'w', encoding='utf-8') as out:
        out.write('\n'.join(lines) + '\n')
    return lines


def test_the_dr_drill_finds_zero_differences(run_playbook, tmp_path):
    refused = run_playbook('dr_drill.yml')
    assert refused.returncode != 0 and 'dr_drill_confirm=true' in refused.output
    drill = run_playbook('dr_drill.yml', dr_drill_confirm=True, mlops_reports_dir=str(tmp_path))
    report = drill_report(drill, 'dr_drill')
    assert drill.returncode == 0, drill.output[-5000:]
    assert 'DR drill passed: zero differences.' in drill.output
    assert any('differences: 0 []' in line for line in report)
    # The same result as JSON on the controller, for whoever reads the drill later.
    with open(tmp_path / 'dr_drill.json', encoding='utf-8') as stream:
        result = json.load(stream)
    assert result['passed'] is True and result['differences'] == 0, result
    assert result['rto_seconds'] > 0 and result['rpo_seconds'] >= 0 and result['data_compared'], result


def test_point_in_time_recovery_drill(variables, run_playbook):
    if not is_pg(variables):
        pytest.skip('point-in-time recovery needs PostgreSQL (this host runs MLflow on SQLite)')
    drill = run_playbook('dr_drill.yml', dr_drill_confirm=True, dr_drill_pitr=True)
    drill_report(drill, 'dr_drill_pitr')
    assert drill.returncode == 0, drill.output[-5000:]
    assert 'DR drill passed: zero differences.' in drill.output


def test_a_backup_while_runs_are_logged_is_consistent(host, variables, take_backup, manifest):
    """A client logs runs (each run's 40 metrics in one batch) while a set is taken: the set's
    database restores with every run's batch whole, and its row counts match the manifest."""
    host.ansible('copy', f'src={HERE}/logger.py dest=/root/logger.py mode=0644', check=False)
    experiment = f'under-load-{uuid.uuid4().hex[:8]}'
    env = (f"MLFLOW_TRACKING_URI=http://127.0.0.1:{variables['mlflow_port']} MLFLOW_TRACKING_USERNAME=admin "
           f"MLFLOW_TRACKING_PASSWORD='{variables['mlflow_admin_password']}'")
    host.run(f'rm -f /root/logger.done /root/logger.stop; env {env} nohup {MLFLOW_PYTHON} /root/logger.py /root/logger.stop '
             f'/root/logger.done {experiment} > /root/logger.log 2>&1 &')
    host.run('for i in $(seq 180); do grep -q "logged 1" /root/logger.log && break; sleep 1; done')
    taken = take_backup()
    # The logger goes on until the set is taken, then logs one run more: the set is taken mid-stream.
    host.run_test('touch /root/logger.stop')
    host.run('for i in $(seq 300); do test -f /root/logger.done && break; sleep 1; done')
    assert host.file('/root/logger.done').exists, host.file('/root/logger.log').content_string
    logged = json.loads(host.file('/root/logger.done').content_string)
    assert logged['stopped'], logged  # not ended by its cap, which would prove nothing about the set
    checked = host.ansible('efficientai.mlops.backup_verify', f"backup_id={taken['id']} test_restore=true", check=False)
    assert checked['problems'] == [], checked
    source = [s for s in manifest(taken['id'])['sources'] if s['name'] in ('mlflow-db', 'postgres-mlflow')][0]
    host.ansible('copy', f'src={HERE}/batches.py dest=/root/batches.py mode=0644', check=False)
    batches = host.run(f"{'/usr/bin/python3'} /root/batches.py {ROOT}/{taken['id']}/{source['file']} {source['type']} "
                       f"{variables.get('postgres_port', 0)} {experiment}")
    assert batches.rc == 0, batches.stderr
    per_run = json.loads(batches.stdout)
    assert set(per_run.values()) <= {0, 40}, per_run  # a run has all of its batch or none
    assert 0 < sum(1 for n in per_run.values() if n == 40) < logged['runs'], 'the set must be taken mid-stream'


def test_a_set_with_one_flipped_byte_is_refused_before_anything_is_touched(host, sets, mlflow_state, run_playbook):
    newest = sets()[-1]
    damaged = newest[:-3] + '59Z' if not newest.endswith('59Z') else newest[:-3] + '58Z'
    host.run_test(f'cp -a {ROOT}/{newest} {ROOT}/{damaged}')
    data_file = [f for f in host.run(f'ls {ROOT}/{damaged}/files').stdout.split() if 'mlflow' in f and 'artifacts' not in f][0]
    path = f'{ROOT}/{damaged}/files/{data_file}'
    host.run_test(f"{'/usr/bin/python3'} -c \"import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; "
                  f"open(p,'wb').write(bytes(b))\" {path}")
    before, snapshots = mlflow_state(), host.run(f'ls {ROOT}/safety').stdout
    try:
        refused = run_playbook('restore.yml', backup_id=damaged)
        assert refused.returncode != 0
        assert f'backup set {damaged} fails verification' in refused.output
        assert f'files/{data_file}: sha256 differs from the manifest' in refused.output
        assert mlflow_state() == before, 'the refused restore touched the running service or its data'
        assert host.run(f'ls {ROOT}/safety').stdout == snapshots, 'no safety snapshot may be taken for a refused set'
    finally:
        host.run(f'rm -rf {ROOT}/{damaged}')


def test_retention_leaves_the_expected_sets(host, sets, take_backup):
    """Nine old daily and five old weekly sets (copies of a real one), then one manual run: of each
    kind the newest sets that backup_keep names stay (7 daily, 4 weekly, 5 manual), nothing else."""
    model = sets()[-1]
    for kind, count, hour in (('daily', 9, '02'), ('weekly', 5, '03')):
        for day in range(1, count + 1):
            backup_id = f'202601{day:02d}T{hour}0000Z'
            host.run_test(f'cp -a {ROOT}/{model} {ROOT}/{backup_id}')
            host.run_test(f"{'/usr/bin/python3'} -c \"import json,sys; p=sys.argv[1]; m=json.load(open(p)); m.update(id=sys.argv[2], kind=sys.argv[3]); "
                          f"json.dump(m, open(p,'w'))\" {ROOT}/{backup_id}/manifest.json {backup_id} {kind}")
    kinds = {s: json.loads(host.file(f'{ROOT}/{s}/manifest.json').content_string)['kind'] for s in sets()}
    summary = take_backup()
    kinds[summary['id']] = 'manual'
    expected = sorted(i for kind, keep in (('daily', 7), ('weekly', 4), ('manual', 5), ('monthly', 12))
                      for i in sorted(s for s, k in kinds.items() if k == kind)[-keep:])
    assert sets() == expected
    assert sorted(summary['pruned']) == sorted(set(kinds) - set(expected))
    assert {'20260101T020000Z', '20260102T020000Z', '20260101T030000Z'} <= set(summary['pruned'])


def test_uploads_are_encrypted_and_complete(host, variables, s3, take_backup, tmp_path):
    if not variables.get('backup_s3_bucket'):
        pytest.skip(f'{host.backend.get_hostname()} uploads no sets (no backup_s3_bucket)')
    taken = take_backup()
    key = taken['uploaded']
    assert key == f"efficientai/{host.backend.get_hostname()}/{taken['id']}.tar.age"
    body = s3.get_object(Bucket='efficientai-backups', Key=key)['Body'].read()
    assert not body.startswith(taken['id'].encode()), 'the upload must be encrypted'
    (tmp_path / 'upload.age').write_bytes(body)
    host.ansible('copy', f"src={tmp_path / 'upload.age'} dest=/root/upload.age mode=0600", check=False)
    host.ansible('copy', f'src={HERE}/age-identity.txt dest=/root/age-identity.txt mode=0600', check=False)
    host.run_test('rm -rf /root/downloaded && mkdir -p /root/downloaded && '
                  'age -d -i /root/age-identity.txt /root/upload.age | tar -C /root/downloaded -xf -')
    checked = host.ansible('efficientai.mlops.backup_verify', f"root=/root/downloaded backup_id={taken['id']}", check=False)
    assert checked['problems'] == [], checked
    assert variables['backup_s3_secret_access_key'] not in host.file('/etc/cron.d/efficientai-backup').content_string


def test_an_unencrypted_upload_is_refused_before_any_change(host, variables, sets, run_playbook):
    if not variables.get('backup_s3_bucket'):
        pytest.skip(f'{host.backend.get_hostname()} uploads no sets (no backup_s3_bucket)')
    config = host.file('/etc/efficientai/backup.json').content_string
    before = sets()
    refused = run_playbook('backup.yml', backup_encryption='none')
    assert refused.returncode != 0
    assert "backup_encryption is 'none' while backup_s3_bucket is 'efficientai-backups'" in refused.output, refused.output[-3000:]
    assert sets() == before and host.file('/etc/efficientai/backup.json').content_string == config


def replica_starts(host, variables):
    """Per MLflow replica of the host, what a restart changes: when systemd last activated it,
    or without systemd (supervisor, one replica) the server's process id."""
    if not host.file('/run/systemd/system').is_directory:
        return {'mlflow': host.check_output("pgrep -f 'mlflow server' -o")}
    units = ['mlflow'] + [f'mlflow-{i}' for i in range(2, int(variables.get('mlflow_replicas', 1)) + 1)]
    return {unit: host.check_output(f'systemctl show -p ActiveEnterTimestampMonotonic --value {unit}')
            for unit in units}


def restore_with_a_backup_during_it(host, run_playbook, **variables):
    """Run restore.yml and, once it has marked the backup root, try to take a set as the timers
    do: the playbook's result and that attempt's."""
    backup = ' '.join(RUNNER + ['run', '--config', '/etc/efficientai/backup.json', '--kind', 'manual'])
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        restore = pool.submit(run_playbook, 'restore.yml', **variables)
        deadline = time.monotonic() + 300
        while not host.file(RESTORING).exists and not restore.done() and time.monotonic() < deadline:
            time.sleep(0.5)
        during = host.run(backup)
        return restore.result(), during


def test_a_failed_restore_is_rolled_back(host, variables, sets, manifest, mlflow_state, run_playbook):
    """A set whose manifest promises one more run than its database holds passes the file check,
    is restored, fails the row-count check, and everything is put back as it was. Every MLflow
    replica was stopped meanwhile (backup_restore_pg runs two), not only the first. While the
    restore runs, the backup runner refuses to take a set (a half-restored state must never
    become the newest verified set), and takes them again afterwards."""
    newest = sets()[-1]
    lying = newest[:-3] + '59Z' if not newest.endswith('59Z') else newest[:-3] + '58Z'
    host.run_test(f'cp -a {ROOT}/{newest} {ROOT}/{lying}')
    host.run_test(f"{'/usr/bin/python3'} -c \"import json,sys; p=sys.argv[1]; m=json.load(open(p)); "
                  f"[s['counts'].update(runs=s['counts']['runs']+1) for s in m['sources'] if 'runs' in s.get('counts', {{}})]; "
                  f"json.dump(m, open(p,'w'))\" {ROOT}/{lying}/manifest.json")
    before = json.loads(mlflow_state()['counts'])
    started = replica_starts(host, variables)
    sets_before = sets()
    try:
        failed, during = restore_with_a_backup_during_it(host, run_playbook, backup_id=lying)
        assert failed.returncode != 0
        assert 'rolled back' in failed.output and 'differ from the manifest' in failed.output, failed.output[-5000:]
        assert during.rc == 1 and 'a restore is in progress' in during.stderr, (during.rc, during.stderr)
        assert sets() == sets_before and not host.file(RESTORING).exists
        after = mlflow_state()
        assert json.loads(after['counts']) == before and after['health'] == 'OK'
        restarted = replica_starts(host, variables)
        assert all(restarted[unit] not in ('', '0', started[unit]) for unit in started), (started, restarted)
    finally:
        host.run(f'rm -rf {ROOT}/{lying}')


def test_no_restore_while_a_backup_runs(host, mlflow_state, run_playbook):
    """A backup holds the runner's lock: restore.yml is refused before anything changes."""
    host.run_test(f'setsid flock {ROOT}/.lock sleep 117 > /dev/null 2>&1 < /dev/null &')
    before = mlflow_state()
    try:
        refused = run_playbook('restore.yml')
        assert refused.returncode != 0
        assert 'Not restoring' in refused.output and 'another backup is running' in refused.output, refused.output[-3000:]
        assert mlflow_state() == before and not host.file(RESTORING).exists
    finally:
        host.run("pkill -f 'sleep 117'")
