"""Test bed only: Python on the Molecule containers keeps the code it compiles for Ansible's modules.

Ansible sends each module with its module_utils as a zip that Python imports with zipimport,
which never caches bytecode: every task compiled ansible.module_utils.basic and the rest again,
about 0.15 CPU seconds of the 0.25 a module run costs in a container, on a two-core CI machine that
runs tens of thousands of them (issue 19). This keeps each compiled source in CACHE, a directory
the test bed shares between its containers, keyed by the interpreter's magic number and the
source's SHA-256, so a module behaves exactly as before and only the compiling is skipped.
Loaded at interpreter start by efficientai_ansiballz_cache.pth (molecule/_shared/create.yml mounts
both into the containers); any problem with the cache falls back to compiling as usual.
"""

import marshal
import os
import sys
import zipimport

# The containers' mount point; the controller's own Python (sitecustomize.py) names its directory.
CACHE = os.environ.get('EFFICIENTAI_ANSIBALLZ_CACHE', '/var/cache/efficientai-ansiballz')
_compile_source = zipimport._compile_source  # pylint: disable=protected-access


def _with_filename(code, filename):
    """The cached code object named after this run's zip (tracebacks name the right file)."""
    consts = tuple(_with_filename(const, filename) if isinstance(const, type(code)) else const
                   for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _entry(source):
    import hashlib  # pylint: disable=import-outside-toplevel  # only when a zip is imported
    from importlib.util import MAGIC_NUMBER  # pylint: disable=import-outside-toplevel
    return os.path.join(CACHE, hashlib.sha256(MAGIC_NUMBER + source).hexdigest())


def compile_source_cached(pathname, source):
    """zipimport's _compile_source, through the cache."""
    try:
        entry = _entry(source)
        with open(entry, 'rb') as stream:
            return _with_filename(marshal.load(stream), pathname)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    code = _compile_source(pathname, source)
    try:
        store(entry, code)
    except OSError:  # a service user, or a read-only cache: compiled as before
        pass
    return code


def store(entry, code):
    """Writes a code object to entry, whole or not at all (the controller's Jinja cache uses it too)."""
    # A unique name, not the PID: the containers' processes share the cache, not a PID namespace.
    import tempfile  # pylint: disable=import-outside-toplevel
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(entry), suffix='.tmp')
    try:
        with os.fdopen(descriptor, 'wb') as stream:
            marshal.dump(code, stream)
        os.chmod(temporary, 0o644)
        os.replace(temporary, entry)  # whole or absent
    except BaseException:
        os.unlink(temporary)
        raise


if os.path.isdir(CACHE) and sys.implementation.name == 'cpython':
    zipimport._compile_source = compile_source_cached  # pylint: disable=protected-access
