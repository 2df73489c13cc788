#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: service_control
short_description: Start, stop, restart or report the collection's services on a host
version_added: 0.3.0
description:
  - Acts on the services the roles deployed on the host, as their records in O(records_dir) describe them (one JSON
    file per service, with C(name), C(component), C(tier), C(manager) and C(ready); the C(service) module and the roles
    write them). Under systemd through C(systemctl), under supervisor through the C(supervisorctl) the record names,
    under launchd through C(launchctl) (not exercised by the collection's tests, which have no macOS host).
  - V(start) and V(restart) wait until each service is ready (its port, then its HTTP path). V(stop) waits until
    each service's port is closed, so that no process of it keeps serving.
  - V(status) changes nothing and reports, per service, its state, main process, uptime, memory, whether its port
    listens and whether it answers; it fails when one of them is down unless O(fail_on_down=false).
options:
  action:
    description: What to do with the services.
    type: str
    required: true
    choices: [start, stop, restart, status]
  records_dir:
    description: The directory of the service records (C(<config root>/services)); a missing one holds no service.
    type: path
    required: true
  components:
    description: Only the services of these components (C(mlflow), C(airflow)...); all when empty.
    type: list
    elements: str
    default: []
  tiers:
    description:
      - Only the services of these tiers, of V(front), V(monitoring), V(app) and V(store); all when empty. A playbook
        that stops the stack stops the front first and the stores last, and starts in the reverse order.
    type: list
    elements: str
    default: []
  timeout:
    description:
      - Seconds each service has to become ready after a start, or to close its port after a stop.
      - Airflow's API server has taken over 90 s to answer on a loaded two-core host.
    type: int
    default: 180
  fail_on_down:
    description: With V(status), fail when a service is not running or does not answer.
    type: bool
    default: true
  log_lines:
    description:
      - With V(status), each row's C(log) holds the service's last this many lines of output, for a message that
        says why a service does not answer; V(0) reads none. Under systemd its journal, under supervisor what
        C(supervisorctl tail) keeps; under launchd none (the job's own log file holds it).
    type: int
    default: 0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: It reports which services it would start or stop.
  diff_mode:
    support: none
  platform:
    platforms: posix
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Stop the front of this host
  efficientai.mlops.service_control:
    action: stop
    records_dir: /etc/efficientai/services
    tiers: [front]

- name: Report MLflow's services
  efficientai.mlops.service_control:
    action: status
    records_dir: /etc/efficientai/services
    components: [mlflow]
"""

RETURN = r"""
services:
  description: One row per service acted on or reported, after the action.
  returned: always
  type: list
  elements: dict
  sample: [{name: mlflow, component: mlflow, tier: app, manager: systemd, state: active, pid: 4242, uptime: 3600,
            memory: 183500800, port: 5000, listening: true, health: OK, log: ''}]
acted:
  description: The services the action started, stopped or restarted (would have, in check mode).
  returned: always
  type: list
  elements: str
down:
  description: The services that do not run or do not answer (status).
  returned: always
  type: list
  elements: str
table:
  description: The rows as text, one line per service.
  returned: always
  type: list
  elements: str
"""

import json
import os
import re
import socket
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._service import systemd_journal, wait_ready

TIERS = ("front", "monitoring", "app", "store")
MANAGERS = ("systemd", "supervisor", "launchd")
_SUPERVISOR_LINE = re.compile(r"^(\S+)\s+([A-Z]+)(?:\s+pid (\d+),)?")


def read_records(records_dir, components, tiers):
    """The records of the selected services, by tier then name; an unreadable record fails loudly."""
    if not os.path.isdir(records_dir):
        return []
    records = []
    for entry in sorted(os.listdir(records_dir)):
        if not entry.endswith(".json"):
            continue
        path = os.path.join(records_dir, entry)
        with open(path, encoding="utf-8") as stream:
            record = json.load(stream)
        if not isinstance(record, dict) or record.get("manager") not in MANAGERS or record.get("tier") not in TIERS:
            raise ValueError(f"{path} is not a service record (manager one of {', '.join(MANAGERS)}, tier one of {', '.join(TIERS)})")
        record.setdefault("ready", {})
        if (not components or record.get("component") in components) and (not tiers or record["tier"] in tiers):
            records.append(record)
    return sorted(records, key=lambda record: (TIERS.index(record["tier"]), record["name"]))


def port_open(ready, timeout=1.0):
    if not ready.get("port"):
        return None
    try:
        with socket.create_connection((ready.get("host") or "127.0.0.1", ready["port"]), timeout=timeout):
            return True
    except OSError:
        return False


def process_figures(pid):
    """(uptime in seconds, resident memory in bytes of the process group it leads) from /proc, (None, None) elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stream:
            started = int(stream.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="utf-8") as stream:
            uptime = float(stream.read().split()[0]) - started / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None, None
    memory = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pid:  # its process group: the launcher's exec'd server and its workers
                memory += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return int(uptime), memory


class Systemd:
    def __init__(self, module):
        self.module = module
        self.systemctl = module.get_bin_path("systemctl", required=True)

    @staticmethod
    def unit(record):
        return record["name"] if record["name"].endswith((".service", ".timer")) else record["name"] + ".service"

    def act(self, action, records):
        units = [self.unit(record) for record in records]
        rc, out, err = self.module.run_command([self.systemctl, action, *units])
        if rc != 0:
            self.module.fail_json(msg=f"systemctl {action} {' '.join(units)} failed (exit {rc}): {err.strip() or out.strip()}")

    def states(self, records):
        """{name: (state, pid, uptime, memory)} from one `systemctl show` of every unit."""
        properties = "Id,ActiveState,MainPID,ActiveEnterTimestampMonotonic,MemoryCurrent"
        units = [self.unit(record) for record in records]
        rc, out, err = self.module.run_command([self.systemctl, "show", "-p", properties, *units])
        if rc != 0:
            self.module.fail_json(msg=f"systemctl show failed (exit {rc}): {err.strip()}")
        shown = {}
        for block in out.strip().split("\n\n"):
            values = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            shown[values.get("Id")] = values
        now = time.clock_gettime(time.CLOCK_MONOTONIC)
        states = {}
        for record, unit in zip(records, units):
            values = shown.get(unit, {})
            state = values.get("ActiveState", "unknown")
            pid = int(values.get("MainPID") or 0) or None
            entered = int(values.get("ActiveEnterTimestampMonotonic") or 0)
            memory = values.get("MemoryCurrent", "")
            states[record["name"]] = (state, pid, int(now - entered / 1e6) if state == "active" and entered else None,
                                      int(memory) if memory.isdigit() else None)
        return states

    def log(self, record, lines):
        return systemd_journal(self.module, self.unit(record), lines)


class Supervisor:
    def __init__(self, module):
        self.module = module

    @staticmethod
    def ctl(record):
        return [record["supervisorctl"], "-c", record["supervisor_conf"]]

    def groups(self, records):
        grouped = {}
        for record in records:
            grouped.setdefault(tuple(self.ctl(record)), []).append(record)
        return grouped.items()

    def act(self, action, records):
        for ctl, members in self.groups(records):
            names = [record["name"] for record in members]
            rc, out, err = self.module.run_command([*ctl, action, *names])
            # supervisorctl reports some failures with exit 0 ("ERROR (spawn error)").
            if rc not in (0, 3) or "ERROR" in out:
                self.module.fail_json(msg=f"supervisorctl {action} {' '.join(names)} failed (exit {rc}): {err.strip() or out.strip()}")

    def states(self, records):
        states = {}
        for ctl, members in self.groups(records):
            # Exit 3: some program does not run; the lines still say which.
            _rc, out, _err = self.module.run_command([*ctl, "status", *[record["name"] for record in members]])
            seen = {}
            for line in out.splitlines():
                match = _SUPERVISOR_LINE.match(line)
                if match:
                    seen[match.group(1)] = (match.group(2), int(match.group(3)) if match.group(3) else None)
            for record in members:
                word, pid = seen.get(record["name"], ("MISSING", None))
                state = {"RUNNING": "active", "STARTING": "activating", "STOPPING": "deactivating",
                         "STOPPED": "inactive", "EXITED": "inactive"}.get(word, "failed" if word != "MISSING" else "missing")
                uptime, memory = process_figures(pid) if pid else (None, None)
                states[record["name"]] = (state, pid, uptime, memory)
        return states

    def log(self, record, lines):
        # supervisorctl tails by bytes: enough for the lines; a first line cut at the limit is dropped.
        limit = lines * 400
        _rc, out, _err = self.module.run_command([*self.ctl(record), "tail", f"-{limit}", record["name"]])
        kept = out.splitlines()[1 if len(out.encode()) >= limit else 0:]
        return "\n".join(kept[-lines:])


class Launchd:
    """Jobs com.efficientai.<name>: LaunchDaemons as root, the user's LaunchAgents otherwise."""

    def __init__(self, module):
        self.module = module
        self.launchctl = module.get_bin_path("launchctl", required=True)
        self.domain = "system" if os.getuid() == 0 else f"gui/{os.getuid()}"

    def target(self, record):
        return f"{self.domain}/{record.get('label') or 'com.efficientai.' + record['name']}"

    def run(self, *args, check=True):
        rc, out, err = self.module.run_command([self.launchctl, *args])
        if check and rc != 0:
            self.module.fail_json(msg=f"launchctl {' '.join(args)} failed (exit {rc}): {err.strip() or out.strip()}")
        return rc, out

    def act(self, action, records):
        for record in records:
            if action == "stop":
                # bootout: unloaded, so that KeepAlive does not start it again.
                self.run("bootout", self.target(record))
            else:
                if self.run("print", self.target(record), check=False)[0] != 0:
                    self.run("bootstrap", self.domain, record["plist"])
                self.run("kickstart", *(["-k"] if action == "restart" else []), self.target(record))

    def states(self, records):
        states = {}
        for record in records:
            rc, out = self.run("print", self.target(record), check=False)
            state = re.search(r"^\s*state = (\S+)", out, re.M)
            pid = re.search(r"^\s*pid = (\d+)", out, re.M)
            running = rc == 0 and state is not None and state.group(1) == "running"
            states[record["name"]] = ("active" if running else "inactive" if rc == 0 else "missing",
                                      int(pid.group(1)) if pid and running else None, None, None)
        return states

    @staticmethod
    def log(_record, _lines):
        return ""


def health(record, state, listening):
    """OK, or why not: it must run, its port must listen and its HTTP path answer."""
    if state != "active":
        return f"DOWN: {state}"
    if listening is False:
        return f"DOWN: port {record['ready']['port']} closed"
    ready = record["ready"]
    if ready.get("port") and ready.get("path"):
        problem = wait_ready(dict(ready, timeout=5))
        if problem:
            return f"DOWN: {problem}"
    return "OK"


def table(rows):
    header = ("SERVICE", "COMPONENT", "MANAGER", "STATE", "PID", "UPTIME", "MEMORY", "PORT", "HEALTH")
    lines = [header] + [(
        row["name"], row["component"], row["manager"], row["state"], str(row["pid"] or "-"),
        "-" if row["uptime"] is None else f"{row['uptime'] // 3600}h{row['uptime'] // 60 % 60:02d}m",
        "-" if row["memory"] is None else f"{row['memory'] / 1048576:.0f}M",
        "-" if row["port"] is None else f"{row['port']} {'listens' if row['listening'] else 'closed'}",
        row["health"]) for row in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header) - 1)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1] for line in lines]


def main():
    module = AnsibleModule(
        argument_spec={
            "action": {"type": "str", "required": True, "choices": ["start", "stop", "restart", "status"]},
            "records_dir": {"type": "path", "required": True},
            "components": {"type": "list", "elements": "str", "default": []},
            "tiers": {"type": "list", "elements": "str", "default": []},
            "timeout": {"type": "int", "default": 180},
            "fail_on_down": {"type": "bool", "default": True},
            "log_lines": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    params = module.params
    unknown = sorted(set(params["tiers"]) - set(TIERS))
    if unknown:
        module.fail_json(msg=f"tiers must be of {', '.join(TIERS)}, got {', '.join(unknown)}")
    if params["log_lines"] < 0:
        module.fail_json(msg=f"log_lines must be 0 or more, got {params['log_lines']}")
    try:
        records = read_records(params["records_dir"], params["components"], params["tiers"])
    except (OSError, ValueError) as error:
        module.fail_json(msg=f"Cannot read the service records: {error}")
    managers = {name: kind(module) for name, kind in (("systemd", Systemd), ("supervisor", Supervisor), ("launchd", Launchd))
                if any(record["manager"] == name for record in records)}

    def states():
        found = {}
        for name, manager in managers.items():
            found.update(manager.states([record for record in records if record["manager"] == name]))
        return found

    action, acted = params["action"], []
    if action != "status":
        before = states()
        running = {name for name, figures in before.items() if figures[0] in ("active", "activating")}
        acted = [record["name"] for record in records
                 if action == "restart" or (action == "start") != (record["name"] in running)]
        if acted and not module.check_mode:
            for name, manager in managers.items():
                chosen = [record for record in records if record["manager"] == name and record["name"] in acted]
                if chosen:
                    manager.act(action, chosen)
            for record in records:
                if record["name"] not in acted or not record["ready"].get("port"):
                    continue
                if action == "stop":
                    deadline = time.monotonic() + params["timeout"]
                    while port_open(record["ready"]) and time.monotonic() < deadline:
                        time.sleep(1)
                    if port_open(record["ready"]):
                        module.fail_json(msg=f"{record['name']} stopped, but port {record['ready']['port']} still listens: "
                                             "a process it left serves on it")
                else:
                    problem = wait_ready(dict(record["ready"], timeout=params["timeout"]))
                    if problem:
                        module.fail_json(msg=f"{record['name']} did not become ready within {params['timeout']} s: {problem}")

    after, rows = states(), []
    for record in records:
        state, pid, uptime, memory = after[record["name"]]
        listening = port_open(record["ready"]) if state == "active" or action == "stop" else (
            False if record["ready"].get("port") else None)
        rows.append({"name": record["name"], "component": record.get("component", ""), "tier": record["tier"],
                     "manager": record["manager"], "state": state, "pid": pid, "uptime": uptime, "memory": memory,
                     "port": record["ready"].get("port") or None, "listening": listening,
                     "health": health(record, state, listening) if action != "stop" else "-",
                     "log": managers[record["manager"]].log(record, params["log_lines"])
                     if action == "status" and params["log_lines"] else ""})
    down = [row["name"] for row in rows if row["health"].startswith("DOWN")]
    result = {"changed": bool(acted), "acted": acted, "services": rows, "down": down, "table": table(rows)}
    if action == "status" and down and params["fail_on_down"]:
        module.fail_json(msg=f"Down: {', '.join(down)}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
