# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listening sockets as `ss -Hlntupe` prints them, with the process, user and systemd unit behind each.
The user and unit come from the socket itself (uid, cgroup), which needs no access to other
processes' file descriptors; the process name only where ss can see it."""

from __future__ import annotations

import re

_PROCESS = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=\d+\)')
_UID = re.compile(r'\buid:(\d+)')
_CGROUP = re.compile(r'\bcgroup:(\S+)')


def parse_ss(text):
    """[{proto, address, port, process, pid, uid, unit}] from the output of `ss -Hlntupe` (TCP listeners
    and bound UDP sockets; a socket shared by several processes is reported with the first one; ss
    leaves out uid 0)."""
    sockets = []
    for line in text.splitlines():
        fields = line.split(None, 6)
        if len(fields) < 6:
            continue
        proto, local = fields[0], fields[4]
        address, _sep, port = local.rpartition(':')
        if not port.isdigit():
            raise ValueError(f'unexpected local address {local!r} in ss output: {line!r}')
        rest = fields[6] if len(fields) > 6 else ''
        processes = _PROCESS.findall(rest)
        uid, cgroup = _UID.search(rest), _CGROUP.search(rest)
        sockets.append({
            'proto': proto,
            'address': address.split('%')[0].strip('[]'),
            'port': int(port),
            'process': processes[0][0] if processes else '',
            'pid': int(processes[0][1]) if processes else 0,
            'uid': int(uid.group(1)) if uid else 0,
            'unit': unit_of(cgroup.group(1)) if cgroup else '',
        })
    return sockets


def unit_of(cgroup):
    """The systemd unit (a .service or .scope) of a cgroup path, or ''."""
    for part in reversed(cgroup.split('/')):
        if part.endswith(('.service', '.scope')):
            return part
    return ''
