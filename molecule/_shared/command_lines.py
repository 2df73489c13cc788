"""The command lines a scenario's work shows to ps: sampled from this machine's /proc while it
runs. The containers share the host's process table, so this sees Ansible's `docker exec ...
/bin/sh -c '...'` lines, the modules' processes and the tools they start. Only the processes of
the scenario's containers (by cgroup) and the docker exec lines naming them are kept: other
scenarios may run on the same machine."""

import os
import subprocess
import tempfile
import threading
import time
import uuid

import yaml

from playbook_run import ansible_playbook


class CommandLines:
    """with CommandLines(containers) as seen: ...; then seen.lines, seen.holding(secrets)."""

    def __init__(self, containers, interval=0.02):
        self.names = list(containers)
        ids = subprocess.run(["docker", "inspect", "--format", "{{.Id}}", *self.names],
                             capture_output=True, text=True, check=True).stdout.split()
        self.ids = [container_id[:12] for container_id in ids]
        self.interval = interval
        self.lines = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _ours(self, pid, line):
        if any(name in line for name in self.names) and "docker" in line:
            return True
        try:
            with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as cgroup:
                groups = cgroup.read()
        except OSError:
            return False
        return any(container_id in groups for container_id in self.ids)

    def _sample(self):
        judged = set()  # (pid, command line) seen before: its cgroup is not read again every pass
        while not self._stop.is_set():
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                        raw = cmdline.read()
                except OSError:
                    continue
                if not raw or (pid, raw) in judged:
                    continue
                judged.add((pid, raw))
                line = raw.replace(b"\0", b" ").decode(errors="replace").strip()
                if line and self._ours(pid, line):
                    self.lines.add(line)
            time.sleep(self.interval)

    def holding(self, secrets):
        """[(secret, command line)] for each sampled line that holds one of the secrets."""
        return [(secret, line) for line in sorted(self.lines) for secret in secrets if secret and secret in line]


def leak_canary(host_name):
    """Run a task that leaks a fresh canary through `environment:` on the host, the way the
    roles did: the sampler must see it, or its silence proves nothing. Returns the canary."""
    canary = f"canary-{uuid.uuid4().hex}"
    play = [{"name": "Leak a canary", "hosts": host_name, "gather_facts": False,
             "tasks": [{"name": "Sleep with the canary in the environment",
                        "ansible.builtin.command": {"argv": ["sleep", "1"]},
                        "environment": {"CANARY": canary}, "changed_when": False}]}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as playbook:
        yaml.safe_dump(play, playbook)
    try:
        done = ansible_playbook(playbook.name)
    finally:
        os.unlink(playbook.name)
    assert done.returncode == 0, done.output[-3000:]
    return canary
