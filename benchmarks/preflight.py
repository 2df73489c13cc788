"""Seconds of a role's input checks (tasks/preflight.yml) as the production inventory runs them:
MLflow's, Airflow's, the firewall's and the backup's checks before they became one filter call each
(git show af9dd90) against now, in the same run.

    benchmarks/preflight.py [REPETITIONS]

Needs `make setup` and the repository's history (a clone, not an export). The checks are asserts,
which run on the controller, so each role's host of inventories/production is played with a
local connection, with the example secrets allowed. Each way runs from a copy of the role whose
preflight.yml is that way's; a run of the same play without the checks is subtracted. Prints the
wall and CPU seconds per check run of each way and now / before."""

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEFORE_REVISION = 'af9dd90'
# Each role's checks on a host of its group in inventories/production.
ROLES = {'mlflow': 'tracking-1.example.internal', 'airflow': 'ops-1.example.internal',
         'firewall': 'tracking-1.example.internal', 'backup': 'tracking-2.example.internal'}


def preflight_before(role):
    return subprocess.run(['git', 'show', f'{BEFORE_REVISION}:roles/{role}/tasks/preflight.yml'], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


def role_copy(role, workdir, label):
    """A copy of the role under workdir/label/roles whose preflight is that way's."""
    roles = os.path.join(workdir, label, 'roles')
    shutil.copytree(os.path.join(ROOT, 'roles', role), os.path.join(roles, role))
    if label == 'before':
        with open(os.path.join(roles, role, 'tasks', 'preflight.yml'), 'w', encoding='utf-8') as stream:
            stream.write(preflight_before(role))
    return roles


def run(role, roles_path, repetitions, workdir):
    check = {'name': 'Check the inputs', 'ansible.builtin.include_role': {'name': role, 'tasks_from': 'preflight'}}
    play = [{'hosts': ROLES[role], 'gather_facts': True, 'gather_subset': ['min'],
             'vars': {'mlops_allow_example_secrets': True},
             'tasks': [check] * repetitions or [{'ansible.builtin.meta': 'noop'}]}]
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
