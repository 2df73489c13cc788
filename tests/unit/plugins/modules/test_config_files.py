"""Unit tests of the config_files module: one call writes, fixes, removes and validates a role's files."""

import grp
import os
import pwd

import pytest

from ansible_collections.efficientai.mlops.plugins.modules import config_files

# A user and group other than root's, so that ownership is really checked.
SERVICE_USER = "nobody"
SERVICE_GROUP = grp.getgrgid(pwd.getpwnam(SERVICE_USER).pw_gid).gr_name
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the files change owner: run the unit tests as root")


def attributes(path):
    status = os.stat(path)
    return oct(status.st_mode & 0o7777), pwd.getpwuid(status.st_uid).pw_name, grp.getgrgid(status.st_gid).gr_name


@pytest.fixture
def files(tmp_path):
    me = pwd.getpwuid(os.geteuid()).pw_name
    my_group = grp.getgrgid(os.getegid()).gr_name
    # The first file takes the defaults: the user and group the module runs as.
    return [{"path": str(tmp_path / "a.service"), "content": "[Unit]\n"},
            {"path": str(tmp_path / "b.env"), "content": "TOKEN=s3cret\n", "owner": me, "group": my_group,
             "mode": "0600", "secret": True}]


def test_the_first_call_writes_every_file_and_the_second_changes_nothing(files, run_module):
    first = run_module(config_files, {"files": files})
    assert first["changed"] and first["written"] == [f["path"] for f in files]
    assert open(files[0]["path"], encoding="utf-8").read() == "[Unit]\n"
    assert attributes(files[1]["path"])[0] == "0o600"
    assert attributes(files[0]["path"]) == ("0o644", pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name)
    second = run_module(config_files, {"files": files})
    assert not second["changed"] and second["changed_paths"] == [] and second["diff"] == []


def test_only_the_file_that_differs_is_written(files, run_module):
    run_module(config_files, {"files": files})
    before = os.stat(files[0]["path"]).st_ino
    files[1]["content"] = "TOKEN=n3w\n"
    done = run_module(config_files, {"files": files})
    assert done["written"] == [files[1]["path"]] and os.stat(files[0]["path"]).st_ino == before


def test_check_mode_predicts_without_writing_and_a_secret_never_shows(files, run_module):
    predicted = run_module(config_files, {"files": files}, check_mode=True)
    assert predicted["changed"] and predicted["written"] == [f["path"] for f in files]
    assert not any(os.path.exists(f["path"]) for f in files)
    assert "s3cret" not in str(predicted) and predicted["diff"][0]["after"] == "[Unit]\n"


def test_a_wrong_mode_is_fixed_without_rewriting(files, run_module):
    run_module(config_files, {"files": files})
    os.chmod(files[1]["path"], 0o644)
    inode = os.stat(files[1]["path"]).st_ino
    fixed = run_module(config_files, {"files": files})
    assert fixed["changed_paths"] == [files[1]["path"]] and fixed["written"] == []
    assert attributes(files[1]["path"])[0] == "0o600" and os.stat(files[1]["path"]).st_ino == inode


@as_root
def test_owner_and_group_are_set(files, run_module):
    files[1].update(owner=SERVICE_USER, group=SERVICE_GROUP, mode="0640")
    run_module(config_files, {"files": files})
    assert attributes(files[1]["path"]) == ("0o640", SERVICE_USER, SERVICE_GROUP)


def test_absent_removes_and_reports_once(files, run_module, tmp_path):
    run_module(config_files, {"files": files})
    gone = [files[0], {"path": files[1]["path"], "state": "absent"}]
    removed = run_module(config_files, {"files": gone})
    assert removed["removed"] == [files[1]["path"]] and not os.path.exists(files[1]["path"])
    assert not run_module(config_files, {"files": gone})["changed"]


def test_a_failed_check_writes_nothing_of_the_call(files, run_module, tmp_path):
    run_module(config_files, {"files": files})
    files[0]["content"] = "[Unit]\nDescription=new\n"
    files[1].update(content="BROKEN\n", validate="grep -q TOKEN %s")
    failed = run_module(config_files, {"files": files})
    assert failed["failed"] and f"{files[1]['path']} failed its check" in failed["msg"]
    assert open(files[0]["path"], encoding="utf-8").read() == "[Unit]\n"
    assert sorted(os.listdir(tmp_path)) == ["a.service", "b.env"]  # no temporary file is left


def test_a_passed_check_writes(files, run_module):
    files[0]["validate"] = "grep -q Unit %s"
    assert run_module(config_files, {"files": files})["written"] == [f["path"] for f in files]


@pytest.mark.parametrize("change, message", [
    ({"path": "relative.conf"}, "path must be absolute (got 'relative.conf')"),
    ({"mode": "rw"}, "must be octal such as 0644 (got 'rw')"),
    ({"content": None}, "needs content (or state absent)"),
    ({"validate": "nft --check"}, "must contain %s"),
    ({"owner": "no-such-user-here"}, "no such user or group on this host"),
])
def test_bad_input_fails_before_any_file_is_written(files, run_module, change, message):
    files[1].update(change)
    failed = run_module(config_files, {"files": files})
    assert failed["failed"] and message in failed["msg"] and not os.path.exists(files[0]["path"])


def test_a_dry_run_on_a_new_host_predicts_files_in_directories_not_made_yet(files, run_module, tmp_path):
    later = dict(files[0], path=str(tmp_path / "made-by-an-earlier-task" / "x.conf"), owner="not-created-yet")
    predicted = run_module(config_files, {"files": [later]}, check_mode=True)
    assert predicted["changed"] and predicted["written"] == [later["path"]]


def test_a_missing_directory_and_a_path_given_twice_are_refused(files, run_module, tmp_path):
    missing = run_module(config_files, {"files": [dict(files[0], path=str(tmp_path / "no" / "x"))]})
    assert missing["failed"] and "does not exist" in missing["msg"]
    twice = run_module(config_files, {"files": [files[0], dict(files[0])]})
    assert twice["failed"] and "each path once" in twice["msg"]


def test_directories_are_made_with_their_parents_before_the_files_and_fixed(files, run_module, tmp_path):
    deep = tmp_path / "etc" / "app"
    directories = [{"path": str(deep), "mode": "0750"}]
    inside = [dict(files[0], path=str(deep / "app.conf"))]
    predicted = run_module(config_files, {"directories": directories, "files": inside}, check_mode=True)
    assert predicted["changed_paths"] == [str(deep), str(deep / "app.conf")] and not deep.exists()
    made = run_module(config_files, {"directories": directories, "files": inside})
    assert made["changed"] and (deep / "app.conf").read_text() == "[Unit]\n"
    assert attributes(deep)[0] == attributes(deep.parent)[0] == "0o750"
    assert not run_module(config_files, {"directories": directories, "files": inside})["changed"]
    os.chmod(deep, 0o777)
    assert run_module(config_files, {"directories": directories, "files": inside})["changed_paths"] == [str(deep)]
    assert attributes(deep)[0] == "0o750"


def test_a_file_where_a_directory_should_be_is_refused(files, run_module, tmp_path):
    (tmp_path / "taken").write_text("")
    refused = run_module(config_files, {"directories": [{"path": str(tmp_path / "taken")}], "files": files})
    assert refused["failed"] and "exists and is not a directory" in refused["msg"]
    assert not os.path.exists(files[0]["path"])
