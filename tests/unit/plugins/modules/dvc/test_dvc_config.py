"""Unit tests of dvc_config against a fake DVC whose configuration lives in memory."""

import pytest

from ansible_collections.efficientai.mlops.plugins.modules import dvc_config

LOCAL = {"core.site_cache_dir": "/var/cache/efficientai/dvc/ana", "core.analytics": False,
         "cache.dir": "/srv/dvc-cache", "cache.type": ""}


def run(run_module, dvc_project, check_mode=False, **args):
    return run_module(dvc_config, dict(dvc_project, **args), check_mode=check_mode)


def test_check_mode_predicts_then_changed_then_not(run_module, dvc_project, fake_dvc):
    predicted = run(run_module, dvc_project, check_mode=True, level="local", settings=LOCAL)
    assert predicted["changed"] and fake_dvc.edits == []
    applied = run(run_module, dvc_project, level="local", settings=LOCAL)
    assert applied["changes"] == predicted["changes"] == [
        "set cache.dir in .dvc/config.local", "set core.analytics in .dvc/config.local",
        "set core.site_cache_dir in .dvc/config.local"]
    assert fake_dvc.config["local"]["core"] == {"site_cache_dir": "/var/cache/efficientai/dvc/ana", "analytics": "false"}
    assert not run(run_module, dvc_project, level="local", settings=LOCAL)["changed"]


def test_empty_value_unsets(run_module, dvc_project, fake_dvc):
    fake_dvc.config["repo"] = {"core": {"autostage": "true", "no_scm": "True"}}
    result = run(run_module, dvc_project, settings={"core.autostage": ""})
    assert result["changes"] == ["unset core.autostage in .dvc/config"]
    assert fake_dvc.config["repo"]["core"] == {"no_scm": "True"}


def test_values_are_written_as_dvc_reads_them(run_module, dvc_project, fake_dvc):
    run(run_module, dvc_project, settings={"core.autostage": True, "core.checksum_jobs": 4})
    assert fake_dvc.config["repo"]["core"] == {"autostage": "true", "checksum_jobs": "4"}


@pytest.mark.parametrize("settings, message", [
    ({"autostage": True}, "not a section.option name"),
    ({"remote.storage": "s3://b"}, "dvc_remote"),
    ({"core.remote": "storage"}, "dvc_remote"),
    ({"core.autostage": [True]}, "single value"),
])
def test_bad_names_fail_before_any_change(run_module, dvc_project, fake_dvc, settings, message):
    result = run(run_module, dvc_project, settings=settings)
    assert result["failed"] and message in result["msg"] and fake_dvc.calls == []
