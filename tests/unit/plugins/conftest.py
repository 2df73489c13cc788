"""Fixtures of the backup tests (module_utils, modules)."""

import json

import pytest

from ansible_collections.efficientai.mlops.plugins.module_utils import _backup


@pytest.fixture
def make_set():
    """make_set(root, id, kind, verified, files) writes a set with its manifest, as the runner does."""
    return _make_set


def _make_set(root, backup_id, kind='daily', verified=True, files=None):
    set_dir = root / backup_id
    (set_dir / 'files').mkdir(parents=True)
    listed = {}
    for name, content in (files or {'files/db.sqlite.zst': b'data'}).items():
        (set_dir / name).write_bytes(content)
        listed[name] = _backup.describe(str(set_dir / name))
    (set_dir / 'manifest.json').write_text(json.dumps({'format': 1, 'id': backup_id, 'kind': kind, 'files': listed,
                                                      'sources': []}))
    if verified is not None:
        (set_dir / 'verification.json').write_text(json.dumps({'verified': verified}))
    return set_dir
