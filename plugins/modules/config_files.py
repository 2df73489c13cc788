#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_files
short_description: A role's configuration files on a host in one call
version_added: 0.4.0
description:
  - Writes each file of O(files) whose content differs, atomically (a temporary file in the same directory, its
    owner and mode set before it is renamed into place), fixes the owner and mode of the others, and removes the
    files whose O(files[].state) is C(absent).
  - A file with a O(files[].validate) command is checked before anything is written; when one check fails, no file
    of the call is written or removed (its directories may have been made).
  - One module run whatever the number of files, where C(template) or C(copy) take two per file even when nothing
    changes. The roles render the contents on the controller (C(lookup('ansible.builtin.template', ...))).
options:
  directories:
    description:
      - Directories made (with their missing parents, each given the same owner and mode) or fixed before the files
        are written.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Owner; empty - the user the module runs as.
        type: str
        default: ''
      group:
        description: Group; empty - the primary group of the user the module runs as.
        type: str
        default: ''
      mode:
        description: Mode, octal.
        type: str
        default: '0755'
  files:
    description: The files.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path; its directory must exist or be in O(directories) (in check mode, a missing one
          predicts a write).
        type: path
        required: true
      content:
        description: The whole content. Required unless O(files[].state=absent).
        type: str
      owner:
        description: Owner of the file; empty - the user the module runs as.
        type: str
        default: ''
      group:
        description: Group of the file; empty - the primary group of the user the module runs as.
        type: str
        default: ''
      mode:
        description: Mode, octal.
        type: str
        default: '0644'
      validate:
        description:
          - A command that checks the new content before it is written, C(%s) standing for a temporary file that
            holds it; run without a shell. Run only when the content changes.
        type: str
        default: ''
      secret:
        description: The content is never shown in diffs.
        type: bool
        default: false
      state:
        description: C(absent) removes the file.
        type: str
        choices: [present, absent]
        default: present
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Validation commands do not run, as with C(template).
  diff_mode:
    support: full
    details: One diff per changed file; a secret file's content is shown as censored.
  platform:
    platforms: posix
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Write the units and the timers
  efficientai.mlops.config_files:
    files:
      - path: /etc/systemd/system/efficientai-backup@.service
        content: "{{ lookup('ansible.builtin.template', 'efficientai-backup@.service.j2') }}"
      - path: /etc/systemd/system/efficientai-backup-daily.timer
        content: "{{ lookup('ansible.builtin.template', 'efficientai-backup.timer.j2') }}"
        validate: systemd-analyze verify %s
      - path: /etc/systemd/system/efficientai-backup-weekly.timer
        state: absent
  register: backup_units

- name: Reload systemd when a unit changed
  ansible.builtin.systemd_service:
    daemon_reload: true
  when: backup_units is changed
"""

RETURN = r"""
changed_paths:
  description: Paths (directories, then files) that were (or would be) made, written, fixed or removed.
  returned: always
  type: list
  elements: str
written:
  description: Paths whose content was (or would be) written.
  returned: always
  type: list
  elements: str
removed:
  description: Paths that were (or would be) removed.
  returned: always
  type: list
  elements: str
"""

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._files import (
    needs_attributes, owner_ids, read_text, stage_file)

CENSORED = '<secret content (censored)>\n'


def octal(module, spec, default):
    try:
        return int(spec['mode'] or default, 8)
    except ValueError:
        module.fail_json(msg=f"config_files: the mode of {spec['path']} must be octal such as {default} (got {spec['mode']!r})")


def absolute(module, path):
    if not os.path.isabs(path):
        module.fail_json(msg=f"config_files: path must be absolute (got {path!r})")
    return path


def ids_of(module, spec):
    """The owner's and group's numbers: None in check mode when the role has not made them yet."""
    return owner_ids(module, spec['owner'] or pwd.getpwuid(os.geteuid()).pw_name,
                     spec['group'] or grp.getgrgid(os.getegid()).gr_name, f"config_files {spec['path']}")


def plan_directory(module, spec):
    """('make' | 'fix' | None, owner ids, mode) of one directory."""
    path, mode = absolute(module, spec['path']), octal(module, spec, '0755')
    ids = ids_of(module, spec)
    if not os.path.isdir(path):
        if os.path.lexists(path):
            module.fail_json(msg=f"config_files: {path} exists and is not a directory")
        return 'make', ids, mode
    return ('fix' if needs_attributes(path, mode, *ids) else None), ids, mode


def plan(module, spec, made):
    """What one file needs: ('write' | 'fix' | 'remove' | None, its owner ids, its mode). `made`: the
    directories this call makes."""
    path = absolute(module, spec['path'])
    if spec['state'] == 'absent':
        return ('remove' if os.path.lexists(path) else None), (None, None), None
    if spec['content'] is None:
        module.fail_json(msg=f"config_files: {path} needs content (or state absent)")
    if spec['validate'] and '%s' not in spec['validate']:
        module.fail_json(msg=f"config_files: the validate command of {path} must contain %s (got {spec['validate']!r})")
    mode = octal(module, spec, '0644')
    if not os.path.isdir(os.path.dirname(path)):
        # In a dry run on a new host, the tasks before would have made it.
        if os.path.dirname(path) in made or module.check_mode:
            return 'write', ids_of(module, spec), mode
        module.fail_json(msg=f"config_files: the directory of {path} does not exist")
    ids = ids_of(module, spec)
    if read_text(path) != spec['content']:
        return 'write', ids, mode
    return ('fix' if needs_attributes(path, mode, *ids) else None), ids, mode


def make_directory(path, uid, gid, mode):
    """mkdir -p, each new directory given the owner and mode."""
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        os.mkdir(directory, mode)
        os.chown(directory, uid, gid)
        os.chmod(directory, mode)


def file_diff(spec, action):
    old = read_text(spec['path']) if action != 'fix' else None
    new = '' if action == 'remove' else spec['content']
    if spec['secret']:
        old, new = (CENSORED if old else ''), (CENSORED if new else '')
    return {'before_header': spec['path'], 'after_header': spec['path'], 'before': old or '', 'after': new}


def validated(module, staged):
    """Runs each staged file's check; the first failure removes every staged file and fails the module."""
    for spec, temporary in staged:
        if not spec['validate']:
            continue
        rc, out, err = module.run_command(spec['validate'] % temporary)
        if rc != 0:
            for _spec, other in staged:
                os.unlink(other)
            module.fail_json(msg=f"config_files: {spec['path']} failed its check ({spec['validate']}), nothing was "
                                 f"written: {(err or out).strip()}", rc=rc, stdout=out, stderr=err)


def main():
    module = AnsibleModule(
        argument_spec={
            'directories': {'type': 'list', 'elements': 'dict', 'default': [], 'options': {
                'path': {'type': 'path', 'required': True},
                'owner': {'type': 'str', 'default': ''},
                'group': {'type': 'str', 'default': ''},
                'mode': {'type': 'str', 'default': '0755'},
            }},
            'files': {'type': 'list', 'elements': 'dict', 'required': True, 'options': {
                'path': {'type': 'path', 'required': True},
                'content': {'type': 'str'},
                'owner': {'type': 'str', 'default': ''},
                'group': {'type': 'str', 'default': ''},
                'mode': {'type': 'str', 'default': '0644'},
                'validate': {'type': 'str', 'default': ''},
                'secret': {'type': 'bool', 'default': False},
                'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
            }},
        },
        supports_check_mode=True,
    )
    paths = [spec['path'] for spec in module.params['directories'] + module.params['files']]
    duplicates = sorted({path for path in paths if paths.count(path) > 1})
    if duplicates:
        module.fail_json(msg=f"config_files: each path once (twice: {', '.join(duplicates)})")
    # (spec, action, owner ids, mode) of each directory, then file, that needs something.
    directories = [(spec, *plan_directory(module, spec)) for spec in module.params['directories']]
    directories = [action for action in directories if action[1]]
    made = {spec['path'] for spec, action, ids, mode in directories if action == 'make'}
    files = [(spec, *plan(module, spec, made)) for spec in module.params['files']]
    files = [action for action in files if action[1]]
    result = {'changed': bool(directories or files),
              'changed_paths': [spec['path'] for spec, action, ids, mode in directories + files],
              'written': [spec['path'] for spec, action, ids, mode in files if action == 'write'],
              'removed': [spec['path'] for spec, action, ids, mode in files if action == 'remove'],
              'diff': [file_diff(spec, action) for spec, action, ids, mode in files if action != 'fix']}
    if module.check_mode:
        module.exit_json(**result)

    for spec, action, ids, mode in directories:
        if action == 'make':
            make_directory(spec['path'], *ids, mode)
        else:
            os.chown(spec['path'], *ids)
            os.chmod(spec['path'], mode)
    staged = [(spec, stage_file(spec['path'], spec['content'], mode, *ids))
              for spec, action, ids, mode in files if action == 'write']
    validated(module, staged)
    for spec, temporary in staged:
        os.rename(temporary, spec['path'])
    for spec, action, ids, mode in files:
        if action == 'fix':
            os.chown(spec['path'], *ids)
            os.chmod(spec['path'], mode)
        elif action == 'remove':
            os.unlink(spec['path'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
