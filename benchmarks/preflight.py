"""Seconds of a role's input checks (tasks/preflight.yml) as the production inventory runs them:
each role's checks before they became one filter call (git show of BEFORE's revision) against
now, in the same run.

    benchmarks/preflight.py [REPETITIONS]

Needs `make setup` and the repository's history (a clone, not an export). The checks are asserts,
which run on the controller, so each role's host of inventories/production is played with a
local connection, with the example secrets allowed. Each way runs from a copy of the role whose
preflight.yml and vars/main.yml are that way's; a run of the same play without the checks is
subtracted. Prints the wall and CPU seconds per check run of each way and now / before."""

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Each role's checks on a host of its group in inventories/production (DVC has none there), and
# the last revision whose checks were assert tasks.
ROLES = {'mlflow': 'tracking-1.example.internal', 'airflow': 'ops-1.example.internal',
         'firewall': 'tracking-1.example.internal', 'backup': 'tracking-2.example.internal',
         'postgres': 'db-1.example.internal', 'proxy': 'ops-1.example.internal',
         'bentoml': 'serving-1.example.internal'}
BEFORE = {'mlflow': 'af9dd90', 'airflow': 'af9dd90', 'firewall': 'af9dd90', 'backup': 'af9dd90',
          'postgres': '362e6ea', 'proxy': '362e6ea', 'bentoml': '362e6ea'}


def file_before(role, path):
    """The file as it was at the role's BEFORE revision, or None where the role had none."""
    shown = subprocess.run(['git', 'show', f'{BEFORE[role]}:roles/{role}/{path}'], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    return shown.stdout if shown.returncode == 0 else None


def role_copy(role, workdir, label):
    """A copy of the role under workdir/label/roles whose checks are that way's."""
    roles = os.path.join(workdir, label, 'roles')
    shutil.copytree(os.path.join(ROOT, 'roles', role), os.path.join(roles, role))
    if label == 'before':
        # The checks with the variables they read then (later reviews removed the unused ones).
        for path in ('tasks/preflight.yml', 'vars/main.yml'):
            content = file_before(role, path)
            if content is not None:
                with open(os.path.join(roles, role, path), 'w', encoding='utf-8') as stream:
                    stream.write(content)
    return roles


def run(role, roles_path, repetitions, workdir):
    check = {'name': 'Check the inputs', 'ansible.builtin.include_role': {'name': role, 'tasks_from': 'preflight'}}
    # The controller stands in for a Debian host under systemd, which the PostgreSQL and nginx roles require.
    as_production = {'name': 'Take the facts of a production host', 'ansible.builtin.set_fact': {
        'service_mgr': 'systemd', 'distribution': 'Debian', 'distribution_major_version': '12', 'os_family': 'Debian',
        'cacheable': True}}
    play = [{'hosts': ROLES[role], 'gather_facts': True, 'gather_subset': ['min'],
             'vars': {'mlops_allow_example_secrets': True},
             'tasks': [as_production] + [check] * repetitions}]
    path = os.path.join(workdir, 'play.yml')
    with open(path, 'w', encoding='utf-8') as stream:
        yaml.safe_dump(play, stream, sort_keys=False)
    environment = dict(os.environ, ANSIBLE_ROLES_PATH=roles_path, ANSIBLE_VAULT_PASSWORD_FILE=os.path.join(
        ROOT, 'inventories', 'production', 'vault-password.example.txt'))
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    subprocess.run(['ansible-playbook', '-i', os.path.join(ROOT, 'inventories', 'production'), '--limit', ROLES[role],
                    '-e', 'ansible_connection=local', '-e', f'ansible_python_interpreter={sys.executable}', path],
                   check=True, env=environment, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.monotonic() - start, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(repetitions):
    with tempfile.TemporaryDirectory(prefix='preflight-') as workdir:
        for role in ROLES:
            figures = {}
            for label in ('before', 'now'):
                roles = role_copy(role, os.path.join(workdir, role), label)
                empty = run(role, roles, 0, workdir)
                wall, cpu = run(role, roles, repetitions, workdir)
                figures[label] = ((wall - empty[0]) / repetitions, (cpu - empty[1]) / repetitions)
            print(f'{role:9} before {figures["before"][0]:5.2f} s wall {figures["before"][1]:5.2f} CPU s, '
                  f'now {figures["now"][0]:5.2f} s wall {figures["now"][1]:5.2f} CPU s per check run '
                  f'({repetitions} runs on {ROLES[role]}): now / before {figures["now"][0] / figures["before"][0]:.2f} '
                  f'of the wall, {figures["now"][1] / figures["before"][1]:.2f} of the CPU time')


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
