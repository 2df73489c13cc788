"""Test bed only: the controller keeps the AnsiballZ payloads Ansible builds, from one playbook run
to the next.

Ansible builds a module's payload (the module and every module_utils it imports, found by
parsing their imports) once per ansible-playbook run, in that run's own temporary directory, and
throws it away at exit. The test bed runs about 500 playbooks, which build the same payloads
again and again: in CI40, ~2,200 of Ansible's worker processes took 0.2-1 CPU s each against
~0.05 for the rest. Here each run's payload directory is a link to PAYLOADS/<stamp>, kept across
runs; the stamp changes with Ansible's versions, this checkout's path and the size and time of
every file of the collection's modules and module_utils, so an edited module is built again.
Ansible's own lock (a file beside each payload) keeps concurrent runs from building one twice.
sitecustomize.py calls share_run_directory when Ansible's module builder is imported; any problem
with the directory leaves Ansible's own cache in place.
"""

import hashlib
import os
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PAYLOADS = os.path.join(os.environ.get('EFFICIENTAI_ANSIBALLZ_CACHE', os.path.expanduser('~/.cache/efficientai/ansiballz')),
                        'payloads')
SOURCES = ('plugins/modules', 'plugins/module_utils')


def stamp(checkout=CHECKOUT):
    """What the payloads depend on besides their names: Ansible's versions and the collection's files."""
    from importlib.metadata import PackageNotFoundError, version  # pylint: disable=import-outside-toplevel
    try:
        ansible = version('ansible')
    except PackageNotFoundError:
        ansible = 'none'
    digest = hashlib.sha256(f'{version("ansible-core")}\0{ansible}\0{sys.prefix}\0{checkout}\0'.encode())
    for source in SOURCES:
        for directory, subdirectories, files in os.walk(os.path.join(checkout, source)):
            subdirectories[:] = sorted(name for name in subdirectories if name != '__pycache__')
            for name in sorted(files):
                status = os.stat(os.path.join(directory, name))
                digest.update(f'{directory}/{name}\0{status.st_size}\0{status.st_mtime_ns}\n'.encode())
    return digest.hexdigest()[:20]


def share(run_directory, payloads=PAYLOADS):
    """Makes run_directory/ansiballz_cache (where Ansible keeps this run's payloads) a link to the
    kept directory of this stamp."""
    kept = os.path.join(payloads, stamp())
    os.makedirs(kept, exist_ok=True)
    link = os.path.join(run_directory, 'ansiballz_cache')
    if not os.path.lexists(link):
        os.symlink(kept, link)


def share_run_directory(builder):
    """After Ansible's module builder (ansible.executor.module_common) is imported: shares the
    payload directory of this run, which its import made in the main process."""
    try:
        share(builder.C.DEFAULT_LOCAL_TMP)
    except OSError:
        pass  # Ansible's own cache, for this run only
