"""playbooks/patch.yml with patch_debian_updates=true: after the pre-patch backup, each
tracking host in turn takes the Debian updates its APT sources offer, passes the health gate,
and the rollout completes. The test bed has no security archive, so the update comes from a
local APT repository that the test adds to both hosts: a package installed at 1.0 whose 1.1
only that repository has."""

import pytest

from conftest import recaps, run_playbook

testinfra_hosts = ["ansible://production-tracking-1"]
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


def test_the_patch_takes_the_debian_updates_host_by_host(tracking_hosts):
    db = tracking_hosts[0].get_host("ansible://production-db",
                                    ansible_inventory=tracking_hosts[0].backend.ansible_inventory)
    sets_before = set(db.check_output("ls /var/backups/efficientai").split())

    result = run_playbook("patch.yml", "-e", '{"patch_debian_updates": true, "patch_components": ["mlflow"]}')
    assert result.returncode == 0, result.output[-5000:]
    recap = recaps(result.stdout)
    assert all(recap[name]["failed"] == 0 for name in ("production-tracking-1", "production-tracking-2")), recap

    assert [version(each) for each in tracking_hosts] == ["1.1", "1.1"]
    for each in tracking_hosts:
        assert each.service("mlflow").is_running
    # The pre-patch backup set came first.
    assert set(db.check_output("ls /var/backups/efficientai").split()) - sets_before
