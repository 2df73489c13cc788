"""dvc_remote as a playbook calls it (check mode predicts, changed, then not changed; no
secret in any output), and bad input refused before anything changes."""

from conftest import CHURN, task_result

testinfra_hosts = ["ansible://dvc-host"]
SECRET = "backup-Secret-4711-must-not-show"
BACKUP = {"path": CHURN, "name": "backup", "url": "s3://dvc-store/backup", "endpoint_url": "http://127.0.0.1:17090",
          "region": "us-east-1", "access_key_id": "BACKUPKEYID4711", "secret_access_key": SECRET}


def apply_remote(run_playbook, remote, *options):
    rc, results, output = run_playbook("remote.yml", {"remote": remote, "remote_owner": "alice"}, "--diff", "-v", *options)
    assert rc == 0, output
    assert SECRET not in output and "BACKUPKEYID4711" not in output
    return task_result(results, "Apply the remote")


def test_dvc_remote_check_mode_predicts_then_changed_then_not(host, run_playbook):
    predicted = apply_remote(run_playbook, BACKUP, "--check")
    assert predicted["changed"]
    assert 'remote "backup"' not in host.file(f"{CHURN}/.dvc/config.local").content_string
    applied = apply_remote(run_playbook, BACKUP)
    assert applied["changed"] and applied["changes"] == predicted["changes"]
    assert not apply_remote(run_playbook, BACKUP)["changed"]
    assert not apply_remote(run_playbook, BACKUP, "--check")["changed"]

    local = host.file(f"{CHURN}/.dvc/config.local")
    assert SECRET in local.content_string and local.mode == 0o600
    assert SECRET not in host.file(f"{CHURN}/.dvc/config").content_string


def test_dvc_remote_changes_one_option_then_removes(host, run_playbook):
    moved = apply_remote(run_playbook, dict(BACKUP, endpoint_url="http://localhost:17090"))
    assert moved["changes"] == ["set endpointurl of remote 'backup' in .dvc/config.local"]
    removed = apply_remote(run_playbook, {"path": CHURN, "name": "backup", "state": "absent"})
    assert removed["changed"]
    for name in ("config", "config.local"):
        assert 'remote "backup"' not in host.file(f"{CHURN}/.dvc/{name}").content_string


def test_remote_refused_by_dvc_is_a_clear_error(host, run_playbook):
    rc, _results, output = run_playbook(
        "remote.yml", {"remote": {"path": CHURN, "name": "odd", "url": "/srv/dvc/remote/odd",
                                  "endpoint_url": "http://127.0.0.1:17090"}, "remote_owner": "alice"})
    assert rc != 0
    assert "extra keys not allowed" in output and "endpointurl" in output
    assert 'remote "odd"' not in host.file(f"{CHURN}/.dvc/config").content_string


def test_site_cache_in_var_tmp_is_refused(host, run_playbook):
    rc, _results, output = run_playbook("converge.yml", {"dvc_site_cache_dir": "/var/tmp/dvc"})
    assert rc != 0 and "dvc_site_cache_dir is '/var/tmp/dvc', but /var/tmp/dvc does not exist in the world-writable /var/tmp" in output


def test_unknown_owner_is_refused_before_any_change(host, run_playbook):
    ghost = [{"path": "/srv/dvc/projects/ghost", "owner": "ghost"}]
    rc, _results, output = run_playbook("converge.yml", {"dvc_workspaces": ghost})
    assert rc != 0 and "dvc_workspaces[0].owner is 'ghost', which is not a user on this host" in output
    assert not host.file("/srv/dvc/projects/ghost").exists


def test_gc_without_anything_to_keep_is_refused(host, run_playbook):
    rc, _results, output = run_playbook("gc.yml", {"dvc_gc_keep": []})
    assert rc != 0 and "dvc_gc_keep" in output
