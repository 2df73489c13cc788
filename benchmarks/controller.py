"""CPU seconds that ansible-playbook's own processes spend on the controller, in one run:

1. the main process while a task runs (a one-task playbook that sleeps), with Ansible's default
   internal_poll_interval (0.001) against ansible.cfg's;
2. a playbook of a few modules run locally, without the test bed's controller caches, with them
   empty (first run) and with them filled (later runs): molecule/_shared/ansiballz_cache, which
   keeps module payloads across runs and Jinja's compiled templates across worker processes.

    benchmarks/controller.py [REPETITIONS]

Needs `make setup` only (local connection). Prints the figures and the ratios against Ansible's
own behaviour measured in the same run."""

import configparser
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOK = os.path.join(ROOT, '.venv', 'bin', 'ansible-playbook')
HOOKS = os.path.join(ROOT, 'molecule', '_shared', 'ansiballz_cache')
SLEEP = 12
WAITING = '''- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.command: sleep %d
      changed_when: false
''' % SLEEP
MODULES = '''- hosts: localhost
  gather_facts: false
  vars:
    items: "{{ range(5) | list }}"
  tasks:
    - ansible.builtin.stat: {path: /etc/hostname}
    - ansible.builtin.command: "true"
      changed_when: false
    - ansible.builtin.file: {path: "{{ scratch }}/{{ item }}", state: directory, mode: "0700"}
      loop: "{{ items }}"
    - ansible.builtin.copy: {dest: "{{ scratch }}/file", content: "{{ items | map('string') | join(',') }}\\n", mode: "0600"}
    - ansible.builtin.lineinfile: {path: "{{ scratch }}/file", line: "{{ items | sum }}"}
    - ansible.builtin.assert:
        that: ["items | length == 5", "(items | sum) == 10"]
'''


def repository_poll_interval():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, 'ansible.cfg'))
    return parser['defaults'].get('internal_poll_interval', '0.001')


def config(directory, poll):
    """ansible.cfg with the repository's settings and this poll interval."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, 'ansible.cfg'))
    parser['defaults']['internal_poll_interval'] = str(poll)
    parser['defaults']['collections_path'] = os.path.join(ROOT, '.cache', 'collections')
    path = os.path.join(directory, f'ansible-{poll}.cfg')
    with open(path, 'w', encoding='utf-8') as stream:
        parser.write(stream)
    return path


def play(playbook, cfg, env=None):
    """CPU seconds of the run's process tree, and whether it passed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([PLAYBOOK, '-i', 'localhost,', '-c', 'local', playbook,
                             '-e', f'ansible_python_interpreter={sys.executable}'],
                            env=dict(os.environ, ANSIBLE_CONFIG=cfg, **(env or {})), capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f'{playbook} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}')
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main_process_ticks(playbook, cfg):
    """CPU ticks of the main process over the middle of the sleeping task."""
    process = subprocess.Popen([PLAYBOOK, '-i', 'localhost,', '-c', 'local', playbook,
                                '-e', f'ansible_python_interpreter={sys.executable}'],
                               env=dict(os.environ, ANSIBLE_CONFIG=cfg), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ticks():
        with open(f'/proc/{process.pid}/stat', encoding='utf-8') as stream:
            fields = stream.read().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])

    time.sleep(4)
    start, began = ticks(), time.monotonic()
    time.sleep(SLEEP - 6)
    used, seconds = ticks() - start, time.monotonic() - began
    if process.wait() != 0:
        sys.exit(f'{playbook} failed with {cfg}')
    return used / os.sysconf('SC_CLK_TCK') / seconds


def main(repetitions):
    with tempfile.TemporaryDirectory() as directory:
        waiting, modules = os.path.join(directory, 'waiting.yml'), os.path.join(directory, 'modules.yml')
        with open(waiting, 'w', encoding='utf-8') as stream:
            stream.write(WAITING)
        with open(modules, 'w', encoding='utf-8') as stream:
            stream.write(MODULES.replace('{{ scratch }}', os.path.join(directory, 'scratch')))
        default, ours = config(directory, 0.001), config(directory, repository_poll_interval())

        shares = {cfg: [main_process_ticks(waiting, cfg) for _repetition in range(repetitions)] for cfg in (default, ours)}
        print(f'main process while a task runs: {min(shares[default]):.3f} of a core at 0.001 (Ansible), '
              f'{min(shares[ours]):.3f} at {repository_poll_interval()} (ansible.cfg): ratio {min(shares[ours]) / min(shares[default]):.2f}')

        cache = os.path.join(directory, 'cache')
        hooks = {'PYTHONPATH': HOOKS, 'EFFICIENTAI_ANSIBALLZ_CACHE': cache}
        without, cold, warm = [], [], []
        for _repetition in range(repetitions):
            without.append(play(modules, ours))
            shutil.rmtree(cache, ignore_errors=True)
            os.makedirs(cache)
            cold.append(play(modules, ours, hooks))
            warm.append(play(modules, ours, hooks))
        print(f'playbook of 6 modules, CPU s (best of {repetitions}): without the caches {min(without):.2f}, '
              f'empty caches {min(cold):.2f}, filled caches {min(warm):.2f}: ratio {min(warm) / min(without):.2f}')


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
