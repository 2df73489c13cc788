"""Unit tests of dvc_remote against a fake DVC whose configuration lives in memory."""

import os

import pytest

from ansible_collections.efficientai.mlops.plugins.modules import dvc_remote

SECRET = "s3cret-Key-0123456789"
S3 = {"name": "storage", "url": "s3://bucket/project", "default": True, "endpoint_url": "http://127.0.0.1:9000",
      "access_key_id": "AKIDEXAMPLE", "secret_access_key": SECRET}


def run(run_module, dvc_project, check_mode=False, **args):
    return run_module(dvc_remote, dict(dvc_project, **args), check_mode=check_mode)


def test_check_mode_predicts_then_changed_then_not(run_module, dvc_project, fake_dvc):
    predicted = run(run_module, dvc_project, check_mode=True, **S3)
    assert predicted["changed"] and fake_dvc.edits == []
    applied = run(run_module, dvc_project, **S3)
    assert applied["changed"] and applied["changes"] == predicted["changes"]
    assert not run(run_module, dvc_project, **S3)["changed"]
    assert not run(run_module, dvc_project, check_mode=True, **S3)["changed"]


def test_url_and_default_are_shared_credentials_stay_local(run_module, dvc_project, fake_dvc):
    run(run_module, dvc_project, **S3)
    assert fake_dvc.config["repo"]["remote"]["storage"] == {"url": "s3://bucket/project"}
    assert fake_dvc.config["repo"]["core"]["remote"] == "storage"
    assert fake_dvc.config["local"]["remote"]["storage"] == {
        "endpointurl": "http://127.0.0.1:9000", "access_key_id": "AKIDEXAMPLE", "secret_access_key": SECRET}
    # The project level is applied first: DVC validates the local section against its url.
    assert [level for level, _operations in fake_dvc.edits[0]] == ["repo", "local"]


def test_secrets_never_show_in_the_result_or_diff(run_module, dvc_project, fake_dvc):
    result = run(run_module, dvc_project, **S3)
    assert SECRET not in repr(result) and "AKIDEXAMPLE" not in repr(result)
    assert result["diff"]["after"][".dvc/config.local"]["remote"]["secret_access_key"] == "<hidden, changed>"
    rotated = run(run_module, dvc_project, **(S3 | {"secret_access_key": "an0ther-Secret-987654"}))
    assert rotated["changes"] == ["set secret_access_key of remote 'storage' in .dvc/config.local"]
    assert rotated["diff"]["before"][".dvc/config.local"]["remote"]["secret_access_key"] == "<hidden>"
    # Secrets go to DVC's interpreter on stdin, never on a command line.
    assert all(SECRET not in " ".join(call["argv"]) for call in fake_dvc.calls)


def test_password_in_url_is_hidden_in_the_diff(run_module, dvc_project, fake_dvc):
    result = run(run_module, dvc_project, name="web", url="https://ana:pa55word@dvc.example.com/store")
    assert result["diff"]["after"][".dvc/config"]["remote"]["url"] == "https://ana:<hidden>@dvc.example.com/store"


def test_options_not_given_are_kept_and_empty_ones_removed(run_module, dvc_project, fake_dvc):
    run(run_module, dvc_project, **(S3 | {"profile": "ml"}))
    kept = run(run_module, dvc_project, name="storage", url="s3://bucket/project")
    assert not kept["changed"] and fake_dvc.config["local"]["remote"]["storage"]["profile"] == "ml"
    removed = run(run_module, dvc_project, name="storage", profile="")
    assert removed["changes"] == ["unset profile of remote 'storage' in .dvc/config.local"]
    assert "profile" not in fake_dvc.config["local"]["remote"]["storage"]


def test_default_flag(run_module, dvc_project, fake_dvc):
    fake_dvc.config["local"] = {"core": {"remote": "elsewhere"}}
    run(run_module, dvc_project, **S3)
    # A local default would hide the project's: it goes.
    assert "remote" not in fake_dvc.config["local"]["core"]
    unset = run(run_module, dvc_project, name="storage", default=False)
    assert unset["changes"] == ["unset the default remote in .dvc/config"]


def test_level_local_keeps_the_url_on_this_host(run_module, dvc_project, fake_dvc):
    run(run_module, dvc_project, name="backup", url="/mnt/backup/dvc", level="local", default=True)
    assert fake_dvc.config["local"]["remote"]["backup"] == {"url": "/mnt/backup/dvc"}
    assert fake_dvc.config["local"]["core"]["remote"] == "backup"
    assert "backup" not in fake_dvc.config["repo"].get("remote", {})


def test_absent_removes_both_levels_local_first_and_the_default(run_module, dvc_project, fake_dvc):
    run(run_module, dvc_project, **S3)
    result = run(run_module, dvc_project, name="storage", state="absent")
    assert result["changes"] == ["removed remote 'storage' from .dvc/config.local",
                                 "removed remote 'storage' from .dvc/config",
                                 "unset the default remote in .dvc/config"]
    assert not run(run_module, dvc_project, name="storage", state="absent")["changed"]


@pytest.mark.parametrize("url, stored", [("file:///srv/dvc-remote", "/srv/dvc-remote"), ("/srv/x", "/srv/x"),
                                         ("s3://b/p", "s3://b/p")])
def test_file_urls_are_stored_as_paths(run_module, dvc_project, fake_dvc, url, stored):
    run(run_module, dvc_project, name="files", url=url)
    assert fake_dvc.config["repo"]["remote"]["files"]["url"] == stored


@pytest.mark.parametrize("args, message", [
    ({"name": "Storage", "url": "s3://b/p"}, "not a valid remote name"),
    ({"name": "files", "url": "relative/path"}, "absolute path"),
    ({"name": "files", "url": "file://host/path"}, "file:///absolute/path"),
    ({"name": "new"}, "url is required to add it"),
])
def test_bad_input_fails_before_any_change(run_module, dvc_project, fake_dvc, args, message):
    result = run(run_module, dvc_project, **args)
    assert result["failed"] and message in result["msg"]
    assert fake_dvc.edits == []


def test_dvc_refusal_is_reported(run_module, dvc_project, fake_dvc):
    fake_dvc.refuse = "config file error: extra keys not allowed @ data['remote']['files']['endpointurl']"
    result = run(run_module, dvc_project, name="files", url="/srv/x", endpoint_url="http://e")
    assert result["failed"] and "extra keys not allowed" in result["msg"]


def test_local_file_is_made_private(run_module, dvc_project, fake_dvc):
    local = os.path.join(dvc_project["path"], ".dvc", "config.local")
    run(run_module, dvc_project, **S3)
    assert os.stat(local).st_mode & 0o777 == 0o600
    os.chmod(local, 0o644)
    result = run(run_module, dvc_project, **S3)
    assert result["changes"] == ["made .dvc/config.local readable by its owner only (0600)"]
    assert os.stat(local).st_mode & 0o777 == 0o600


def test_check_mode_on_a_new_project_predicts_without_dvc(run_module, tmp_path, fake_dvc):
    result = run_module(dvc_remote, dict(S3, path=str(tmp_path / "new"), executable="/nonexistent/dvc"),
                        check_mode=True)
    assert result["changed"] and fake_dvc.calls == []


def test_a_project_without_dvc_init_is_an_error(run_module, tmp_path, fake_dvc):
    result = run_module(dvc_remote, dict(S3, path=str(tmp_path), executable="/nonexistent/dvc"))
    assert result["failed"] and "run dvc init first" in result["msg"]
