"""Unit tests of the backup runner's `prune` (playbooks/maintenance.yml): the retention alone,
with the counts given on the command line, and a dry run that removes nothing."""

import json
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
sys.path[:0] = [os.path.join(REPO, 'roles', 'backup', 'files'), os.path.join(REPO, 'plugins', 'module_utils')]

import efficientai_backup as runner  # noqa: E402

IDS = ['20261101T020000Z', '20261102T020000Z', '20261103T020000Z']


@pytest.fixture
def backups(tmp_path, capsys):
    """Three verified manual sets of one small directory, with retention manual: 5."""
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc' / 'mlflow.env').write_text('A=1\n')
    config = tmp_path / 'backup.json'
    config.write_text(json.dumps({'root': str(tmp_path / 'backups'), 'host': 'h', 'retention': {'manual': 5},
                                  'sources': [{'name': 'etc', 'type': 'files', 'path': str(tmp_path / 'etc')}]}))
    for backup_id in IDS:
        assert runner.main(['run', '--config', str(config), '--kind', 'manual', '--id', backup_id]) == 0
    capsys.readouterr()

    def prune(*options):
        code = runner.main(['prune', '--config', str(config), *options])
        captured = capsys.readouterr()
        return code, json.loads(captured.out) if code == 0 else captured.err
    prune.root = tmp_path / 'backups'
    return prune


def sets(root):
    return sorted(p.name for p in root.iterdir() if not p.name.startswith('.'))


def test_configured_retention_keeps_everything(backups):
    assert backups() == (0, {'kept': IDS, 'pruned': [], 'dry_run': False})
    assert sets(backups.root) == IDS


def test_dry_run_reports_and_removes_nothing(backups):
    code, result = backups('--keep', '{"manual": 1}', '--dry-run')
    assert code == 0 and result == {'kept': IDS[2:], 'pruned': IDS[:2], 'dry_run': True}
    assert sets(backups.root) == IDS


def test_keep_from_the_command_line_prunes(backups):
    code, result = backups('--keep', '{"manual": 2}')
    assert code == 0 and result['pruned'] == IDS[:1] and result['kept'] == IDS[1:]
    assert sets(backups.root) == IDS[1:]
    assert backups('--keep', '{"manual": 2}') == (0, {'kept': IDS[1:], 'pruned': [], 'dry_run': False})


@pytest.mark.parametrize('keep, message', [('{"manual": -1}', 'keep.manual'), ('{"hourly": 1}', 'unknown kinds'),
                                           ('not json', 'FAILED')])
def test_bad_counts_are_refused_before_anything_goes(backups, keep, message):
    code, error = backups('--keep', keep)
    assert code == 1 and message in error
    assert sets(backups.root) == IDS


def test_a_running_backup_blocks_pruning(backups):
    with open(backups.root / '.lock', 'w', encoding='utf-8') as lock:
        runner.fcntl.flock(lock, runner.fcntl.LOCK_EX)
        code, error = backups('--keep', '{"manual": 1}')
    assert code == 1 and 'another backup is running' in error
    assert sets(backups.root) == IDS
