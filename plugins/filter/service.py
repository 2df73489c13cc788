# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render one declarative service definition for each service manager."""

from __future__ import annotations

import plistlib
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.efficientai.mlops.plugins.module_utils._env_file import env_value, render_env


def _text(value, what):
    try:
        return env_value(value, what)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from None


def _bool(value, what):
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise AnsibleFilterError(f"{what} must be a boolean, got {value!r}") from None


def env_file(variables):
    """Return the content of an environment file for systemd and sh."""
    try:
        return render_env(variables)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from None


def systemd_command(argv):
    """Quote an argv list for ExecStart=: every word double-quoted, specifiers and
    variable expansion disabled, so arguments reach the program exactly as given."""
    if not isinstance(argv, list) or not argv:
        raise AnsibleFilterError("systemd_command expects a non-empty list of arguments")
    words = []
    for index, arg in enumerate(argv):
        word = _text(arg, f"systemd_command: argument {index}")
        word = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
        words.append(f'"{word}"')
    return " ".join(words)


def launchd_plist(service):
    """Return a launchd property list (XML) for a service definition.

    The service dict holds label, program_arguments, working_dir, log_file, keep_alive
    ('always', 'on-failure' or 'no'), run_at_load (start when loaded, at boot or login;
    true by default) and optionally user and group (LaunchDaemons only)."""
    if not isinstance(service, dict):
        raise AnsibleFilterError(f"launchd_plist expects a dict, got {type(service).__name__}")
    for key in ("label", "program_arguments", "working_dir", "log_file"):
        if not service.get(key):
            raise AnsibleFilterError(f"launchd_plist: '{key}' is required")
    keep_alive = service.get("keep_alive", "on-failure")
    keep_alive_values = {"always": True, "on-failure": {"SuccessfulExit": False}, "no": False}
    if keep_alive not in keep_alive_values:
        raise AnsibleFilterError(f"launchd_plist: keep_alive must be one of {sorted(keep_alive_values)}, got {keep_alive!r}")
    plist = {
        "Label": _text(service["label"], "launchd_plist: label"),
        "ProgramArguments": [_text(arg, "launchd_plist: program argument") for arg in service["program_arguments"]],
        "WorkingDirectory": _text(service["working_dir"], "launchd_plist: working_dir"),
        "StandardOutPath": _text(service["log_file"], "launchd_plist: log_file"),
        "StandardErrorPath": _text(service["log_file"], "launchd_plist: log_file"),
        "RunAtLoad": _bool(service.get("run_at_load", True), "launchd_plist: run_at_load"),
        "KeepAlive": keep_alive_values[keep_alive],
        # launchd restarts a crashing job at most every ThrottleInterval seconds.
        "ThrottleInterval": int(service.get("throttle_interval", 5)),
        "ProcessType": "Interactive" if service.get("interactive") else "Standard",
    }
    if service.get("user"):
        plist["UserName"] = _text(service["user"], "launchd_plist: user")
    if service.get("group"):
        plist["GroupName"] = _text(service["group"], "launchd_plist: group")
    return plistlib.dumps(plist, sort_keys=True).decode("utf-8")


SERVICE_TIERS = ("front", "monitoring", "app", "store")
_LISTEN = re.compile(r"^\[?([^\[\]]*?)\]?:([0-9]{1,5})$")


def service_record(name, component, tier="app", listen="", path="", https=False, ca_path="", manager="systemd",
                   supervisor=None):
    """What the service_control module needs to start, stop and report one service (its record in
    <config root>/services/): listen is the host:port it serves on ('' when it has no port), a
    wildcard address probed on loopback; supervisor gives supervisorctl and supervisor_conf."""
    if tier not in SERVICE_TIERS:
        raise AnsibleFilterError(f"service_record of {name}: tier must be one of {', '.join(SERVICE_TIERS)}, got {tier!r}")
    if manager not in ("systemd", "supervisor", "launchd"):
        raise AnsibleFilterError(f"service_record of {name}: manager must be systemd, supervisor or launchd, got {manager!r}")
    ready = {"host": "127.0.0.1", "port": 0, "path": path or "", "https": _bool(https, "https"), "ca_path": ca_path or None}
    if listen:
        match = _LISTEN.match(str(listen))
        if not match or not 0 < int(match.group(2)) < 65536:
            raise AnsibleFilterError(f"service_record of {name}: listen must be host:port, got {listen!r}")
        host = match.group(1)
        ready.update(host="127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host, port=int(match.group(2)))
    record = {"name": name, "component": component, "tier": tier, "manager": manager, "ready": ready}
    if manager == "supervisor":
        if not isinstance(supervisor, dict) or not {"supervisorctl", "supervisor_conf"} <= set(supervisor):
            raise AnsibleFilterError(f"service_record of {name}: under supervisor, give supervisor with supervisorctl and supervisor_conf")
        record.update(supervisorctl=supervisor["supervisorctl"], supervisor_conf=supervisor["supervisor_conf"])
    return record


class FilterModule:
    """Service rendering filters."""

    def filters(self):
        return {
            "service_record": service_record,
            "env_file": env_file,
            "systemd_command": systemd_command,
            "launchd_plist": launchd_plist,
        }
