"""CPU seconds of compiling a patched application's environment to bytecode: from nothing (each
module compiled by compileall) against the python_app module's way, which copies from its bytecode
cache every module that an environment of the host compiled before (COMPILE_WITH_CACHE).

    make setup
    .venv/bin/python benchmarks/bytecode_reuse.py [--packages 'mlflow[auth]==3.17.2' ...] [--extra 'tomli-w==1.2.0']

It installs uv (the module's pinned version) into a temporary directory, builds the old
environment with the module's own uv commands (PyPI or uv's cache in that directory) and compiles
it through an empty cache, then builds the new one: the same packages plus --extra, as a patch
adds or changes a few. The new one is compiled twice: by compileall, single-threaded, after
removing its bytecode (baseline), and through the cache. Both figures are CPU seconds, workers
included, whatever the machine does. It prints both, the modules copied and compiled, and
cache / baseline."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, '.cache', 'collections'))
sys.path.insert(0, os.path.join(REPO, 'benchmarks'))
from ansible_collections.efficientai.mlops.plugins.module_utils._python_app import (  # noqa: E402
    COMPILE_WITH_CACHE, UNCOMPILED, python_app_commands)
from bytecode import count_bytecode, mlflow_packages, remove_bytecode, timed_compile  # noqa: E402


def build(uv, packages, venv, environment):
    commands = python_app_commands({'python': sys.executable, 'packages': packages}, venv, uv=uv)
    for step in ('create', 'install'):
        subprocess.run(commands[step], check=True, env=dict(os.environ, **commands['environment'], **environment))
    return commands['compile']


def compile_through(cache, venv):
    """CPU seconds of the module's compile through `cache`, and its counts."""
    seconds, printed = timed_compile([f'{venv}/bin/python', '-c', COMPILE_WITH_CACHE, f'{venv}/lib', cache, UNCOMPILED])
    return seconds, json.loads(printed)


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
        environment = {'UV_CACHE_DIR': os.path.join(work, 'cache')}
        cache = os.path.join(work, 'bytecode')
        old, new = os.path.join(work, 'old'), os.path.join(work, 'new')
        build(f'{tools}/bin/uv', packages, old, environment)
        cold, _counts = compile_through(cache, old)
        compileall = build(f'{tools}/bin/uv', packages + [args.extra], new, environment)
        baseline, _printed = timed_compile(compileall)
        files = count_bytecode(new)
        remove_bytecode(new)
        with_cache, counts = compile_through(cache, new)
        if count_bytecode(new) != files:
            sys.exit(f'the compile through the cache left {count_bytecode(new)} .pyc, not {files}')
        print(f'new environment: {" ".join(packages + [args.extra])}, {files} .pyc')
        print(f'baseline   compileall from nothing                  CPU s {baseline:.1f}')
        print(f'(the old environment through the empty cache: CPU s {cold:.1f}, its own compileall not run)')
        print(f'cache      {counts["cached"]:6d} copied, {counts["compiled"]:5d} compiled      CPU s {with_cache:.1f}')
        print(f'cache / baseline: {with_cache / baseline:.2f}')
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
