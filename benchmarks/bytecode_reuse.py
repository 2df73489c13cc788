"""CPU seconds of compiling a patched application's environment to bytecode: from nothing (each
module compiled) against the python_app module's way, which first copies the bytecode of the
environment it replaces for every module that is the same file in both (reuse_bytecode).

    make setup
    .venv/bin/python benchmarks/bytecode_reuse.py [--packages 'mlflow[auth]==3.17.2' ...] [--extra 'tomli-w==1.2.0']

It installs uv (the module's pinned version) into a temporary directory, builds the old
environment with the module's own uv commands (PyPI or uv's cache in that directory), compiles
it, then builds the new one: the same packages plus --extra, as a patch adds or changes a few.
The new one is compiled twice, single-threaded (so the figure is CPU time whatever the machine
does): after removing its bytecode (baseline), and after reuse_bytecode. It prints both, the
files reused and reused / baseline."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, '.cache', 'collections'))
sys.path.insert(0, os.path.join(REPO, 'benchmarks'))
from ansible_collections.efficientai.mlops.plugins.module_utils._python_app import python_app_commands  # noqa: E402
from ansible_collections.efficientai.mlops.plugins.modules.python_app import reuse_bytecode  # noqa: E402
from bytecode import count_bytecode, mlflow_packages, remove_bytecode, timed_compile  # noqa: E402


def build(uv, packages, venv, environment):
    commands = python_app_commands({'python': sys.executable, 'packages': packages}, venv, uv=uv)
    for step in ('create', 'install'):
        subprocess.run(commands[step], check=True, env=dict(os.environ, **commands['environment'], **environment))
    return commands['compile']


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--packages', nargs='+', default=None)
    parser.add_argument('--extra', default='tomli-w==1.2.0')
    parser.add_argument('--uv-version', default='0.13.9')
    args = parser.parse_args()
    packages = args.packages or mlflow_packages()
    work = tempfile.mkdtemp(prefix='bytecode-reuse-')
    try:
        tools = os.path.join(work, 'uv')
        subprocess.run([sys.executable, '-m', 'venv', tools], check=True)
        subprocess.run([f'{tools}/bin/pip', 'install', '-q', f'uv=={args.uv_version}'], check=True)
        environment = {'UV_CACHE_DIR': os.path.join(work, 'cache')}  # the same file system: uv links
        old, new = os.path.join(work, 'old'), os.path.join(work, 'new')
        subprocess.run(build(f'{tools}/bin/uv', packages, old, environment), check=False)
        compile_new = build(f'{tools}/bin/uv', packages + [args.extra], new, environment)
        baseline = timed_compile(compile_new)
        files = count_bytecode(new)
        remove_bytecode(new)
        reused = reuse_bytecode(old, new)
        with_reuse = timed_compile(compile_new)
        if count_bytecode(new) != files:
            sys.exit(f'the compile after reuse left {count_bytecode(new)} .pyc, not {files}')
        print(f'new environment: {" ".join(packages + [args.extra])}, {files} .pyc')
        print(f'baseline   compile from nothing         CPU s {baseline:.1f}')
        print(f'reuse      {reused:6d} .pyc copied first    CPU s {with_reuse:.1f}')
        print(f'reuse / baseline: {with_reuse / baseline:.2f}')
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
