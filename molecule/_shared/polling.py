"""Waiting in tests for something that comes later (a notification, a healthy service)."""

import time


def wait_for(what, probe, timeout=90, interval=1):
    """Call probe() until it returns something true; fail with the last value."""
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {value!r}")
