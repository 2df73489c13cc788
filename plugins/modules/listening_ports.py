#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: listening_ports
short_description: List the sockets a host listens on, with their process, user and systemd unit
version_added: 0.1.0
description:
  - Runs C(ss -Hlntupe) and returns every listening TCP socket and bound UDP socket with the user that
    opened it and its systemd unit (both from the socket, so they are known even where the process is
    not visible), and the process that holds it where ss shows it.
  - The preflight playbook uses it to tell a free port from one our services hold and one something else
    took; the security audit to compare what listens with what is declared.
  - Run it as root to see the process names of other users' sockets.
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: It only reads.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Read the listening sockets
  efficientai.mlops.listening_ports:
  register: ports
"""

RETURN = r"""
sockets:
  description: One entry per socket.
  returned: always
  type: list
  elements: dict
  contains:
    proto:
      description: V(tcp) or V(udp).
      type: str
    address:
      description: Local address (V(0.0.0.0), V(*) or V(::) for every address).
      type: str
    port:
      description: Local port.
      type: int
    process:
      description: Name of the process that holds it (empty when unknown).
      type: str
    pid:
      description: Its PID (0 when unknown).
      type: int
    uid:
      description: The user ID that opened the socket.
      type: int
    user:
      description: Its name (the number when the host has no such user).
      type: str
    unit:
      description: Its systemd unit (empty outside systemd).
      type: str
  sample:
    - {proto: tcp, address: 127.0.0.1, port: 5000, process: mlflow, pid: 812, uid: 998, user: mlflow, unit: mlflow.service}
"""

import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._ports import parse_ss


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    ss = module.get_bin_path('ss', required=True)
    rc, out, err = module.run_command([ss, '-Hlntupe'])
    if rc != 0:
        module.fail_json(msg=f'ss -Hlntupe failed (rc {rc}): {err.strip()}')
    try:
        sockets = parse_ss(out)
    except ValueError as error:
        module.fail_json(msg=str(error))
    for socket in sockets:
        socket['user'] = user_name(socket['uid'])
    module.exit_json(changed=False, sockets=sockets)


if __name__ == '__main__':
    main()
