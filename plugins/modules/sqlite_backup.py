#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sqlite_backup
short_description: Consistent copy of a live SQLite database with SQLite's online backup API
version_added: 0.1.0
description:
  - Copies the SQLite database O(src) to O(dest) with SQLite's online backup API, in one step under
    one read transaction, so the copy is consistent even while a server (MLflow) writes to the
    database. A plain file copy of a database being written can be torn.
  - The copy is a self-contained file (rollback journal, also when the source uses WAL), is checked
    with C(PRAGMA integrity_check) and written to a temporary name first; O(dest) only ever holds a
    complete, checked copy.
  - Returns the row counts of O(tables) in the copy.
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reports whether a copy would be made; reads nothing from the database.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  src:
    description: The live database.
    type: path
    required: true
  dest:
    description: The copy. Its directory must exist.
    type: path
    required: true
  force:
    description:
      - Copy again when O(dest) exists. With V(false) an existing O(dest) is left alone (C(changed=false)).
    type: bool
    default: false
  tables:
    description: Tables whose rows are counted in the copy (those that do not exist are left out).
    type: list
    elements: str
    default: []
notes:
  - The copy is created with mode C(0600) unless O(mode) says otherwise.
  - Writers wait while the copy is made (up to their busy timeout, 5 seconds for Python's sqlite3
    and SQLAlchemy); a copy of a few hundred MB takes about a second.
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Copy the MLflow tracking database while the server runs
  efficientai.mlops.sqlite_backup:
    src: /var/lib/efficientai/mlflow/mlflow.db
    dest: /var/backups/efficientai/safety/mlflow.db
    tables: [experiments, runs, metrics]
  register: copy

- name: Show the runs in the copy
  ansible.builtin.debug:
    msg: "{{ copy.counts.runs }} runs"
"""

RETURN = r"""
dest:
  description: The copy.
  returned: always
  type: str
size:
  description: Size of the copy in bytes (not returned in check mode or when nothing was copied).
  returned: changed and not check mode
  type: int
sha256:
  description: SHA-256 of the copy.
  returned: changed and not check mode
  type: str
counts:
  description: Row count of each table of O(tables) that exists in the copy.
  returned: changed and not check mode
  type: dict
  sample: {"experiments": 3, "runs": 42, "metrics": 100000}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._backup import (
    BackupError, describe, sqlite_copy, sqlite_counts)


class SqliteBackup:
    def __init__(self, module):
        self.module = module
        self.params = module.params

    def run(self):
        src, dest = self.params['src'], self.params['dest']
        if not os.path.isfile(src):
            self.module.fail_json(msg=f'src {src} is not a file (no SQLite database there)')
        if not os.path.isdir(os.path.dirname(dest) or '.'):
            self.module.fail_json(msg=f'the directory of dest {dest} does not exist')
        if os.path.exists(dest) and not self.params['force']:
            self.finish(changed=False)
        if self.module.check_mode:
            self.module.exit_json(changed=True, dest=dest)
        partial = f'{dest}.partial'
        try:
            sqlite_copy(src, partial)
            counts = sqlite_counts(partial, self.params['tables'])
        except BackupError as error:
            self.remove(partial)
            self.module.fail_json(msg=str(error))
        except Exception as error:  # sqlite3 and OS errors: never leave a partial copy behind
            self.remove(partial)
            self.module.fail_json(msg=f'copy of {src} failed: {error}')
        os.chmod(partial, 0o600)
        os.replace(partial, dest)
        self.finish(changed=True, counts=counts, **describe(dest))

    @staticmethod
    def remove(path):
        if os.path.exists(path):
            os.unlink(path)

    def finish(self, changed, **result):
        file_args = self.module.load_file_common_arguments(self.params, path=self.params['dest'])
        changed = self.module.set_fs_attributes_if_different(file_args, changed)
        self.module.exit_json(changed=changed, dest=self.params['dest'], **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path', required=True),
            dest=dict(type='path', required=True),
            force=dict(type='bool', default=False),
            tables=dict(type='list', elements='str', default=[]),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if module.params['mode'] is None:
        module.params['mode'] = '0600'
    SqliteBackup(module).run()


if __name__ == '__main__':
    main()
