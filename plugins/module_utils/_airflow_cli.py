# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""Running the airflow CLI from a module: its JSON output mixed with log lines, and
passwords handed over on stdin rather than on the command line."""

from __future__ import annotations

import json
import os
import re

# Runs the real CLI with getpass answered from stdin: a password on the command line
# would be visible to every local user, and getpass itself would wait on a terminal.
_CLI_WITH_STDIN_PASSWORD = (
    "import getpass, sys\n"
    "password = sys.stdin.readline().rstrip('\\n')\n"
    "getpass.getpass = lambda prompt='': password\n"
    "from airflow.__main__ import main\n"
    "sys.argv = ['airflow'] + sys.argv[1:]\n"
    "main()\n"
)
# The CLI logs with structlog and warnings to stdout; these keep it quiet.
_QUIET = {'AIRFLOW__LOGGING__LOGGING_LEVEL': 'ERROR', 'PYTHONWARNINGS': 'ignore'}
_REDACT = re.compile(r'(?i)(password|passwd|secret|token)(\S*\s*[=:]\s*)\S+')


class AirflowCliError(Exception):
    """The CLI failed; the message holds its last output lines, credentials redacted."""


def parse_json_output(stdout):
    """Return the JSON document the CLI printed among its log lines (the last one)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith(('[', '{')):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise AirflowCliError('the airflow CLI printed no JSON document')


def redact(text, secrets=()):
    """Remove given secrets and anything that looks like `password=...` from CLI output."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, '********')
    return _REDACT.sub(r'\1\2********', text)


class AirflowCli:
    """The airflow CLI of one installation, run by an AnsibleModule."""

    def __init__(self, module, airflow_bin, airflow_home):
        self.module = module
        self.airflow_bin = airflow_bin
        self.python = os.path.join(os.path.dirname(airflow_bin), 'python')
        self.environ = dict(_QUIET, AIRFLOW_HOME=airflow_home)
        self.cwd = airflow_home

    def run(self, args, password=None):
        """Run `airflow ARGS` (with `password` answering its prompts) and return stdout."""
        if password is None:
            argv, data = [self.airflow_bin] + list(args), None
        else:
            argv, data = [self.python, '-c', _CLI_WITH_STDIN_PASSWORD] + list(args), password + '\n'
        rc, stdout, stderr = self.module.run_command(
            argv, data=data, environ_update=self.environ, cwd=self.cwd, check_rc=False)
        if rc != 0:
            tail = '\n'.join((stderr.strip() or stdout.strip()).splitlines()[-5:])
            raise AirflowCliError(f"airflow {' '.join(args[:2])} failed (exit {rc}): {redact(tail, [password])}")
        return stdout

    def users(self):
        """Return the FAB users as {username: {email, first_name, last_name, roles}}."""
        listed = parse_json_output(self.run(['users', 'list', '--output', 'json']))
        return {user['username']: {'email': user.get('email') or '', 'first_name': user.get('first_name') or '',
                                   'last_name': user.get('last_name') or '', 'roles': sorted(user.get('roles') or [])}
                for user in listed}
