"""CPU seconds of compiling an application's environment to bytecode: every file (what
`uv pip install --compile-bytecode` and pip did before) against the python_app module's compile
step, which leaves the packages' own test suites out (module_utils/_python_app.UNCOMPILED).

    make setup
    .venv/bin/python benchmarks/bytecode.py [--packages 'mlflow[auth]==3.17.2' ...] [--rounds 3]

It builds one environment in a temporary directory with the module's own pip commands (from
PyPI, or the pip cache), then, per round, removes every .pyc and times each compile as the module
runs it (single-threaded, so the figure is CPU time whatever the machine does). It prints the
files compiled and the seconds of each way, then new / old. The default packages are MLflow's
set as the mlflow role pins it."""

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, '.cache', 'collections'))
from ansible_collections.efficientai.mlops.plugins.module_utils._python_app import (  # noqa: E402
    UNCOMPILED, python_app_commands)


def mlflow_packages():
    with open(os.path.join(REPO, 'roles', 'mlflow', 'defaults', 'main.yml'), encoding='utf-8') as defaults:
        text = defaults.read()
    pins = dict(re.findall(r'^(mlflow_version|mlflow_psycopg2_version): "([^"]+)"', text, re.M))
    return [f"mlflow[auth]=={pins['mlflow_version']}", f"psycopg2-binary=={pins['mlflow_psycopg2_version']}"]


def remove_bytecode(venv):
    for root, dirs, _files in os.walk(venv):
        if '__pycache__' in dirs:
            shutil.rmtree(os.path.join(root, '__pycache__'))
            dirs.remove('__pycache__')


def count_bytecode(venv):
    return sum(name.endswith('.pyc') for _root, _dirs, files in os.walk(venv) for name in files)


def timed_compile(argv):
    """CPU seconds (user + system) of the compile, its workers included (compileall's made
    single-threaded), and what it printed."""
    argv = list(argv)
    if '-j' in argv:
        argv[argv.index('-j') + 1] = '1'
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, check=False, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f'{argv[0]} {argv[1]} failed with status {done.returncode}: {done.stderr[-2000:]}')
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--packages', nargs='+', default=None)
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args()
    packages = args.packages or mlflow_packages()
    work = tempfile.mkdtemp(prefix='bytecode-')
    try:
        venv = os.path.join(work, 'venv')
        commands = python_app_commands({'python': sys.executable, 'packages': packages}, venv)
        started = time.time()
        for step in ('create', 'install'):
            subprocess.run(commands[step], check=True, env=dict(os.environ, **commands['environment']))
        print(f'environment of {" ".join(packages)} built in {time.time() - started:.0f} s')
        new = commands['compile']
        old = [argument for index, argument in enumerate(new) if argument != '-x' and new[index - 1] != '-x']
        figures = {'old': [], 'new': []}
        for _round in range(args.rounds):
            for way, argv in (('old', old), ('new', new)):
                remove_bytecode(venv)
                figures[way].append((timed_compile(argv)[0], count_bytecode(venv)))
        for way, label in (('old', 'every file'), ('new', f'without {UNCOMPILED}')):
            seconds = [cpu for cpu, _files in figures[way]]
            print(f'{way}: {label:45} {figures[way][0][1]:6d} .pyc  CPU s per round: '
                  + ' '.join(f'{cpu:.1f}' for cpu in seconds) + f'  (best {min(seconds):.1f})')
        best = {way: min(cpu for cpu, _files in figures[way]) for way in figures}
        print(f'new / old: {best["new"] / best["old"]:.2f} of the CPU time, '
              f'{figures["new"][0][1] / figures["old"][0][1]:.2f} of the files')
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
