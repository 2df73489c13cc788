# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a service is ready: what the service modules share (the environment file they write is
in _env_file.py)."""

from __future__ import annotations

import socket
import time

from ansible.module_utils.urls import open_url


def wait_ready(ready, crashed=None):
    """None when the service answers within the timeout, else why not. crashed(), asked while it
    does not answer, says why it never will (its manager gave up, or it keeps exiting): then
    there is no point in waiting out the timeout."""
    deadline = time.monotonic() + ready["timeout"]
    host = ready["host"]
    problem = f"port {ready['port']} of {host} did not open"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, ready["port"]), timeout=2):
                break
        except OSError as error:
            problem = f"port {ready['port']} of {host}: {error}"
        hopeless = crashed() if crashed else None
        if hopeless:
            return f"{problem}; {hopeless}"
        time.sleep(1)
    else:
        return problem
    if not ready["path"]:
        return None
    netloc = f"[{host}]" if ":" in host else host
    url = f"{'https' if ready['https'] else 'http'}://{netloc}:{ready['port']}{ready['path']}"
    while True:
        try:
            with open_url(url, timeout=5, validate_certs=True, ca_path=ready.get("ca_path")) as answer:
                if answer.status == 200:
                    return None
                problem = f"{url} answered {answer.status}"
        except Exception as error:  # any failure to answer is retried until the deadline
            problem = f"{url}: {error}"
        if time.monotonic() >= deadline:
            return problem
        time.sleep(2)


def systemd_journal(module, unit, lines=40):
    """The unit's last lines of its journal, for a message that says why it failed ("" without journalctl)."""
    journalctl = module.get_bin_path("journalctl")
    if not journalctl:
        return ""
    _rc, out, err = module.run_command([journalctl, "--unit", unit, "--lines", str(lines), "--no-pager"])
    return out + err
