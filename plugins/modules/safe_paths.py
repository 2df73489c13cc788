#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: safe_paths
short_description: Check that no other user can replace a directory the stack will write to
version_added: 0.1.0
description:
  - Checks each path and every directory above it as they are on the host (not by their names),
    and returns one problem per broken rule, naming the variable the path came from.
  - "The rules: every existing directory of the path, and of the path it resolves to, belongs to
    root or to a trusted user (by default the user the module runs as); none is writable by every
    user unless it has the sticky bit (like C(/tmp)); under such a directory the next one must
    already exist and belong to a trusted user, otherwise another user could create it first; and
    the path, when it exists, is a directory."
  - Changes nothing; a checkout under C(/tmp) owned by the deploying user passes.
options:
  paths:
    description: "Variable name to absolute path, for example C({dvc_site_cache_dir: /srv/cache/dvc})."
    type: dict
    required: true
  trusted_users:
    description: Users besides root who may own the directories; the user the module runs as when empty.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: It only reads.
  diff_mode:
    support: none
  platform:
    platforms: posix
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Check the cache directory
  efficientai.mlops.safe_paths:
    paths: {dvc_site_cache_dir: "{{ dvc_site_cache_dir }}"}
  register: paths

- name: One message per problem
  ansible.builtin.assert:
    that: false
    fail_msg: "{{ item.message }}"
  loop: "{{ paths.problems }}"
"""

RETURN = r"""
problems:
  description: One entry per broken rule, C({variable, path, message}); empty when every path is safe.
  returned: always
  type: list
  elements: dict
"""

import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule


def _owner(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f'uid {uid}'


def _chain(path):
    """The path's directories from / down, as written (no symlink resolved)."""
    parts = [part for part in path.split('/') if part]
    return ['/'] + ['/' + '/'.join(parts[:index]) for index in range(1, len(parts) + 1)]


def path_problems(variable, path, trusted_uids):
    """The messages of the rules the path breaks (see DOCUMENTATION)."""
    if not os.path.isabs(path):
        return [f'{variable} must be an absolute path (got {path!r})']
    trusted = ' or '.join(['root'] + [_owner(uid) for uid in sorted(trusted_uids - {0})])
    problems = []
    for chain in dict.fromkeys((tuple(_chain(os.path.normpath(path))), tuple(_chain(os.path.realpath(path))))):
        for parent, child in zip(chain, chain[1:] + (None,)):
            try:
                info = os.lstat(parent)
            except FileNotFoundError:
                break
            if info.st_uid not in trusted_uids:
                problems.append(f'{variable} is {path!r}, but {parent} belongs to {_owner(info.st_uid)}, who could replace '
                                f'what is below it: choose a path whose directories belong to {trusted}')
            if not info.st_mode & stat.S_IWOTH or stat.S_ISLNK(info.st_mode) or child is None:
                continue
            if not info.st_mode & stat.S_ISVTX:
                problems.append(f'{variable} is {path!r}, but {parent} is writable by every user without the sticky '
                                f'bit: anyone could replace what is below it; choose another path, or chmod o-w {parent}')
            elif not os.path.lexists(child):
                problems.append(f'{variable} is {path!r}, but {child} does not exist in the world-writable {parent}: '
                                f'another user could create it first; create {child} (owned by {trusted}) beforehand, '
                                f'or choose a path outside {parent}')
    if os.path.exists(path) and not os.path.isdir(path):
        problems.append(f'{variable} is {path!r}, which is not a directory: choose a directory')
    return list(dict.fromkeys(problems))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='dict', required=True),
            trusted_users=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        trusted_uids = {0} | ({pwd.getpwnam(user).pw_uid for user in module.params['trusted_users']}
                              if module.params['trusted_users'] else {os.geteuid()})
    except KeyError as error:
        module.fail_json(msg=f'trusted_users: no such user {error}')
    problems = [{'variable': variable, 'path': str(path), 'message': message}
                for variable, path in sorted(module.params['paths'].items())
                for message in path_problems(variable, str(path), trusted_uids)]
    module.exit_json(changed=False, problems=problems)


if __name__ == '__main__':
    main()
