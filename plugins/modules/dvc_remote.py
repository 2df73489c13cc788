#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dvc_remote
short_description: Add, modify or remove a remote of a DVC project
version_added: 0.1.0
description:
  - Manages one named data remote in the configuration of a DVC project, like
    C(dvc remote add), C(dvc remote modify) and C(dvc remote remove), idempotently.
  - The URL and the default flag go to the project configuration C(.dvc/config), which is
    committed and shared by the team (or to C(.dvc/config.local) with O(level=local)).
    The S3 endpoint, profile, region and credentials always go to C(.dvc/config.local),
    which DVC never commits; that file is kept readable by its owner only (C(0600)).
  - Options that are not given are left as they are; an empty string removes an option.
  - Values are written with DVC's own configuration code, which validates them for the
    remote's type, and secrets are passed to it on standard input, never on a command line.
extends_documentation_fragment:
  - efficientai.mlops.dvc
attributes:
  check_mode:
    description: Predicts the changes without writing; on a host where the project is not initialised yet, everything is predicted as added.
    support: full
  diff_mode:
    description: Shows the remote's settings per file; credentials as C(<hidden>) (C(<hidden, changed>) when they change).
    support: full
options:
  name:
    description:
      - Name of the remote (lowercase letters, digits, C(.), C(_), C(-)).
    type: str
    required: true
  state:
    description:
      - V(present) adds or updates the remote; V(absent) removes it from both configuration
        files and unsets it as the default remote.
    type: str
    choices: [present, absent]
    default: present
  url:
    description:
      - URL of the remote, for example V(s3://bucket/path), V(file:///srv/dvc-remote) or an
        absolute path. Required to add a remote.
      - A V(file://) URL is stored as its plain path - DVC 3 would read C(file:///srv/x) as a
        relative directory named C(file:) inside the project and push the data there.
    type: str
  default:
    description:
      - V(true) makes this the default remote (C(core.remote)), also removing a different
        default that C(.dvc/config.local) would set over it; V(false) unsets it if it is this
        remote. Left as it is when not given.
    type: bool
  level:
    description:
      - Configuration file that receives O(url) and the default flag - V(project)
        (C(.dvc/config)) or V(local) (C(.dvc/config.local), for a URL that only holds on this host).
    type: str
    choices: [project, local]
    default: project
  endpoint_url:
    description:
      - S3 endpoint (DVC option C(endpointurl)), for an S3-compatible service. Stored in C(.dvc/config.local).
    type: str
  profile:
    description:
      - AWS profile of the remote's credentials (DVC option C(profile)). Stored in C(.dvc/config.local).
    type: str
  region:
    description:
      - S3 region (DVC option C(region)). Stored in C(.dvc/config.local).
    type: str
  access_key_id:
    description:
      - S3 access key ID (DVC option C(access_key_id)). Stored in C(.dvc/config.local), never shown.
    type: str
  secret_access_key:
    description:
      - S3 secret access key (DVC option C(secret_access_key)). Stored in C(.dvc/config.local), never shown.
    type: str
seealso:
  - name: dvc remote modify
    description: The options of each remote type.
    link: https://dvc.org/doc/command-reference/remote/modify
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: The team's S3 remote, credentials kept out of git
  efficientai.mlops.dvc_remote:
    path: /srv/projects/churn
    executable: /opt/efficientai/dvc/venv/bin/dvc
    name: storage
    url: s3://ml-data/churn
    default: true
    endpoint_url: https://s3.internal.example.com
    access_key_id: "{{ vault_dvc_access_key_id }}"
    secret_access_key: "{{ vault_dvc_secret_access_key }}"
  become: true
  become_user: ana

- name: A local backup remote that only exists on this host
  efficientai.mlops.dvc_remote:
    path: /srv/projects/churn
    name: backup
    url: /mnt/backup/dvc
    level: local

- name: Stop using the old remote
  efficientai.mlops.dvc_remote:
    path: /srv/projects/churn
    name: legacy
    state: absent
"""

RETURN = r"""
name:
  description: Name of the remote.
  returned: always
  type: str
  sample: storage
changes:
  description: What was (or, in check mode, would be) changed, without values.
  returned: always
  type: list
  elements: str
  sample: ["set url of remote 'storage' in .dvc/config", "made 'storage' the default remote in .dvc/config"]
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._dvc import (
    DVC_ARGUMENT_SPEC, FILES, LEVELS, PRIVATE_LOCAL_FILE, SECRET_KEYS, DvcClient, DvcError, apply_edits,
    describe_edits)

# Module option -> DVC option, all kept in .dvc/config.local.
LOCAL_OPTIONS = {
    'endpoint_url': 'endpointurl',
    'profile': 'profile',
    'region': 'region',
    'access_key_id': 'access_key_id',
    'secret_access_key': 'secret_access_key',
}
_NAME = re.compile(r'^[a-z0-9][a-z0-9._-]*$')
_URL = re.compile(r'^[a-z][a-z0-9+.-]*://')
_URL_PASSWORD = re.compile(r'(://[^/:@]*):[^/@]*@')


def _section(config, level, name):
    return config.get(level, {}).get('remote', {}).get(name)


def _default(config, level):
    return config.get(level, {}).get('core', {}).get('remote')


def normalise_url(url):
    """The URL as DVC must store it: file:// URLs as plain absolute paths."""
    if url is None:
        return None
    if url.startswith('file://'):
        path = url[len('file://'):]
        if not path.startswith('/'):
            raise ValueError(f"url '{url}' must be file:///absolute/path (a file URL has no host here)")
        return path
    if not (_URL.match(url) or os.path.isabs(url)):
        raise ValueError(f"url '{url}' must be a URL such as s3://bucket/path or an absolute path: "
                         'DVC would read a relative path from the .dvc directory')
    return url


def plan(current, name, state, level='project', url=None, default=None, local_options=None):
    """The edits (see apply_edits) that bring `current` ({'repo': {...}, 'local': {...}}, as
    DVC reads its files) to the wanted remote, in the order they must be applied."""
    if state == 'absent':
        edits = []
        for where in ('local', 'repo'):  # local first: its section needs the project's url
            operations = []
            if _section(current, where, name) is not None:
                operations.append((['remote', name], None))
            if _default(current, where) == name:
                operations.append((['core', 'remote'], None))
            if operations:
                edits.append((where, operations))
        return edits

    target = LEVELS[level]
    if url is None and not any((_section(current, where, name) or {}).get('url') for where in ('repo', 'local')):
        raise ValueError(f"remote '{name}' does not exist yet: url is required to add it")
    shared = []
    if url is not None and (_section(current, target, name) or {}).get('url') != url:
        shared.append((['remote', name, 'url'], url))
    if default is True and _default(current, target) != name:
        shared.append((['core', 'remote'], name))
    if default is False and _default(current, target) == name:
        shared.append((['core', 'remote'], None))

    private = []
    have = _section(current, 'local', name) or {}
    for option, key in LOCAL_OPTIONS.items():
        value = (local_options or {}).get(option)
        if value == '' and key in have:
            private.append((['remote', name, key], None))
        elif value and have.get(key) != value:
            private.append((['remote', name, key], value))
    if default is True and target == 'repo' and _default(current, 'local') not in (None, name):
        private.append((['core', 'remote'], None))

    if target == 'local':
        return [('local', shared + private)] if shared + private else []
    return [(where, operations) for where, operations in (('repo', shared), ('local', private)) if operations]


def view(config, name, before=None):
    """The remote as shown in a diff: per file, its section and whether it is the default,
    with credentials hidden (marked when they differ from `before`)."""
    shown = {}
    for level, where in FILES.items():
        entry = {}
        section = _section(config, level, name)
        if section is not None:
            old = (_section(before, level, name) or {}) if before is not None else section
            entry['remote'] = {
                key: ('<hidden>' if old.get(key) == value else '<hidden, changed>') if key in SECRET_KEYS
                else _URL_PASSWORD.sub(r'\1:<hidden>@', value) if key == 'url' else value
                for key, value in sorted(section.items())}
        if _default(config, level) == name:
            entry['default'] = True
        shown[where] = entry
    return shown


class DvcRemote:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = DvcClient(module)

    def validate(self):
        params = self.params
        if not _NAME.match(params['name']):
            self.module.fail_json(msg=f"name '{params['name']}' is not a valid remote name: "
                                      "use lowercase letters, digits, '.', '_' and '-'")
        try:
            params['url'] = normalise_url(params['url'])
        except ValueError as error:
            self.module.fail_json(msg=str(error))

    def run(self):
        self.validate()
        params = self.params
        current = self.client.current_config()
        try:
            edits = plan(current, params['name'], params['state'], params['level'], params['url'],
                         params['default'], {option: params[option] for option in LOCAL_OPTIONS})
        except ValueError as error:
            self.module.fail_json(msg=str(error))
        changes = describe_edits(edits)
        if self.client.local_file_is_open():
            changes.append(PRIVATE_LOCAL_FILE)
        if changes and not self.module.check_mode:
            self.client.write(edits)
        after = apply_edits(current, edits)
        self.module.exit_json(changed=bool(changes), name=params['name'], changes=changes,
                              diff={'before': view(current, params['name']),
                                    'after': view(after, params['name'], before=current)})


def main():
    module = AnsibleModule(
        argument_spec=dict(
            DVC_ARGUMENT_SPEC,
            name=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            url=dict(type='str'),
            default=dict(type='bool'),
            level=dict(type='str', choices=list(LEVELS), default='project'),
            endpoint_url=dict(type='str'),
            profile=dict(type='str'),
            region=dict(type='str'),
            access_key_id=dict(type='str', no_log=True),
            secret_access_key=dict(type='str', no_log=True),
        ),
        supports_check_mode=True,
    )
    try:
        DvcRemote(module).run()
    except DvcError as error:
        module.fail_json(msg=str(error))


if __name__ == '__main__':
    main()
