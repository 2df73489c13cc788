#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tls_files
short_description: A service's certificate, key and CA certificate on its host in one call
version_added: 0.3.0
description:
  - Makes the TLS directory (owned by root and O(group), mode 0750) and writes into it the certificate
    (C(<basename>.crt), 0644), the private key (O(key_name), owned by O(key_owner), mode O(key_mode)) and, when
    given, the CA certificate for local clients (C(ca.crt), 0644). A file is written only when its content differs
    (atomically, its owner and mode set before it appears); wrong owners or modes are fixed.
  - The _common role's C(tls) entry point calls it with what it read on the controller.
options:
  dir:
    description: The TLS directory.
    type: path
    required: true
  group:
    description: Group of the directory and the certificate (the service's).
    type: str
    default: root
  basename:
    description: File name of the certificate without C(.crt).
    type: str
    default: efficientai
  certificate:
    description: The certificate (PEM).
    type: str
    required: true
  key:
    description: The private key (PEM); never shown in results or diffs.
    type: str
    required: true
  key_name:
    description: File name of the key; C(<basename>.key) when empty.
    type: str
    default: ''
  key_owner:
    description: Owner of the key.
    type: str
    default: root
  key_group:
    description: Group of the key; O(group) when empty.
    type: str
    default: ''
  key_mode:
    description: Mode of the key, octal.
    type: str
    default: '0600'
  ca_certificate:
    description: The CA certificate (PEM) for local clients; empty - none is written.
    type: str
    default: ''
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The certificates' contents; the key is shown as changed, never its content.
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Install PostgreSQL's certificate
  efficientai.mlops.tls_files:
    dir: /etc/efficientai/tls/postgres
    group: postgres
    certificate: "{{ lookup('ansible.builtin.file', pki ~ '.crt', rstrip=false) }}"
    key: "{{ lookup('ansible.builtin.file', pki ~ '.key', rstrip=false) }}"
    key_owner: postgres
  no_log: true
"""

RETURN = r"""
certificate_changed:
  description: The certificate was (or would be) written.
  returned: always
  type: bool
key_changed:
  description: The key was (or would be) written.
  returned: always
  type: bool
ca_changed:
  description: The CA certificate was (or would be) written.
  returned: always
  type: bool
attributes_fixed:
  description: Paths whose owner or mode was (or would be) fixed, their content unchanged.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._files import needs_attributes, owner_ids, read_text, write_file

KEY_CENSORED = '<the private key (censored)>\n'


def main():
    module = AnsibleModule(
        argument_spec={
            'dir': {'type': 'path', 'required': True},
            'group': {'type': 'str', 'default': 'root'},
            'basename': {'type': 'str', 'default': 'efficientai'},
            'certificate': {'type': 'str', 'required': True},
            'key': {'type': 'str', 'required': True, 'no_log': True},
            'key_name': {'type': 'str', 'default': ''},
            'key_owner': {'type': 'str', 'no_log': False, 'default': 'root'},
            'key_group': {'type': 'str', 'no_log': False, 'default': ''},
            'key_mode': {'type': 'str', 'no_log': False, 'default': '0600'},
            'ca_certificate': {'type': 'str', 'default': ''},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        key_mode = int(params['key_mode'], 8)
    except ValueError:
        module.fail_json(msg=f"tls_files: key_mode must be an octal mode such as 0600 (got {params['key_mode']!r})")
    key_name = params['key_name'] or f"{params['basename']}.key"
    if '/' in key_name or '/' in params['basename']:
        module.fail_json(msg=f"tls_files: basename and key_name are file names (got {params['basename']!r}, {key_name!r})")
    directory = params['dir']
    _root, group_id = owner_ids(module, 'root', params['group'], f"tls_files {directory}")
    key_uid, key_gid = owner_ids(module, params['key_owner'], params['key_group'] or params['group'], f"tls_files {directory}")
    files = [
        ('certificate', os.path.join(directory, f"{params['basename']}.crt"), params['certificate'], 0o644, 0, group_id),
        ('key', os.path.join(directory, key_name), params['key'], key_mode, key_uid, key_gid),
    ]
    if params['ca_certificate']:
        files.append(('ca', os.path.join(directory, 'ca.crt'), params['ca_certificate'], 0o644, 0, 0))

    make_dir = not os.path.isdir(directory)
    fix_dir = not make_dir and needs_attributes(directory, 0o750, 0, group_id)
    writes, fixes = [], [directory] if fix_dir else []
    diff = {'before': {}, 'after': {}}
    for kind, path, content, mode, uid, gid in files:
        old = read_text(path)
        if old != content:
            writes.append(kind)
            diff['before'][kind] = KEY_CENSORED if kind == 'key' and old is not None else (old or '')
            diff['after'][kind] = KEY_CENSORED if kind == 'key' else content
        elif needs_attributes(path, mode, uid, gid):
            fixes.append(path)
    result = {'changed': bool(make_dir or writes or fixes), 'certificate_changed': 'certificate' in writes,
              'key_changed': 'key' in writes, 'ca_changed': 'ca' in writes, 'attributes_fixed': fixes, 'diff': diff}
    if module.check_mode:
        module.exit_json(**result)

    if make_dir:
        os.makedirs(directory, mode=0o750, exist_ok=True)
    if make_dir or fix_dir:
        os.chown(directory, 0, group_id)
        os.chmod(directory, 0o750)
    for kind, path, content, mode, uid, gid in files:
        if kind in writes:
            write_file(path, content, mode, uid, gid)
        elif path in fixes:
            os.chown(path, uid, gid)
            os.chmod(path, mode)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
