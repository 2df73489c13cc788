"""playbooks/maintenance.yml on a team host with DVC workspaces, rotated logs and backup sets:
check mode and a dry run remove nothing and predict the real run, which collects the unused
DVC data, removes the old rotated logs, prunes the backup sets beyond the retention and prints
the disk report. (mlflow_prod's test repeats a run to see it change nothing.)"""

import json

from conftest import CACHE, CHURN, as_user, cache_path, task_result

testinfra_hosts = ["ansible://dvc-host"]
PLAYBOOK = "../../playbooks/maintenance.yml"
LOGS = "/var/log/efficientai"
BACKUPS = "/var/backups/efficientai"
SETS = ["20261101T020000Z", "20261102T020000Z", "20261103T020000Z"]
RUNNER = "/usr/bin/python3 /opt/efficientai/backup/efficientai_backup.py run --config /etc/efficientai/backup.json"
KEEP = {"backup_keep": {"daily": 7, "weekly": 4, "monthly": 12, "manual": 1}}
# The security audit (read-only, issue #10) has its own scenario; here it would only add time.
ONLY = ["--limit", "dvc-host", "--skip-tags", "security_audit"]
GC, OLD_LOGS, RETENTION, REPORT = ("Collect the garbage of the DVC caches", "Find the rotated logs",
                                   "Apply the retention", "Print the disk report")


def md5_path(host, path):
    return cache_path(host.check_output(f"md5sum {path}").split()[0])


def present(host, paths):
    return {path: host.file(path).exists for path in paths}


def test_maintenance_prunes_only_what_is_old_and_predicts_it(host, run_playbook):
    data = f"{CHURN}/data/features.bin"
    # The version in the workspace now (test_data's, or one made here) is the one gc will remove.
    for version in ("unused", "used"):
        if version == "used" or not host.file(data).exists:
            added = as_user(host, "alice", CHURN, f"mkdir -p data && head -c 200000 /dev/urandom > {data} "
                                                  "&& dvc add data/features.bin")
            assert added.rc == 0, added.stderr
        if version == "unused":
            unused = md5_path(host, data)
    used = md5_path(host, data)
    host.run_test(f"mkdir -p {LOGS} && touch {LOGS}/old.log.1 {LOGS}/recent.log.1 {LOGS}/live.log "
                  f"&& touch -d '40 days ago' {LOGS}/old.log.1 {LOGS}/live.log")
    rc, _results, output = run_playbook("../../playbooks/backup.yml", {"backup_hosts": "dvc", "backup_run_id": SETS[0]})
    assert rc == 0, output
    for backup_id in SETS[1:]:
        host.run_test(f"{RUNNER} --kind manual --id {backup_id}")
    paths = [unused, used, f"{LOGS}/old.log.1", f"{LOGS}/recent.log.1", f"{LOGS}/live.log"] + [f"{BACKUPS}/{s}" for s in SETS]
    everything = dict.fromkeys(paths, True)

    for options in (["--check"], ["-e", "maintenance_dry_run=true"]):
        rc, results, output = run_playbook(PLAYBOOK, KEEP, *ONLY, *options)
        assert rc == 0, output
        assert present(host, paths) == everything, options
        assert predicted(results) == {"dvc": [unused], "logs": [f"{LOGS}/old.log.1"], "backups": SETS[:2]}, options

    rc, results, output = run_playbook(PLAYBOOK, KEEP, *ONLY)
    assert rc == 0, output
    assert task_result(results, GC)["results"][0]["removed"]["cache"] == [unused]
    assert present(host, paths) == dict(everything, **{unused: False, f"{LOGS}/old.log.1": False,
                                                       f"{BACKUPS}/{SETS[0]}": False, f"{BACKUPS}/{SETS[1]}": False})
    report = task_result(results, REPORT)["msg"]
    assert any(line.split()[1] == "/" for line in report if not line.startswith("dir")), report
    assert any(line.split()[:2] == ["dir", CACHE] for line in report), report
    assert any(line.split()[:2] == ["dir", BACKUPS] for line in report), report


def predicted(results):
    """What a check or dry run says each destructive step would remove."""
    retention = task_result(results, RETENTION)
    return {"dvc": task_result(results, GC)["results"][0]["removed"]["cache"],
            "logs": [found["path"] for found in task_result(results, OLD_LOGS)["files"]],
            "backups": json.loads(retention["stdout"])["pruned"]}
