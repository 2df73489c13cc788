# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""What counts as up for each kind of service of the stack, in one place.

Standard library only: the mlops_health module imports it, and the monitoring role copies
it next to the status dashboard, which runs outside Ansible. Callers bring their own HTTP
getter, so each can use its own client (the module uses the shared RestClient)."""

from __future__ import annotations

import json
import re
import socket
import time

KINDS = ('http', 'airflow', 'tcp')
# Airflow's health endpoint answers 200 even when components are down: read the JSON.
AIRFLOW_REQUIRED_COMPONENTS = ('metadatabase', 'scheduler')
_TCP_TARGET = re.compile(r'^\[?([^\[\]/\s]+?)\]?:([0-9]{1,5})$')
_URL_TARGET = re.compile(r'^https?://[^/\s]+(/\S*)?$')


class CheckFailed(Exception):
    """The service did not answer as expected; the message says how."""


def target_problem(kind, target, tls=False):
    """Return why a target cannot be checked with this kind, or None. A service that serves
    TLS (tls) must be checked over https://: a plain request would not reach it."""
    if kind not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}, got {kind!r}"
    if not isinstance(target, str) or not target:
        return 'target is required'
    if kind == 'tcp':
        match = _TCP_TARGET.match(target)
        if not match or not 0 < int(match.group(2)) < 65536:
            return f'a tcp target is host:port, got {target!r}'
    elif not _URL_TARGET.match(target):
        return f'an {kind} target is an http:// or https:// URL, got {target!r}'
    elif tls and not target.startswith('https://'):
        return f'the service serves TLS (tls: true): its target must be an https:// URL, got {target!r}'
    return None


def airflow_problems(data, required=AIRFLOW_REQUIRED_COMPONENTS):
    """The unhealthy components in Airflow's /api/v2/monitor/health answer.

    A component reported unhealthy is a problem; a required one must be reported healthy."""
    if not isinstance(data, dict):
        return ['the health answer is not a JSON object']
    problems = []
    for component in sorted(set(data) | set(required)):
        state = data.get(component)
        status = state.get('status') if isinstance(state, dict) else None
        if status == 'unhealthy' or (component in required and status != 'healthy'):
            problems.append(f'{component} {status or "not reported"}')
    return problems


def check_tcp(target, timeout, connect=socket.create_connection):
    match = _TCP_TARGET.match(target)
    try:
        connect((match.group(1), int(match.group(2))), timeout=timeout).close()
    except OSError as error:
        raise CheckFailed(f'cannot connect to {target}: {error.strerror or error}') from None


def check_service(service, http_get, timeout, retries=0, sleep=time.sleep, connect=socket.create_connection):
    """Check one service and return its result (status OK or DOWN, with the reason).

    service: dict with name, kind and target (and optionally node and components).
    http_get(url) returns (status, body bytes) or raises CheckFailed; it does its own
    retries of transient HTTP failures. TCP connections are tried retries + 1 times."""
    kind, target = service['kind'], service['target']
    started = time.monotonic()
    detail = ''
    try:
        if kind == 'tcp':
            for attempt in range(retries + 1):
                try:
                    check_tcp(target, timeout, connect)
                    break
                except CheckFailed:
                    if attempt == retries:
                        raise
                    sleep(min(0.5 * 2 ** attempt, 5))
            detail = 'port open'
        else:
            status, body = http_get(target)
            detail = f'HTTP {status}'
            if kind == 'airflow':
                try:
                    data = json.loads(body)
                except ValueError:
                    raise CheckFailed('the health answer is not JSON') from None
                problems = airflow_problems(data, service.get('components') or AIRFLOW_REQUIRED_COMPONENTS)
                if problems:
                    raise CheckFailed('unhealthy: ' + ', '.join(problems))
                detail = 'all components healthy'
        state = 'OK'
    except CheckFailed as error:
        state, detail = 'DOWN', str(error)
    return {
        'name': service['name'],
        'node': service.get('node') or '',
        'kind': kind,
        'target': target,
        'status': state,
        'detail': detail,
        'elapsed_ms': int((time.monotonic() - started) * 1000),
    }


def format_table(results):
    """The status table that health checks print, one line per service."""
    header = ('SERVICE', 'NODE', 'CHECK', 'STATUS', 'DETAIL')
    rows = [header] + [(r['name'], r['node'] or '-', f"{r['kind']} {r['target']}", r['status'], r['detail'])
                       for r in results]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = ['  '.join(cell.ljust(width) for cell, width in zip(row, widths)) + '  ' + row[-1] for row in rows]
    down = sum(1 for r in results if r['status'] != 'OK')
    lines.append(f'{len(results) - down} OK, {down} DOWN')
    return lines
