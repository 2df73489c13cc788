"""playbooks/backup.yml takes sets on group backup, where deploy.yml deploys the backups: an
inventory without that group is refused with what to do, rather than matching no host and
reporting success."""

import os

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "playbooks", "backup.yml")


def test_an_inventory_without_group_backup_is_refused(ansible_playbook):
    result = ansible_playbook(PLAYBOOK)
    assert result.rc != 0, result.output
    refused = result.result("Refuse an inventory without group backup")
    assert "No host is in group backup" in refused["msg"] and "backup_hosts" in refused["msg"], refused


def test_named_hosts_need_no_group_backup(ansible_playbook):
    """backup_hosts names them (as dr_drill.yml and patch.yml do): the check leaves it to them."""
    result = ansible_playbook(PLAYBOOK, {"backup_hosts": "nowhere"})
    assert result.rc == 0, result.output
    assert result.result("Refuse an inventory without group backup")["skipped"] is True
