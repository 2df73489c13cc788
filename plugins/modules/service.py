#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service
short_description: One service of the collection in one call - definition, environment file, state, readiness
version_added: 0.2.0
description:
  - Under systemd, writes the unit file and the environment file (mode 0600, owned by the service user), reloads
    systemd when the unit changed, enables or disables it, starts, stops or restarts it (a restart when its unit or
    environment changed, or when O(restart) is set) and waits until it is ready (its port, then an HTTP path).
  - Under supervisor, writes the environment file, the launcher that reads it (O(launcher)) and the program
    definition (O(program)), loads a changed definition (C(supervisorctl update), which restarts the program),
    restarts it when its environment or launcher changed, and applies the state. supervisord must run already.
  - A service that does not become ready fails the task with the last lines of its journal or log file.
  - The _common role's C(service) entry point calls it under systemd and supervisor; launchd stays on that entry
    point's tasks.
options:
  name:
    description: The unit's name, without C(.service).
    type: str
    required: true
  state:
    description: C(absent) stops and disables the service and removes its unit and environment file.
    type: str
    choices: [started, stopped, absent]
    default: started
  enabled:
    description: Start it at boot (only with O(state=started); otherwise it is disabled).
    type: bool
    default: true
  restart:
    description: Restart it even when neither its unit nor its environment changed (its configuration did).
    type: bool
    default: false
  manager:
    description: The service manager.
    type: str
    choices: [systemd, supervisor]
    default: systemd
  unit:
    description: The unit file's content (systemd). Required unless O(state=absent).
    type: str
  program:
    description: The supervisor program definition (supervisor). Required unless O(state=absent).
    type: str
  program_file:
    description: Where the program definition is written (supervisor; an C([include]) directory of supervisord's).
    type: path
  launcher:
    description: The launcher script's content (supervisor), which reads the environment file and runs the command.
    type: str
  launcher_file:
    description: Path of the launcher (supervisor), mode 0750, owned by the service user.
    type: path
  run_dir:
    description: The launcher's own directory (supervisor), mode 0700, owned by the service user.
    type: path
  supervisorctl:
    description: supervisorctl of the supervisord that runs the program.
    type: path
  supervisor_conf:
    description: That supervisord's configuration file.
    type: path
  log_file:
    description: The program's log file, whose tail a failure shows (supervisor).
    type: path
  environment:
    description: Variables of the environment file.
    type: dict
    default: {}
  secret_environment:
    description: More variables of the environment file; their values are censored in diffs and results.
    type: dict
    default: {}
  env_file:
    description: Path of the environment file.
    type: path
    required: true
  owner:
    description: Owner of the environment file (the service user).
    type: str
    default: root
  group:
    description: Group of the environment file.
    type: str
    default: root
  directories:
    description: Directories made first (mode 0755) when they do not exist.
    type: list
    elements: path
    default: []
  ready:
    description: How to tell that the service is ready (only with O(state=started), not in check mode).
    type: dict
    suboptions:
      host:
        description: Address the service listens on.
        type: str
        default: 127.0.0.1
      port:
        description: Its port; V(0) does not wait.
        type: int
        default: 0
      path:
        description: An HTTP path that must answer 200 once the port is open (empty - the port only).
        type: str
        default: ''
      https:
        description: Ask over HTTPS, the certificate verified against O(ready.ca_path) (or the system's CAs).
        type: bool
        default: false
      ca_path:
        description: CA bundle for O(ready.https).
        type: path
      timeout:
        description: Seconds to wait in all.
        type: int
        default: 90
  unit_dir:
    description: Where unit files are written.
    type: path
    default: /etc/systemd/system
  record:
    description:
      - What C(efficientai.mlops.service_control) needs to start, stop and report the service (its component,
        tier, manager and readiness), written as JSON to O(record_file). Removed with the service.
    type: dict
  record_file:
    description:
      - Where O(record) is written (mode 0600, as every file of the configuration directory); required with O(record).
        Without O(record), a file there is removed (a service meant to be stopped has no record).
    type: path
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: It reports what it would write and which state it would change; it does not wait for readiness.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The unit or program, the launcher and the environment file, with the values of O(secret_environment) censored.
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Run MLflow
  efficientai.mlops.service:
    name: mlflow
    unit: "{{ lookup('ansible.builtin.template', 'systemd.service.j2') }}"
    env_file: /etc/efficientai/mlflow.env
    environment: {MLFLOW_AUTH_CONFIG_PATH: /etc/efficientai/mlflow-auth.ini}
    secret_environment: {MLFLOW_FLASK_SERVER_SECRET_KEY: "{{ vault_flask_secret }}"}
    owner: mlflow
    group: mlflow
    ready: {host: 127.0.0.1, port: 5000, path: /health}
"""

RETURN = r"""
unit_changed:
  description: The unit file (systemd) or the program definition or launcher (supervisor) was (or would be) written.
  returned: always
  type: bool
env_changed:
  description: The environment file was (or would be) written, or its owner or mode fixed.
  returned: always
  type: bool
restarted:
  description: The service was (or would be) restarted.
  returned: always
  type: bool
active:
  description: Whether it runs after the call (what it would be in check mode).
  returned: always
  type: bool
"""

import json
import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._files import needs_attributes, owner_ids, read_text, write_file
from ansible_collections.efficientai.mlops.plugins.module_utils._env_file import censor_env_text, render_env
from ansible_collections.efficientai.mlops.plugins.module_utils._service import systemd_journal, wait_ready


# Restarts while a service is awaited that show it crash-looping (RestartSec=2 in the units).
CRASH_RESTARTS = 3


class Systemd:
    """A unit: its file is the definition, systemctl applies it."""

    def __init__(self, module):
        params = module.params
        self.module = module
        self.unit = f"{params['name']}.service"
        self.systemctl = module.get_bin_path("systemctl", required=True)
        self.unit_path = os.path.join(params["unit_dir"], self.unit)

    def definition_files(self, _uid, _gid):
        """(kind, path, content, mode, owner's uid, gid) of the files that define the service, the environment file aside."""
        return [("unit", self.unit_path, self.module.params["unit"], 0o644, 0, 0)]

    def removable(self):
        return [self.unit_path]

    def run(self, *args, check=True):
        rc, out, err = self.module.run_command([self.systemctl, *args])
        if check and rc != 0:
            self.module.fail_json(msg=f"systemctl {' '.join(args)} failed (exit {rc}): {err.strip() or out.strip()}",
                                  journal=self.journal())
        return rc, out.strip()

    def state(self):
        """(active, enabled)."""
        active = self.run("is-active", "--quiet", self.unit, check=False)[0] == 0
        return active, self.run("is-enabled", self.unit, check=False)[1] in ("enabled", "enabled-runtime")

    def apply(self, changed_files, restart, want_active, want_enabled, was_active, was_enabled):
        if changed_files:
            self.run("daemon-reload")
        if want_enabled != was_enabled:
            self.run("enable" if want_enabled else "disable", self.unit)
        if restart:
            self.run("restart", self.unit)
        elif want_active != was_active:
            self.run("start" if want_active else "stop", self.unit)

    def crash_loop(self):
        """For wait_ready: why the unit will not come up (it failed, or systemd keeps restarting it), else None."""
        first = {}

        def crashed():
            _rc, out = self.run("show", "-p", "ActiveState", "-p", "NRestarts", self.unit, check=False)
            values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
            restarts = int(values.get("NRestarts") or 0)
            first.setdefault("restarts", restarts)
            if values.get("ActiveState") == "failed":
                return "the unit failed"
            if restarts - first["restarts"] >= CRASH_RESTARTS:
                return f"it exited and was restarted {restarts - first['restarts']} times while it was awaited"
            return None
        return crashed

    def remove(self):
        if os.path.exists(self.unit_path):
            self.run("disable", "--now", self.unit, check=False)
            # A unit whose process exits non-zero when stopped stays loaded as failed, and listed, until reset.
            self.run("reset-failed", self.unit, check=False)

    def after_removal(self):
        self.run("daemon-reload")

    def journal(self, lines=40):
        return systemd_journal(self.module, self.unit, lines)


class Supervisor:
    """A supervisor program: its definition file and a launcher (supervisor reads no environment file)."""

    def __init__(self, module):
        params = module.params
        self.module, self.name = module, params["name"]
        self.ctl = [params["supervisorctl"], "-c", params["supervisor_conf"]]

    def definition_files(self, uid, gid):
        params = self.module.params
        return [("launcher", params["launcher_file"], params["launcher"], 0o750, uid, gid),
                ("program", params["program_file"], params["program"], 0o600, os.getuid(), os.getgid())]

    def removable(self):
        params = self.module.params
        return [params["program_file"], params["launcher_file"]]

    def run(self, *args, check=True):
        rc, out, err = self.module.run_command([*self.ctl, *args])
        # supervisorctl reports some failures with exit 0 ("ERROR (spawn error)").
        if check and (rc != 0 or "ERROR" in out):
            self.module.fail_json(msg=f"supervisorctl {' '.join(args)} failed (exit {rc}): {err.strip() or out.strip()}",
                                  journal=self.journal())
        return rc, out.strip()

    def status(self):
        """The program's state (RUNNING, STOPPED, FATAL...), None when supervisord has not loaded it
        (or, in check mode on a new host, is not installed yet)."""
        if not os.path.exists(self.ctl[0]):
            return None
        _rc, out = self.run("status", self.name, check=False)
        words = out.split()
        if "no such process" in out or len(words) < 2 or words[0] != self.name:
            return None
        return words[1]

    def state(self):
        # Enabling is the program's autostart, a line of its definition: it is always as wanted
        # once the definition is written.
        params = self.module.params
        return self.status() in ("RUNNING", "STARTING"), params["state"] == "started" and params["enabled"]

    def apply(self, changed_files, restart, want_active, _want_enabled, was_active, _was_enabled):
        if "program" in changed_files or self.status() is None:
            # Adds a new program, or restarts a changed one with its current launcher and environment
            # (it starts when autostart is on): no further restart.
            self.run("update", self.name)
            was_active, restart = self.status() in ("RUNNING", "STARTING"), False
        if restart:
            self.run("restart", self.name)
        elif want_active != was_active:
            self.run("start" if want_active else "stop", self.name)

    def crash_loop(self):
        """For wait_ready: supervisor gave up (FATAL) or the program exited right after its start (BACKOFF)."""
        def crashed():
            state = self.status()
            return f"supervisor reports it {state}" if state in ("FATAL", "BACKOFF") else None
        return crashed

    def remove(self):
        if self.status() is not None:
            self.run("stop", self.name, check=False)
            self.run("remove", self.name, check=False)

    def after_removal(self):
        run_dir = self.module.params["run_dir"]
        if run_dir and os.path.isdir(run_dir):
            shutil.rmtree(run_dir)

    def journal(self, lines=40):
        log_file = self.module.params["log_file"]
        try:
            with open(log_file, encoding="utf-8", errors="replace") as stream:
                return "".join(stream.readlines()[-lines:])
        except (OSError, TypeError):
            return ""


def remove(module, manager, env_path):
    record = module.params["record_file"]
    present = [path for path in (*manager.removable(), env_path, record) if path and os.path.exists(path)]
    changed = bool(present) or manager.state()[0]
    if changed and not module.check_mode:
        manager.remove()
        for path in present:
            os.unlink(path)
        manager.after_removal()
    module.exit_json(changed=changed, unit_changed=bool(set(present) & set(manager.removable())),
                     env_changed=env_path in present, restarted=False, active=False)


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["started", "stopped", "absent"], "default": "started"},
            "enabled": {"type": "bool", "default": True},
            "restart": {"type": "bool", "default": False},
            "manager": {"type": "str", "choices": ["systemd", "supervisor"], "default": "systemd"},
            "unit": {"type": "str"},
            "program": {"type": "str"},
            "program_file": {"type": "path"},
            "launcher": {"type": "str"},
            "launcher_file": {"type": "path"},
            "run_dir": {"type": "path"},
            "supervisorctl": {"type": "path"},
            "supervisor_conf": {"type": "path"},
            "log_file": {"type": "path"},
            "environment": {"type": "dict", "default": {}},
            "secret_environment": {"type": "dict", "default": {}, "no_log": True},
            "env_file": {"type": "path", "required": True},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "directories": {"type": "list", "elements": "path", "default": []},
            "ready": {"type": "dict", "options": {
                "host": {"type": "str", "default": "127.0.0.1"},
                "port": {"type": "int", "default": 0},
                "path": {"type": "str", "default": ""},
                "https": {"type": "bool", "default": False},
                "ca_path": {"type": "path"},
                "timeout": {"type": "int", "default": 90},
            }},
            "unit_dir": {"type": "path", "default": "/etc/systemd/system"},
            "record": {"type": "dict"},
            "record_file": {"type": "path"},
        },
        required_by={"record": "record_file"},
        required_if=[
            ("manager", "supervisor", ["supervisorctl", "supervisor_conf", "program_file", "launcher_file", "run_dir"]),
        ],
        supports_check_mode=True,
    )
    params = module.params
    supervised = params["manager"] == "supervisor"
    manager = Supervisor(module) if supervised else Systemd(module)
    env_path = params["env_file"]
    if params["state"] == "absent":
        remove(module, manager, env_path)
    needed = ["program", "launcher"] if supervised else ["unit"]
    missing = [option for option in needed if params[option] is None]
    if missing:
        module.fail_json(msg=f"service {params['name']}: state {params['state']} under {params['manager']} needs {', '.join(missing)}")

    secrets = params["secret_environment"]
    try:
        env_content = render_env({**params["environment"], **secrets})
    except ValueError as error:
        module.fail_json(msg=f"service {params['name']}: {error}")
    uid, gid = owner_ids(module, params["owner"], params["group"], f"service {params['name']}")
    directories = [(path, 0o755, os.getuid(), os.getgid()) for path in params["directories"]]
    if supervised:
        run_dir = params["run_dir"]
        directories += [(os.path.dirname(run_dir), 0o755, os.getuid(), os.getgid()), (run_dir, 0o700, uid, gid)]
    missing_dirs = [entry for entry in directories if not os.path.isdir(entry[0])]
    definition = [(kind, path, content, mode, owner, group, read_text(path))
                  for kind, path, content, mode, owner, group in manager.definition_files(uid, gid)]
    record_file = params["record_file"]
    if params["record"] is not None:
        record = json.dumps(params["record"], indent=2, sort_keys=True) + "\n"
        definition.append(("record", record_file, record, 0o600, os.getuid(), os.getgid(), read_text(record_file)))
    # Without a record (a service that is meant to be stopped, such as an idle slot), none is left behind.
    stale_record = params["record"] is None and bool(record_file) and os.path.exists(record_file)
    definition_changed = [kind for kind, _path, content, _mode, _owner, _group, old in definition if old != content]
    old_env = read_text(env_path)
    env_changed = old_env != env_content
    env_attributes = not env_changed and uid is not None and needs_attributes(env_path, 0o600, uid, gid)

    want_active = params["state"] == "started"
    want_enabled = want_active and params["enabled"]
    was_active, was_enabled = manager.state()
    # The record describes the service to service_control; the service does not read it.
    restart = want_active and was_active and bool(set(definition_changed) - {"record"} or env_changed or params["restart"])
    changed = bool(missing_dirs or definition_changed or stale_record or env_changed or env_attributes or restart
                   or want_active != was_active or want_enabled != was_enabled)

    diff = {"before": {}, "after": {}}
    for kind, _path, content, _mode, _owner, _group, old in definition:
        if kind in definition_changed:
            diff["before"][kind], diff["after"][kind] = old or "", content
    if env_changed:
        diff["before"]["env_file"] = censor_env_text(old_env or "", secrets)
        diff["after"]["env_file"] = render_env({**params["environment"], **secrets}, censor=secrets)
    result = {"changed": changed, "unit_changed": bool(set(definition_changed) - {"record"}), "env_changed": env_changed or env_attributes,
              "restarted": restart, "active": want_active, "diff": diff}
    if module.check_mode:
        module.exit_json(**result)

    for path, mode, owner, group in missing_dirs:
        os.makedirs(path, mode=mode, exist_ok=True)
        os.chown(path, owner, group)
        os.chmod(path, mode)
    if env_changed or env_attributes:
        write_file(env_path, env_content, 0o600, uid, gid)
    for kind, path, content, mode, owner, group, _old in definition:
        if kind in definition_changed:
            write_file(path, content, mode, owner, group)
    if stale_record:
        os.unlink(record_file)
    manager.apply([kind for kind in definition_changed if kind != "record"], restart, want_active, want_enabled,
                  was_active, was_enabled)

    # Also when nothing changed: a service that runs but does not answer fails the deploy.
    ready = params["ready"]
    if want_active and ready and ready["port"] > 0:
        problem = wait_ready(ready, manager.crash_loop())
        if problem:
            module.fail_json(msg=f"{params['name']} did not become ready within {ready['timeout']} s ({params['manager']}): "
                                 f"{problem}\nLast log lines:\n{manager.journal()}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
