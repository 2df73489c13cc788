#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_verify
short_description: Check a backup set against its manifest, and test-restore its databases
version_added: 0.1.0
description:
  - Checks a backup set of the efficientai.mlops.backup role (O(root)/<id>) against its
    C(manifest.json) - every listed file present with its size and SHA-256, no unlisted file - and
    fails, naming each difference, when the set does not match. Nothing is changed by a check.
  - With O(test_restore), each database of the set is also restored into scratch space and its row
    counts compared with the manifest - a SQLite copy into a temporary file (plus C(PRAGMA
    integrity_check)), a PostgreSQL dump into a scratch database that is dropped afterwards.
  - With O(record), the result is written to the set's C(verification.json), which retention and the
    choice of the newest verified set read.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Checks the set; O(record) writes nothing in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  root:
    description: The backup area (the role's C(backup_root)).
    type: path
    default: /var/backups/efficientai
  backup_id:
    description: The set to check, like C(20261127T020000Z). Empty for the newest set recorded as verified.
    type: str
    default: ''
  before:
    description:
      - With an empty O(backup_id), choose the newest verified set taken before this time (a set id,
        like C(20261127T140500Z)), as point-in-time recovery needs.
    type: str
    default: ''
  test_restore:
    description: Also restore the databases into scratch space and compare their row counts.
    type: bool
    default: false
  record:
    description: Record the result in the set's C(verification.json).
    type: bool
    default: false
  postgres_user:
    description: Operating-system user that runs the PostgreSQL client tools for O(test_restore).
    type: str
    default: postgres
  postgres_socket_dir:
    description: Directory of the PostgreSQL server's socket.
    type: path
    default: /var/run/postgresql
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Refuse to restore a damaged set
  efficientai.mlops.backup_verify:
    backup_id: "{{ backup_id | default('') }}"
  register: chosen

- name: Weekly deep check of the newest set
  efficientai.mlops.backup_verify:
    test_restore: true
    record: true
"""

RETURN = r"""
backup_id:
  description: The set that was checked.
  returned: always
  type: str
  sample: 20261127T020000Z
path:
  description: Its directory.
  returned: always
  type: str
manifest:
  description: The set's manifest (kind, host, start and end times, tools, sources with row counts, files).
  returned: success
  type: dict
problems:
  description: Every difference found (empty when the set is intact).
  returned: always
  type: list
  elements: str
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._backup import (
    VERIFICATION, BackupError, choose_set, list_sets, load_manifest, read_json, restore_test_problems, set_problems,
    write_json)


class BackupVerify:
    def __init__(self, module):
        self.module = module
        self.params = module.params

    def run(self):
        try:
            chosen = choose_set(list_sets(self.params['root']), self.params['backup_id'], self.params['before'])
        except BackupError as error:
            self.module.fail_json(msg=f"{self.params['root']}: {error}", problems=[str(error)], backup_id='', path='')
        result = {'backup_id': chosen['id'], 'path': chosen['path']}
        try:
            manifest = load_manifest(chosen['path'])
        except BackupError as error:
            self.module.fail_json(msg=str(error), problems=[str(error)], **result)
        problems = set_problems(chosen['path'], manifest)
        if not problems and self.params['test_restore']:
            problems = restore_test_problems(self.module.run_command, chosen['path'], manifest,
                                             self.params['postgres_user'], self.params['postgres_socket_dir'])
        changed = self.record(chosen['path'], problems) if self.params['record'] else False
        if problems:
            self.module.fail_json(msg=f"backup set {chosen['id']} fails verification: " + '; '.join(problems),
                                  problems=problems, changed=changed, **result)
        self.module.exit_json(changed=changed, manifest=manifest, problems=[], **result)

    def record(self, set_dir, problems):
        path = os.path.join(set_dir, VERIFICATION)
        wanted = {'verified': not problems, 'problems': problems,
                  'test_restore': self.params['test_restore'], 'by': 'backup_verify'}
        try:
            current = read_json(path)
        except (OSError, ValueError):
            current = {}
        if {key: current.get(key) for key in wanted} == wanted:
            return False
        if not self.module.check_mode:
            write_json(path, dict(wanted, at=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())))
        return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type='path', default='/var/backups/efficientai'),
            backup_id=dict(type='str', default=''),
            before=dict(type='str', default=''),
            test_restore=dict(type='bool', default=False),
            record=dict(type='bool', default=False),
            postgres_user=dict(type='str', default='postgres'),
            postgres_socket_dir=dict(type='path', default='/var/run/postgresql'),
        ),
        supports_check_mode=True,
    )
    BackupVerify(module).run()


if __name__ == '__main__':
    main()
