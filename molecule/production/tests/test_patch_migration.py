"""playbooks/patch.yml to another MLflow release (3.17.1: the schema is brought to it, so the run
migrates) while a client without retries logs runs through the front. Every replica of both
tracking hosts stops before the first host migrates, so no run is written while the schema
changes: the client's requests in that window fail instead (counted), and every run it was told
was logged is in the tracking store afterwards. The stack then goes back to the shipped release."""

import json
import time

from conftest import run_playbook

testinfra_hosts = ["ansible://production-tracking-1"]
RELEASE = "3.17.1"
MARKER = "/var/lib/efficientai/mlflow/schema-version"


def events(node, since):
    """[(epoch seconds, 'Stopped' or 'Started')] of the unit mlflow since then (systemd's journal)."""
    lines = node.check_output(f"journalctl -u mlflow --since @{int(since)} -o short-unix --no-pager")
    return [(float(line.split()[0]), line.split("systemd[1]: ", 1)[1].split()[0]) for line in lines.splitlines()
            if "systemd[1]: Stopped " in line or "systemd[1]: Started " in line]


def patch(release):
    result = run_playbook("patch.yml", "-e", json.dumps({"mlflow_version": release, "patch_components": ["mlflow"]}))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return result.stdout + result.stderr


def test_no_run_is_written_while_the_schema_migrates(host, run_logger, front):
    other = host.get_host("ansible://production-tracking-2", ansible_inventory=host.backend.ansible_inventory)
    shipped = host.file(MARKER).content_string.strip()  # the release the schema was brought to
    assert shipped and shipped != RELEASE, shipped
    time.sleep(3)  # runs before the patch
    started = time.time()
    try:
        output = patch(RELEASE)
        time.sleep(3)  # runs after it
        run_logger.stop()
        assert "Stop every replica of every tracking host before the schema migrates" in output
        for node in (host, other):
            assert node.file(MARKER).content_string.strip() == RELEASE

        # The window: from the last replica stopped to the first one started again.
        timelines = [events(node, started) for node in (host, other)]
        stopped = max(next(when for when, event in timeline if event == "Stopped") for timeline in timelines)
        resumed = min(next(when for when, event in timeline if event == "Started" and when > stopped) for timeline in timelines)
        assert resumed > stopped, timelines
        inside = [span for span in run_logger.spans if span[0] >= stopped and span[1] <= resumed]
        assert inside == [], inside
        assert run_logger.failures, "no request was refused: the client did not write during the migration"
        assert len(run_logger.logged) >= 10, "the client logged too few runs to tell"
        assert set(run_logger.logged) <= set(front.runs(run_logger.experiment_id))
    finally:
        patch(shipped)
    assert host.file(MARKER).content_string.strip() == shipped
