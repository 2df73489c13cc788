"""Seconds that _common's entry point spends resolving a service definition: MLflow's, as the
production inventory renders it (vaulted secrets, the database URL, the arguments), resolved the
way service.yml did before (the caller's definition named once per field: seven renderings)
against the way it does now (rendered once), in the same run.

    benchmarks/render_definition.py [REPETITIONS]

Needs `make setup` only: the tasks are set_fact, which run on the controller, so the production
inventory's host production-tracking-1 is played with a local connection. Prints the wall and CPU
seconds per resolution of each way (a run without them subtracted) and now / before."""

import os
import resource
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLES = os.path.join(ROOT, 'roles')
HOST = 'tracking-1.example.internal'
NOW_TASKS = ('Resolve the service definition',)  # the places are vars/main.yml's now
# service.yml's resolve and locate steps before it rendered the definition once (git show 86a43db),
# reduced to what renders the definition.
BEFORE = yaml.safe_load('''
- name: Resolve the service definition
  ansible.builtin.set_fact:
    __common_svc: "{{ __common_service_base | combine(_common_service) }}"
    __common_service_backend: systemd
    __common_service_env_file: "{{ _common_config_root }}/{{ _common_service.name }}.env"
    __common_service_launcher: "{{ _common_config_root }}/{{ _common_service.name }}.run"
    __common_service_log_file: "{{ _common_log_root }}/{{ _common_service.name }}.log"
    __common_service_run_dir: "{{ _common_root }}/run/{{ _common_service.name }}"
  vars:
    __common_service_base:
      description: "{{ _common_service.name }} (efficientai.mlops)"
      group: >-
        {{ ansible_facts['user_gid'] if ansible_facts['system'] == 'Darwin' and ansible_facts['user_uid'] != 0
           and _common_service.user == ansible_facts['user_id'] else _common_service.user }}
      args: []
      state: started
  no_log: true
- name: Locate supervisord
  ansible.builtin.set_fact:
    __common_supervisor_home: "{{ _common_root }}/supervisor"
  when: __common_service_backend == 'supervisor'
''')


def current_tasks():
    with open(os.path.join(ROLES, '_common', 'tasks', 'service.yml'), encoding='utf-8') as stream:
        return [task for task in yaml.safe_load(stream) if task.get('name') in NOW_TASKS]


def playbook(tasks, repetitions):
    return [{
        'hosts': HOST,
        'gather_facts': True,
        'gather_subset': ['min'],
        'vars_files': [os.path.join(ROLES, '_common', 'defaults', 'main.yml'),
                       os.path.join(ROLES, 'mlflow', 'defaults', 'main.yml'),
                       os.path.join(ROLES, 'mlflow', 'vars', 'main.yml')],
        'tasks': [{
            'name': 'Resolve MLflow\'s service definition',
            'vars': {'__common_python_apps': {'mlflow': {'venv': '/opt/efficientai/mlflow/venv', 'changed': False}},
                     '_mlflow_replica': 1, '_common_service_manager': 'auto',
                     '_common_service': "{{ _mlflow_service | combine({'restart_now': false}) }}"},
            'block': tasks * repetitions or [{'ansible.builtin.meta': 'noop'}],
        }],
    }]


def run(tasks, repetitions, workdir):
    path = os.path.join(workdir, 'play.yml')
    with open(path, 'w', encoding='utf-8') as stream:
        yaml.safe_dump(playbook(tasks, repetitions), stream, sort_keys=False)
    environment = dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=os.path.join(
        ROOT, 'inventories', 'production', 'vault-password.example.txt'))
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    subprocess.run(['ansible-playbook', '-i', os.path.join(ROOT, 'inventories', 'production'), '--limit', HOST,
                    '-e', 'ansible_connection=local', '-e', f'ansible_python_interpreter={sys.executable}', path],
                   check=True, env=environment, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.monotonic() - start, cpu


def main(repetitions):
    with tempfile.TemporaryDirectory(prefix='render-') as workdir:
        empty = run([], 0, workdir)
        figures = {}
        for label, tasks in (('before', BEFORE), ('now', current_tasks())):
            wall, cpu = run(tasks, repetitions, workdir)
            figures[label] = ((wall - empty[0]) / repetitions, (cpu - empty[1]) / repetitions)
            print(f'{label:7} {figures[label][0]:5.2f} s wall  {figures[label][1]:5.2f} CPU s per resolution'
                  f' ({repetitions} resolutions of MLflow\'s service)')
    print(f'now / before: {figures["now"][0] / figures["before"][0]:.2f} of the wall time, '
          f'{figures["now"][1] / figures["before"][1]:.2f} of the CPU time')


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
