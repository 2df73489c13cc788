#!/usr/bin/env python
"""What MLflow's basic-auth credential cache (mlflow_auth_cache_seconds) saves the tracking server.

With basic auth on, MLflow checks the password hash (scrypt or PBKDF2, slow by design) on every
request, unless the cache of its auth app holds the credential. This starts `mlflow server
--app-name basic-auth` twice on an empty SQLite store in a temporary directory, with the cache
off (auth_cache_ttl_seconds = 0, MLflow's default) and on, sends the same authenticated
requests to each (the client's common calls: search experiments, get one, search its runs) and
prints the server's CPU seconds per request (the server's whole process tree, read from /proc)
and the ratio cache on / cache off. Start-up is not counted.

Run it with the Python of an MLflow installation, for example the tracking server's venv:

    /opt/efficientai/mlflow/venv/bin/python benchmarks/mlflow_auth_cache.py [--requests 300]

It prints figures; it asserts nothing."""

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PASSWORD = 'bench-admin-password-1'
PATHS = ('/api/2.0/mlflow/experiments/search?max_results=10', '/api/2.0/mlflow/experiments/get?experiment_id=0')
TICKS = os.sysconf('SC_CLK_TCK')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def tree_cpu(pid):
    """CPU seconds of a process and every descendant still running."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat', encoding='ascii') as stat:
                    fields = stat.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append((int(entry), int(fields[11]) + int(fields[12])))
    total, stack = 0, [pid]
    while stack:
        for child, ticks in children.get(stack.pop(), []):
            total += ticks
            stack.append(child)
    with open(f'/proc/{pid}/stat', encoding='ascii') as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (total + int(fields[11]) + int(fields[12])) / TICKS


def call(port, path, method='GET', body=None):
    token = base64.b64encode(f'admin:{PASSWORD}'.encode()).decode()
    request = urllib.request.Request(f'http://127.0.0.1:{port}{path}', method=method,
                                     data=json.dumps(body).encode() if body else None,
                                     headers={'Authorization': f'Basic {token}', 'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.status


def measure(directory, cache_seconds, requests):
    port = free_port()
    config = os.path.join(directory, f'auth-{cache_seconds}.ini')
    with open(config, 'w', encoding='utf-8') as ini:
        ini.write(f'[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{directory}/auth-{cache_seconds}.db\n'
                  f'admin_username = admin\nadmin_password = {PASSWORD}\n'
                  'authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n'
                  f'auth_cache_ttl_seconds = {cache_seconds}\n')
    command = [sys.executable, '-m', 'mlflow', 'server', '--app-name', 'basic-auth', '--host', '127.0.0.1',
               '--port', str(port), '--workers', '1',
               '--backend-store-uri', f'sqlite:///{directory}/mlflow-{cache_seconds}.db',
               '--artifacts-destination', os.path.join(directory, f'artifacts-{cache_seconds}')]
    environment = dict(os.environ, MLFLOW_AUTH_CONFIG_PATH=config, MLFLOW_FLASK_SERVER_SECRET_KEY='bench-secret-key')
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                call(port, PATHS[0])
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f'mlflow server did not answer on port {port}')
                time.sleep(0.5)
        call(port, '/api/2.0/mlflow/experiments/create', 'POST', {'name': 'bench'})
        before, started = tree_cpu(server.pid), time.monotonic()
        for number in range(requests):
            call(port, PATHS[number % len(PATHS)])
        return (tree_cpu(server.pid) - before) / requests, (time.monotonic() - started) / requests
    finally:
        server.terminate()
        server.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--requests', type=int, default=300, help='authenticated requests per server (default 300)')
    parser.add_argument('--cache-seconds', type=int, default=60, help='the cache TTL of the second server (default 60)')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        off = measure(directory, 0, args.requests)
        on = measure(directory, args.cache_seconds, args.requests)
    print(f'{args.requests} authenticated requests per server, one worker')
    print(f'{"cache":<14} {"server CPU ms/request":>22} {"wall ms/request":>16}')
    for name, (cpu, wall) in (('off', off), (f'{args.cache_seconds} s', on)):
        print(f'{name:<14} {cpu * 1000:>22.1f} {wall * 1000:>16.1f}')
    print(f'ratio on/off   {on[0] / off[0]:>22.2f} {on[1] / off[1]:>16.2f}')


if __name__ == '__main__':
    main()
