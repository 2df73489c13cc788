# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files that modules write whole (units, environment files, keys): read, compared, written
atomically with their owner and mode set before they appear."""

from __future__ import annotations

import grp
import os
import pwd
import tempfile


def read_text(path):
    """The file's content, None when it does not exist."""
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except FileNotFoundError:
        return None


def stage_file(path, content, mode, uid=0, gid=0):
    """A temporary file next to `path` holding `content`, its mode and owner set: rename it into place."""
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(content)
        os.chmod(temporary, mode)
        os.chown(temporary, uid, gid)
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def write_file(path, content, mode, uid=0, gid=0):
    """Atomically: a temporary file in the same directory, its mode and owner set before it is renamed."""
    os.rename(stage_file(path, content, mode, uid, gid), path)


def needs_attributes(path, mode, uid, gid):
    """Whether the file's mode, owner or group differ (always when the owner is not known yet)."""
    if uid is None:
        return True
    status = os.stat(path)
    return status.st_mode & 0o7777 != mode or status.st_uid != uid or status.st_gid != gid


def owner_ids(module, owner, group, what):
    """The numbers of owner and group. In check mode on a new host, where the role has not made
    them yet, None; otherwise a missing one fails the module."""
    try:
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError as error:
        if module.check_mode:
            return None, None
        module.fail_json(msg=f"{what}: no such user or group on this host: {error}")
