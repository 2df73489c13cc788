"""Unit tests of the DVC helpers: reading `dvc gc` output (DVC 3.67), applying and
describing configuration edits, and the runtime files made ahead for a project's owner."""

import os

import pytest

from ansible_collections.efficientai.mlops.plugins.module_utils import _dvc

# Captured from `dvc gc -w -c --dry` with DVC 3.67.1.
DRY_WITH_CLOUD = """Removing /srv/c/files/md5/56/2ee692a592790b08e880eff9046f72.dir
Removing /srv/c/files/md5/3b/5d5c3712955042212316173ccf37be
Removed 2 objects from repo cache.
No unused 'legacy' cache to remove.
Removing dvc-store/churn/files/md5/3b/5d5c3712955042212316173ccf37be
Removed 1 objects from remote.
"""


def test_dry_run_output_is_read_per_storage():
    parsed = _dvc.parse_gc_output(DRY_WITH_CLOUD)
    assert parsed["cache"] == {"count": 2, "paths": ["/srv/c/files/md5/56/2ee692a592790b08e880eff9046f72.dir",
                                                     "/srv/c/files/md5/3b/5d5c3712955042212316173ccf37be"]}
    assert parsed["remote"] == {"count": 1, "paths": ["dvc-store/churn/files/md5/3b/5d5c3712955042212316173ccf37be"]}


def test_real_run_output_has_only_counts():
    parsed = _dvc.parse_gc_output("Removed 5 objects from repo cache.\nNo unused cache to remove from remote.\n")
    assert parsed == {"cache": {"count": 5, "paths": []}, "remote": {"count": 0, "paths": []}}


@pytest.mark.parametrize("output", [
    "Removing /a\nRemoving /b\nRemoved 3 objects from repo cache.\n",
    "Removing /a\n",
])
def test_unknown_output_is_an_error_not_a_guess(output):
    with pytest.raises(_dvc.DvcError, match="unknown output format"):
        _dvc.parse_gc_output(output)


def test_edits_apply_and_describe():
    current = {"repo": {"core": {"remote": "old"}, "remote": {"old": {"url": "/x"}}}, "local": {}}
    edits = [("local", [(["remote", "old"], None)]),
             ("repo", [(["remote", "old"], None), (["core", "remote"], None), (["core", "autostage"], "true")])]
    after = _dvc.apply_edits(current, edits)
    assert after["repo"] == {"core": {"autostage": "true"}, "remote": {}}
    assert current["repo"]["core"] == {"remote": "old"}, "the input is left as it was"
    assert _dvc.describe_edits(edits) == [
        "removed remote 'old' from .dvc/config.local", "removed remote 'old' from .dvc/config",
        "unset the default remote in .dvc/config", "set core.autostage in .dvc/config"]


def test_nothing_is_prepared_when_not_root(tmp_path, monkeypatch):
    (tmp_path / ".dvc").mkdir()
    monkeypatch.setattr(_dvc.os, "geteuid", lambda: 1000)
    assert _dvc.prepare_project_for_root(str(tmp_path)) == []
    assert not (tmp_path / ".dvc" / "tmp").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another user needs root")
def test_root_prepares_the_runtime_files_for_the_owner(tmp_path):
    os.chown(tmp_path, 4242, 4242)
    (tmp_path / ".dvc").mkdir()
    os.chown(tmp_path / ".dvc", 4242, 4343)
    created = _dvc.prepare_project_for_root(str(tmp_path))
    assert sorted(os.path.basename(path) for path in created) == ["btime", "lock", "tmp"]
    for path in created:
        assert (os.stat(path).st_uid, os.stat(path).st_gid) == (4242, 4343)
    assert _dvc.prepare_project_for_root(str(tmp_path)) == []
