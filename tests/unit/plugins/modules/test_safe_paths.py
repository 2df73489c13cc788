"""Unit tests of safe_paths on real directories: the rules read the host's modes and owners."""

import os

import pytest

from ansible_collections.efficientai.mlops.plugins.modules import safe_paths
from ansible_collections.efficientai.mlops.plugins.modules.safe_paths import path_problems

ME = {0, os.geteuid()}


@pytest.fixture
def base(tmp_path):
    """A directory owned by this user under a parent only it can write."""
    os.chmod(tmp_path, 0o755)
    return tmp_path


def test_a_private_path_and_a_checkout_under_tmp_pass(base):
    assert path_problems("cache_dir", str(base / "cache" / "dvc"), ME) == []
    assert str(base).startswith("/tmp/")  # pytest's tmp_path: under the sticky, world-writable /tmp


def test_a_world_writable_parent_without_the_sticky_bit_is_named(base):
    shared = base / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    assert path_problems("cache_dir", str(shared / "dvc"), ME) == [
        f"cache_dir is '{shared}/dvc', but {shared} is writable by every user without the sticky bit: anyone could "
        f"replace what is below it; choose another path, or chmod o-w {shared}"]


def test_a_missing_directory_under_a_sticky_world_writable_one_is_named(base):
    sticky = base / "tmp"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    problems = path_problems("cache_dir", str(sticky / "dvc" / "site"), ME)
    assert len(problems) == 1 and f"{sticky}/dvc does not exist in the world-writable {sticky}" in problems[0]
    (sticky / "dvc").mkdir()
    assert path_problems("cache_dir", str(sticky / "dvc" / "site"), ME) == []


def test_a_symlink_is_judged_where_it_leads(base):
    shared = base / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    (base / "link").symlink_to(shared)
    problems = path_problems("cache_dir", str(base / "link" / "dvc"), ME)
    assert len(problems) == 1 and f"{shared} is writable by every user" in problems[0]


def test_a_file_and_a_relative_path_are_refused(base):
    (base / "file").write_text("")
    assert "which is not a directory" in path_problems("cache_dir", str(base / "file"), ME)[0]
    assert path_problems("cache_dir", "cache/dvc", ME) == ["cache_dir must be an absolute path (got 'cache/dvc')"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another user needs root")
def test_a_directory_of_another_user_is_named(base):
    theirs = base / "theirs"
    theirs.mkdir()
    os.chown(theirs, 65534, 65534)  # nobody
    problems = path_problems("cache_dir", str(theirs / "dvc"), {0})
    assert len(problems) == 1 and f"{theirs} belongs to nobody, who could replace what is below it" in problems[0]


def test_the_module_reports_each_problem_by_variable(run_module, base):
    shared = base / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    result = run_module(safe_paths, {"paths": {"b_dir": str(shared / "b"), "a_dir": str(base / "a")}}, check_mode=True)
    assert not result["failed"] and not result["changed"]
    assert [(p["variable"], p["path"]) for p in result["problems"]] == [("b_dir", str(shared / "b"))]
