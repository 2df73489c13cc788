"""Unit tests of dvc_gc with the output of DVC 3.67 (dry run first, then the real run)."""

import pytest

from ansible.module_utils import basic
from ansible_collections.efficientai.mlops.plugins.modules import dvc_gc

OLD = "/srv/dvc-cache/files/md5/3b/5d5c3712955042212316173ccf37be"
DIR = "/srv/dvc-cache/files/md5/56/2ee692a592790b08e880eff9046f72.dir"
DRY = (f"Removing {DIR}\nRemoving {OLD}\nRemoved 2 objects from repo cache.\n"
       "No unused 'legacy' cache to remove.\n")
DONE = "Removed 2 objects from repo cache.\nNo unused 'legacy' cache to remove.\n"
NOTHING = "No unused 'repo' cache to remove.\nNo unused 'legacy' cache to remove.\n"


def run(run_module, dvc_project, check_mode=False, **args):
    return run_module(dvc_gc, dict(dvc_project, **args), check_mode=check_mode)


def test_dry_run_first_then_the_real_run(run_module, dvc_project, fake_dvc):
    fake_dvc.gc_outputs = [DRY, DONE]
    result = run(run_module, dvc_project, workspace=True)
    assert result["changed"]
    assert result["removed"] == {"cache": [DIR, OLD], "remote": []}
    assert result["removed_count"] == {"cache": 2, "remote": 0}
    assert fake_dvc.runs("gc") == [["gc", "--workspace", "--dry"], ["gc", "--workspace", "--force"]]
    assert all(call["environ"]["DVC_NO_ANALYTICS"] == "1" for call in fake_dvc.calls)


def test_nothing_to_remove_is_not_a_change_and_no_real_run(run_module, dvc_project, fake_dvc):
    fake_dvc.gc_outputs = [NOTHING]
    result = run(run_module, dvc_project, workspace=True)
    assert not result["changed"] and len(fake_dvc.runs("gc")) == 1


def test_check_mode_runs_only_the_dry_run(run_module, dvc_project, fake_dvc):
    fake_dvc.gc_outputs = [DRY]
    result = run(run_module, dvc_project, check_mode=True, workspace=True)
    assert result["changed"] and result["removed"]["cache"] == [DIR, OLD]
    assert fake_dvc.runs("gc") == [["gc", "--workspace", "--dry"]]


def test_a_changed_count_between_runs_is_a_warning(run_module, dvc_project, fake_dvc, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda module, warning: warnings.append(warning))
    fake_dvc.gc_outputs = [DRY, "Removed 3 objects from repo cache.\n"]
    result = run(run_module, dvc_project, workspace=True)
    assert result["removed_count"]["cache"] == 3
    assert len(warnings) == 1 and "changed in between" in warnings[0]


def test_all_flags_and_other_projects(run_module, dvc_project, fake_dvc, tmp_path):
    other = tmp_path / "other"
    (other / ".dvc").mkdir(parents=True)
    (other / ".dvc" / "config").write_text("")
    fake_dvc.gc_outputs = [NOTHING]
    run(run_module, dvc_project, all_branches=True, all_tags=True, num=3, cloud=True, remote="storage",
        jobs=2, projects=[str(other)])
    assert fake_dvc.runs("gc")[0] == ["gc", "--all-branches", "--all-tags", "--cloud", "--num", "3", "--remote",
                                      "storage", "--jobs", "2", "--projects", str(other), "--dry"]


@pytest.mark.parametrize("args, message", [
    ({}, "say what to keep"),
    ({"workspace": True, "remote": "storage"}, "remote needs cloud"),
    ({"workspace": True, "cloud": True, "not_in_remote": True}, "mutually exclusive"),
    ({"workspace": True, "num": 2}, "num needs rev or all_branches"),
    ({"date": "last week"}, "YYYY-MM-DD"),
    ({"workspace": True, "projects": ["/nonexistent/project"]}, "is not a DVC project"),
])
def test_bad_input_fails_before_dvc_runs(run_module, dvc_project, fake_dvc, args, message):
    result = run(run_module, dvc_project, **args)
    assert result["failed"] and message in result["msg"]
    assert fake_dvc.calls == []
