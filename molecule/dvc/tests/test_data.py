"""Data through DVC as a team uses it: add and push to an S3 (moto) and a file remote,
lose the cache, pull it back byte-identical; then the maintenance gc: its dry run lists
exactly what the real run removes, and a shared cache keeps every project's data."""

from conftest import CACHE, CHURN, FRAUD, as_user, cache_path, task_result

testinfra_hosts = ["ansible://dvc-host"]
DATA = "data/features.bin"
GC_TASK = "Collect the garbage of the DVC caches"


def dvc(host, user, project, command):
    result = as_user(host, user, project, command)
    assert result.rc == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout


def digest(host, tool, path):
    return host.check_output(f"{tool} {path}").split()[0]


def test_push_then_pull_restores_the_data_byte_identical(host):
    dvc(host, "alice", CHURN, f"mkdir -p data && head -c 3000000 /dev/urandom > {DATA} && dvc add {DATA}")
    original = digest(host, "sha256sum", f"{CHURN}/{DATA}")
    md5 = digest(host, "md5sum", f"{CHURN}/{DATA}")
    # autostage: the pointer file is staged for the next commit.
    assert f"{DATA}.dvc" in dvc(host, "alice", CHURN, "git diff --cached --name-only")

    dvc(host, "alice", CHURN, "dvc push -r s3 && dvc push -r files")
    assert host.file(f"/srv/dvc/remote/churn/files/md5/{md5[:2]}/{md5[2:]}").exists
    listing = host.check_output("curl -sf 'http://127.0.0.1:17090/dvc-store?list-type=2&prefix=churn/'")
    assert f"churn/files/md5/{md5[:2]}/{md5[2:]}" in listing

    for remote in ("s3", "files"):
        host.run_expect([0], f"rm -rf {CACHE}/files {CHURN}/{DATA}")
        assert not host.file(cache_path(md5)).exists
        dvc(host, "alice", CHURN, f"dvc pull -r {remote}")
        assert digest(host, "sha256sum", f"{CHURN}/{DATA}") == original, f"pulled from {remote}"


def test_gc_dry_run_lists_exactly_what_gc_then_removes(host, run_playbook):
    old = cache_path(digest(host, "md5sum", f"{CHURN}/{DATA}"))
    dvc(host, "alice", CHURN, f"head -c 1000000 /dev/urandom > {DATA} && dvc add {DATA}")
    current = cache_path(digest(host, "md5sum", f"{CHURN}/{DATA}"))
    dvc(host, "bob", FRAUD, "echo fraud-model-v1 > model.txt && dvc add model.txt")
    bobs = cache_path(digest(host, "md5sum", f"{FRAUD}/model.txt"))
    # Without bob's project, a gc from alice's would take bob's data: hence --projects.
    alone = host.check_output(f"cd {CHURN} && DVC_NO_ANALYTICS=1 dvc gc --workspace --dry")
    assert bobs in alone

    rc, results, output = run_playbook("gc.yml", {"dvc_gc_dry_run": True})
    assert rc == 0, output
    dry = task_result(results, GC_TASK)["results"][0]
    assert dry["changed"] and dry["removed"]["cache"] == [old], dry
    assert dry["command"] == ["gc", "--workspace", "--projects", FRAUD]
    assert host.file(old).exists

    rc, results, output = run_playbook("gc.yml", {})
    assert rc == 0, output
    done = task_result(results, GC_TASK)["results"][0]
    assert done["changed"] and done["removed"] == dry["removed"], done
    assert done["removed_count"] == {"cache": 1, "remote": 0}
    assert not host.file(old).exists
    assert host.file(current).exists and host.file(bobs).exists
    # Without cloud, the remote keeps the old version.
    listing = host.check_output("curl -sf 'http://127.0.0.1:17090/dvc-store?list-type=2&prefix=churn/'")
    assert f"<Key>churn/{old[len(CACHE) + 1:]}</Key>" in listing

    rc, results, output = run_playbook("gc.yml", {})
    assert rc == 0, output
    assert not task_result(results, GC_TASK)["results"][0]["changed"]


def test_gc_as_root_leaves_the_owners_in_charge(host):
    # gc ran as root over both projects: nothing in them may now belong to root.
    assert host.check_output("find /srv/dvc/projects -mindepth 1 -user root") == ""
    for user, project in (("alice", CHURN), ("bob", FRAUD)):
        status = dvc(host, user, project, "dvc status")
        assert "up to date" in status, status
