"""playbooks/patch.yml to another MLflow release (mlflow_release_to_patch_to: 3.17.1 from the shipped
one; the schema is brought to it, so the run migrates), with patch_debian_updates=true, while a
client without retries logs runs through the front. After the pre-patch backup, every replica of
both tracking hosts stops before the first host migrates, so no run is written while the schema
changes: the client's requests in that window fail instead (counted), and every run it was told
was logged is in the tracking store afterwards. Each tracking host in turn takes the Debian updates
its APT sources offer: the test bed has no security archive, so the update comes from a local APT
repository that the test adds to both hosts, a package installed at 1.0 whose 1.1 only that
repository has. The hosts stay on that release: test_patch.py, which runs next (LAST_TESTS),
patches them back to the shipped one."""

import json
import time

import pytest

from conftest import mlflow_release_to_patch_to, recaps, run_playbook

testinfra_hosts = ["ansible://production-tracking-1"]
MARKER = "/var/lib/efficientai/mlflow/schema-version"
PACKAGE = "mlops-patch-probe"
REPOSITORY = "/var/lib/mlops-patch-probe"
SOURCE = "/etc/apt/sources.list.d/mlops-patch-probe.list"

# Builds the package at 1.0 and 1.1 with dpkg-deb, installs 1.0 and publishes 1.1 in a flat
# repository (Packages and an unsigned Release, trusted through the source's option).
PUBLISH_AN_UPDATE = f"""set -eu
build=$(mktemp -d /var/tmp/probe.XXXXXX)
for version in 1.0 1.1; do
  mkdir -p "$build/$version/DEBIAN"
  printf 'Package: {PACKAGE}\\nVersion: %s\\nArchitecture: all\\nMaintainer: tests <tests@example.invalid>\\nDescription: an update for patch.yml to take\\n' \
    "$version" > "$build/$version/DEBIAN/control"
  dpkg-deb --root-owner-group --build "$build/$version" "$build/{PACKAGE}_$version.deb" >/dev/null
done
dpkg -i "$build/{PACKAGE}_1.0.deb" >/dev/null
rm -rf {REPOSITORY} && mkdir -p {REPOSITORY} && cd {REPOSITORY}
mv "$build/{PACKAGE}_1.1.deb" . && rm -rf "$build"
{{ dpkg-deb -f {PACKAGE}_1.1.deb
   echo "Filename: ./{PACKAGE}_1.1.deb"
   echo "Size: $(stat -c %s {PACKAGE}_1.1.deb)"
   echo "SHA256: $(sha256sum {PACKAGE}_1.1.deb | cut -d' ' -f1)"; }} > Packages
printf 'Origin: tests\\nLabel: tests\\nSuite: tests\\nDate: %s\\nSHA256:\\n %s %s Packages\\n' \
  "$(date -Ru)" "$(sha256sum Packages | cut -d' ' -f1)" "$(stat -c %s Packages)" > Release
echo 'deb [trusted=yes] file:{REPOSITORY} ./' > {SOURCE}
# The test bed bind-mounts the machine's CA bundle read-only over the container's, which an
# update of ca-certificates cannot replace ("Device or resource busy"): not on a real host.
apt-mark hold ca-certificates >/dev/null
"""


def version(host):
    return host.check_output(f"dpkg-query -W -f='${{Version}}' {PACKAGE}")


@pytest.fixture
def tracking_hosts(host):
    """Both tracking hosts, each with the package at 1.0 and an update to 1.1 published;
    the repository and the package go afterwards."""
    hosts = [host, host.get_host("ansible://production-tracking-2", ansible_inventory=host.backend.ansible_inventory)]
    for each in hosts:
        each.check_output(PUBLISH_AN_UPDATE)
        assert version(each) == "1.0"
    yield hosts
    for each in hosts:
        each.run(f"rm -rf {SOURCE} {REPOSITORY} && dpkg --purge {PACKAGE} && apt-mark unhold ca-certificates"
                 " && apt-get update -qq")


def events(node, since):
    """[(epoch seconds, 'Stopped' or 'Started')] of the unit mlflow since then (systemd's journal)."""
    lines = node.check_output(f"journalctl -u mlflow --since @{int(since)} -o short-unix --no-pager")
    return [(float(line.split()[0]), line.split("systemd[1]: ", 1)[1].split()[0]) for line in lines.splitlines()
            if "systemd[1]: Stopped " in line or "systemd[1]: Started " in line]


def patch(release, **extra):
    result = run_playbook("patch.yml", "-e", json.dumps({"mlflow_version": release, "patch_components": ["mlflow"], **extra}))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return result.stdout + result.stderr


def test_no_run_is_written_while_the_schema_migrates_and_debian_updates_are_taken(tracking_hosts, run_logger, front, templated):
    host, other = tracking_hosts
    db = host.get_host("ansible://production-db", ansible_inventory=host.backend.ansible_inventory)
    sets_before = set(db.check_output("ls /var/backups/efficientai").split())
    release = mlflow_release_to_patch_to(host.file(MARKER).content_string.strip(), templated)
    time.sleep(3)  # runs before the patch
    started = time.time()
    output = patch(release, patch_debian_updates=True)
    time.sleep(3)  # runs after it
    run_logger.stop()
    assert "Stop every replica of every tracking host before the schema migrates" in output
    # The database both hosts share is migrated once, by the first of them.
    assert output.count("efficientai.mlops.mlflow : Migrate the tracking database]") == 1, output[-5000:]
    assert all(recaps(output)[name]["failed"] == 0 for name in ("production-tracking-1", "production-tracking-2"))
    for node in (host, other):
        assert node.file(MARKER).content_string.strip() == release
        assert version(node) == "1.1"
        assert node.service("mlflow").is_running
    # The pre-patch backup set came first.
    assert set(db.check_output("ls /var/backups/efficientai").split()) - sets_before

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
