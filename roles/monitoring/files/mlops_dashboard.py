# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status dashboard of the MLOps stack (installed by the efficientai.mlops.monitoring role).

Every refresh it checks the services (the same checks as the mlops_health module, from
_health.py beside this file), reads the firing alerts from Alertmanager and each backup host's
newest set from Prometheus (the figures its backup runner writes), finds the newest set on
this host, and counts the error lines each service logged over the last minutes (journal or
log files). It serves the result as a page (/), as JSON (/health) and as Prometheus
metrics (/metrics)."""

import argparse
import collections
import concurrent.futures
import glob
import html
import json
import logging
import os
import re
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _health

METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
LOG = logging.getLogger('mlops-dashboard')
DEFAULT_ERROR_PATTERN = r'(?i)\b(error|critical|fatal)\b|^Traceback '
# Journal priorities err (3) and worse count as errors whatever the text says.
JOURNAL_ERROR_PRIORITY = 3
MAX_READ = 8 * 1024 * 1024


def http_get(timeout, ca_path=None):
    """A getter for _health.check_service; HTTPS certificates are verified against ca_path
    (the stack's CA for services that serve TLS) or the system's CAs."""
    def get(url):
        try:
            context = ssl.create_default_context(cafile=ca_path or None) if url.startswith('https:') else None
            with urllib.request.urlopen(url, timeout=timeout, context=context) as answer:
                return answer.status, answer.read(MAX_READ)
        except urllib.error.HTTPError as error:
            raise _health.CheckFailed(f'HTTP {error.code}') from None
        except (urllib.error.URLError, OSError) as error:
            raise _health.CheckFailed(f'cannot reach {url}: {getattr(error, "reason", error)}') from None
    return get


class JournalErrors:
    """Error lines of systemd units over the window, read from the journal."""

    def __init__(self, units, pattern, window):
        self.units, self.pattern, self.window = units, pattern, window

    def counts(self):
        since = f'@{int(time.time() - self.window)}'
        return {unit: self._count(unit, since) for unit in self.units}

    def _count(self, unit, since):
        run = subprocess.run(
            ['journalctl', '--unit', unit, '--since', since, '--output', 'json', '--output-fields', 'MESSAGE,PRIORITY',
             '--no-pager', '--quiet'], capture_output=True, text=True, timeout=30, check=False)
        if run.returncode != 0:
            raise OSError(f'journalctl --unit {unit}: {run.stderr.strip()[:200]}')
        errors = 0
        for line in run.stdout.splitlines():
            entry = json.loads(line)
            message = entry.get('MESSAGE')
            if isinstance(message, list):  # non-UTF-8 messages come as byte arrays
                message = bytes(message).decode('utf-8', 'replace')
            if int(entry.get('PRIORITY', 6)) <= JOURNAL_ERROR_PRIORITY or self.pattern.search(message or ''):
                errors += 1
        return errors


class FileErrors:
    """Error lines of log files over the window. Lines carry no reliable timestamp, so each
    is dated when read: the files are followed from the dashboard's start."""

    def __init__(self, files, pattern, window):
        self.files, self.pattern, self.window = files, pattern, window
        self.positions = {}
        self.seen = collections.defaultdict(collections.deque)

    def counts(self):
        now = time.time()
        for name, path in self.files.items():
            self.seen[name].append((now, self._new_errors(name, path)))
            while self.seen[name] and self.seen[name][0][0] < now - self.window:
                self.seen[name].popleft()
        return {name: sum(count for _stamp, count in self.seen[name]) for name in self.files}

    def _new_errors(self, name, path):
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return 0
        inode, offset = self.positions.get(name, (stat.st_ino, stat.st_size))
        if inode != stat.st_ino or offset > stat.st_size:  # rotated or truncated
            offset = 0
        with open(path, 'rb') as log:
            log.seek(offset)
            data = log.read(MAX_READ)
        complete = data.rfind(b'\n') + 1  # leave a partial last line for the next read
        self.positions[name] = (stat.st_ino, offset + complete)
        text = data[:complete].decode('utf-8', 'replace')
        return sum(1 for line in text.splitlines() if self.pattern.search(line))


def log_watcher(config):
    logs = config.get('logs') or {}
    pattern = re.compile(logs.get('pattern') or DEFAULT_ERROR_PATTERN)
    window = int(logs.get('window_minutes', 15)) * 60
    names = logs.get('services') or []
    if logs.get('source') == 'journal':
        if not names:  # every service of this collection on the host has an environment file
            names = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(logs.get('config_dir', ''), '*.env')))
        return JournalErrors(names, pattern, window), window
    log_dir = logs.get('log_dir', '')
    if not names:
        names = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(log_dir, '*.log'))
                       if not p.endswith('/supervisord.log'))
    return FileErrors({name: os.path.join(log_dir, f'{name}.log') for name in names}, pattern, window), window


def newest_backup(pattern):
    found = [(os.path.getmtime(p), p) for p in glob.glob(pattern)] if pattern else []
    if not found:
        return None
    mtime, path = max(found)
    return {'path': path, 'timestamp': mtime, 'time': time.strftime('%Y-%m-%d %H:%M:%S %Z', time.localtime(mtime))}


def prometheus_vector(prometheus_url, promql, timeout):
    """{instance: value} of an instant query."""
    url = prometheus_url.rstrip('/') + '/api/v1/query?' + urllib.parse.urlencode({'query': promql})
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        result = json.load(answer)['data']['result']
    return {sample['metric'].get('instance', ''): float(sample['value'][1]) for sample in result}


def host_backups(prometheus_url, timeout):
    """Per backup host (its node_exporter instance), the newest set it reported through its
    textfile: when, whether it passed its check and whether the last run worked. A host that
    declares backups but never took a set has no time."""
    if not prometheus_url:
        return []
    figures = {name: prometheus_vector(prometheus_url, f'mlops_backup_{name}', timeout)
               for name in ('configured', 'last_success_timestamp_seconds', 'last_verified', 'last_run_success')}
    found = []
    for instance in sorted(set(figures['configured']) | set(figures['last_success_timestamp_seconds'])):
        stamp = figures['last_success_timestamp_seconds'].get(instance)
        found.append({'instance': instance, 'timestamp': stamp,
                      'time': time.strftime('%Y-%m-%d %H:%M:%S %Z', time.localtime(stamp)) if stamp else 'never',
                      'verified': figures['last_verified'].get(instance) == 1,
                      'last_run_ok': figures['last_run_success'].get(instance, 1) == 1})
    return found


def firing_alerts(alertmanager_url, timeout):
    if not alertmanager_url:
        return []
    url = alertmanager_url.rstrip('/') + '/api/v2/alerts?active=true&silenced=false&inhibited=false'
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        alerts = json.load(answer)
    return sorted(({
        'name': alert['labels'].get('alertname', ''),
        'severity': alert['labels'].get('severity', ''),
        'instance': alert['labels'].get('instance', ''),
        'summary': alert.get('annotations', {}).get('summary', ''),
        'since': alert.get('startsAt', ''),
    } for alert in alerts), key=lambda a: (a['severity'] != 'critical', a['name']))


class Dashboard:
    def __init__(self, config):
        self.config = config
        self.timeout = float(config.get('timeout', 3))
        self.logs, self.window = log_watcher(config)
        self.snapshot = {'status': 'starting', 'services': [], 'alerts': [], 'backup': None, 'backups': [], 'log_errors': {},
                         'problems': [], 'updated': None}
        self.lock = threading.Lock()

    def refresh(self):
        services = self.config.get('services') or []
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(16, len(services)))) as pool:
            results = list(pool.map(lambda s: _health.check_service(
                s, http_get(self.timeout, s.get('ca_path')), self.timeout, int(self.config.get('retries', 0))), services))
        problems, alerts, log_errors = [], [], {}
        try:
            alerts = firing_alerts(self.config.get('alertmanager_url'), self.timeout)
        except (OSError, ValueError, KeyError) as error:
            problems.append(f'alerts unavailable: {error}')
        backups = []
        try:
            backups = host_backups(self.config.get('prometheus_url'), self.timeout)
        except (OSError, ValueError, KeyError) as error:
            problems.append(f'backup figures unavailable: {error}')
        try:
            log_errors = self.logs.counts()
        except (OSError, ValueError, subprocess.SubprocessError) as error:
            problems.append(f'log counts unavailable: {error}')
        previous = {(s['name'], s['node']): s['status'] for s in self.snapshot['services']}
        for result in results:
            if previous.get((result['name'], result['node']), 'OK') != result['status']:
                LOG.warning('%s on %s is %s: %s', result['name'], result['node'] or '-', result['status'], result['detail'])
        with self.lock:
            self.snapshot = {
                'status': 'ok' if all(r['status'] == 'OK' for r in results) else 'degraded',
                'services': results, 'alerts': alerts, 'backup': newest_backup(self.config.get('backup_glob')),
                'backups': backups,
                'log_errors': log_errors, 'log_window_minutes': self.window // 60, 'problems': problems,
                'links': self.config.get('links') or [], 'updated': time.time()}

    def run_refresher(self):
        while True:
            time.sleep(float(self.config.get('refresh_seconds', 15)))
            try:
                self.refresh()
            except Exception:  # keep serving the last snapshot; the log says what broke
                LOG.exception('refresh failed')

    def current(self):
        with self.lock:
            return dict(self.snapshot)

    def metrics(self):
        """The current snapshot as Prometheus gauges: (name, help, [(labels, value)])."""
        snap = self.current()
        families = [
            ('mlops_service_up', 'Whether the service passed its check (1) or not (0).',
             [({'service': s['name'], 'node': s['node'], 'kind': s['kind']}, int(s['status'] == 'OK'))
              for s in snap['services']]),
            ('mlops_log_errors', 'Error lines the service logged over the log window.',
             [({'service': name}, count) for name, count in sorted(snap['log_errors'].items())]),
            ('mlops_log_window_seconds', 'Length of the log window.', [({}, self.window)]),
            ('mlops_alerts_firing', 'Alerts firing in Alertmanager.', [({}, len(snap['alerts']))]),
        ]
        if snap['backup']:
            families.append(('mlops_backup_last_timestamp_seconds', 'Time of the newest backup.',
                             [({}, snap['backup']['timestamp'])]))
        return families


def exposition(families):
    """Prometheus text format (version 0.0.4) of gauge families."""
    def escape(value):
        return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
    lines = []
    for name, help_text, samples in families:
        lines += [f'# HELP {name} {help_text}', f'# TYPE {name} gauge']
        for labels, value in samples:
            label_text = ','.join(f'{key}="{escape(val)}"' for key, val in labels.items())
            lines.append(f'{name}{{{label_text}}} {value}' if labels else f'{name} {value}')
    return ''.join(line + '\n' for line in lines)


def render_page(snap, title, refresh):
    def cell(value):
        return f'<td>{html.escape(str(value))}</td>'
    rows = ''.join(
        f'<tr class="{s["status"].lower()}">{cell(s["name"])}{cell(s["node"] or "-")}{cell(s["kind"])}'
        f'<td class="state">{html.escape(s["status"])}</td>{cell(s["detail"])}'
        f'{cell(snap["log_errors"].get(s["name"], "-"))}</tr>' for s in snap['services'])
    alerts = ''.join(
        f'<tr class="{html.escape(a["severity"])}">{cell(a["name"])}{cell(a["severity"])}{cell(a["instance"])}'
        f'{cell(a["summary"])}{cell(a["since"])}</tr>' for a in snap['alerts']) or '<tr><td colspan="5">none</td></tr>'
    logs = ''.join(f'<tr>{cell(name)}{cell(count)}</tr>' for name, count in sorted(snap['log_errors'].items()))
    backup = snap['backup']
    backup_text = (f'{html.escape(backup["time"])} <small>({html.escape(backup["path"])})</small>' if backup
                   else 'no backup found')
    hosts = ''.join(
        f'<tr class="{"ok" if b["last_run_ok"] and b["verified"] else "warning"}">{cell(b["instance"])}{cell(b["time"])}'
        f'{cell("yes" if b["verified"] else "no")}{cell("ok" if b["last_run_ok"] else "failed")}</tr>'
        for b in snap.get('backups', [])) or '<tr><td colspan="4">no backup host reports to Prometheus</td></tr>'
    problems = ''.join(f'<p class="problem">{html.escape(p)}</p>' for p in snap['problems'])
    links = ' &middot; '.join(f'<a href="{html.escape(link["url"], quote=True)}">{html.escape(link["name"])}</a>'
                              for link in snap.get('links', []))
    updated = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(snap['updated'])) if snap['updated'] else 'never'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{int(refresh)}">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; min-width: 40em; }}
th, td {{ border: 1px solid #ccc; padding: .3em .7em; text-align: left; }}
th {{ background: #eee; }}
tr.ok .state {{ background: #c8efc8; }} tr.down .state {{ background: #f5b5b5; font-weight: bold; }}
tr.critical {{ background: #f5b5b5; }} tr.warning {{ background: #fbe3a8; }}
.overall {{ font-size: 1.3em; }} .problem {{ color: #a00; }}
</style></head>
<body data-status="{html.escape(snap['status'])}">
<h1>{html.escape(title)}</h1>
<p class="overall">Stack: <strong id="overall">{html.escape(snap['status'].upper())}</strong>
 &middot; updated {updated}</p>{problems}
<nav id="links">{links}</nav>
<h2>Services</h2>
<table id="services"><tr><th>Service</th><th>Node</th><th>Check</th><th>State</th><th>Detail</th>
<th>Errors ({snap.get('log_window_minutes', '-')} min)</th></tr>{rows}</table>
<h2>Firing alerts</h2>
<table id="alerts"><tr><th>Alert</th><th>Severity</th><th>Instance</th><th>Summary</th><th>Since</th></tr>{alerts}</table>
<h2>Backups</h2>
<table id="backups"><tr><th>Host</th><th>Newest set</th><th>Checked</th><th>Last run</th></tr>{hosts}</table>
<p id="backup">On this host: {backup_text}</p>
<h2>Log errors (last {snap.get('log_window_minutes', '-')} min)</h2>
<table id="logs"><tr><th>Service</th><th>Error lines</th></tr>{logs}</table>
</body></html>
"""


def make_handler(dashboard):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, content_type, body):
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            self.send_header('Cache-Control', 'no-store')
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away; not an error of the dashboard

        def do_GET(self):
            path = self.path.split('?', 1)[0]
            if path == '/health':
                self._send(200, 'application/json', json.dumps(dashboard.current(), indent=1).encode())
            elif path == '/metrics':
                self._send(200, METRICS_CONTENT_TYPE, exposition(dashboard.metrics()).encode())
            elif path == '/':
                page = render_page(dashboard.current(), dashboard.config.get('title', 'MLOps stack'),
                                   dashboard.config.get('refresh_seconds', 15))
                self._send(200, 'text/html; charset=utf-8', page.encode())
            else:
                self._send(404, 'text/plain', b'not found\n')
    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True, help='JSON configuration written by the monitoring role')
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(message)s')
    with open(args.config, encoding='utf-8') as config_file:
        config = json.load(config_file)
    dashboard = Dashboard(config)
    dashboard.refresh()
    threading.Thread(target=dashboard.run_refresher, daemon=True).start()
    server = ThreadingHTTPServer((config.get('listen_host', '127.0.0.1'), int(config.get('listen_port', 8000))),
                                 make_handler(dashboard))
    LOG.info('serving on %s:%s', *server.server_address[:2])
    server.serve_forever()


if __name__ == '__main__':
    main()
