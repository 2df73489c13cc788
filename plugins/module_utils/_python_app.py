# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An application's virtual environment (the python_app module): its identity and the commands
that build it, with uv or with pip. An index URL may carry credentials, so it never goes on a
command line or in the environment: a shell reads it from stdin into the installer's own variable."""

from __future__ import annotations

import hashlib
import re

INSTALLERS = ('uv', 'pip')
_INDEX_VARIABLE = {'uv': 'UV_DEFAULT_INDEX', 'pip': 'PIP_INDEX_URL'}
# The credentials of a URL (scheme://user:password@host), censored in installers' messages.
_URL_CREDENTIALS = re.compile(r'(://)[^/@\s]+@')
# The packages' own test suites, which no application imports: not compiled (a quarter of the
# files of MLflow's environment and half of its compile time). Anchored below site-packages, so
# that an environment under a directory named test still compiles.
UNCOMPILED = r'/site-packages/(.+/)?tests?/'


# Compiles an environment's modules (argv: the environment's lib directory, the bytecode cache,
# UNCOMPILED) with the environment's own interpreter, so that the bytecode is that interpreter's.
# The bytecode is hash-checked (PEP 552): valid for the same source wherever it lies, whatever its
# time stamp, so a module that another environment of the host already compiled (the same release
# of a package: a patch, or two applications sharing dependencies) is copied from the cache, keyed
# by the SHA-256 of the interpreter's magic number and the source, instead of being compiled again.
# Python checks the source's hash at each import and rewrites the code's file name to the module's
# own; an entry that does not load (a crash while it was written) is compiled again, and entries
# that no build used for 30 days are removed. Writers that share the cache (containers) never
# share a temporary name. Prints {"cached": n, "compiled": n, "uncompilable": n}: a file that does
# not compile (a package's Python 2 leftovers) gets no bytecode, as with compileall.
COMPILE_WITH_CACHE = r"""
import hashlib, importlib.util, json, marshal, multiprocessing, os, py_compile, re, sys, tempfile, time
lib, cache, uncompiled = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
HEADER = importlib.util.MAGIC_NUMBER + (3).to_bytes(4, "little")
UNUSED_DAYS, DAY = 30, 86400

# Entries no build used for UNUSED_DAYS go (a hit renews an entry's time), at most once a day.
def prune():
    stamp = os.path.join(cache, ".pruned")
    try:
        if time.time() - os.stat(stamp).st_mtime < DAY:
            return
    except OSError:
        pass
    oldest = time.time() - UNUSED_DAYS * DAY
    for directory, _subdirs, files in os.walk(cache):
        for name in files:
            path = os.path.join(directory, name)
            try:
                if path != stamp and os.stat(path).st_mtime < oldest:
                    os.unlink(path)
            except OSError:
                pass
    with open(stamp, "w"):
        pass

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)

def loads(data):
    try:
        return marshal.loads(data[16:]) is not None
    except (EOFError, ValueError, TypeError):
        return False

def one(path):
    with open(path, "rb") as stream:
        source = stream.read()
    key = hashlib.sha256(importlib.util.MAGIC_NUMBER + source).hexdigest()
    entry, target = os.path.join(cache, key[:2], key), importlib.util.cache_from_source(path)
    try:
        with open(entry, "rb") as stream:
            data = stream.read()
    except OSError:
        data = b""
    if data[:8] == HEADER and data[8:16] == importlib.util.source_hash(source) and loads(data):
        write(target, data)
        try:
            os.utime(entry)
        except OSError:
            pass
        return "cached"
    try:
        py_compile.compile(path, cfile=target, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    except py_compile.PyCompileError:
        return "uncompilable"
    with open(target, "rb") as stream:
        write(entry, stream.read())
    return "compiled"

paths = [os.path.join(directory, name) for directory, subdirs, files in os.walk(lib) for name in files
         if name.endswith(".py") and "__pycache__" not in directory and not uncompiled.search(os.path.join(directory, name))]
counts = dict.fromkeys(("cached", "compiled", "uncompilable"), 0)
with multiprocessing.get_context("fork").Pool() as pool:
    for outcome in pool.imap_unordered(one, paths, chunksize=32):
        counts[outcome] += 1
prune()
print(json.dumps(counts))
"""


def sorted_packages(packages):
    """Case-insensitively, as the environments' identities and markers have always been sorted."""
    return sorted(packages, key=str.lower)


def spec_id(app):
    """Twelve hex digits naming the environment of `app`: a new specification (packages,
    interpreter, package sources, or an installer other than pip: uv resolves the unpinned
    dependencies differently) gets a new environment; pip adds nothing, so pip's ids never changed."""
    fields = (sorted_packages(app['packages'])
              + [app['python'], app.get('pip_index_url') or '', app.get('pip_wheelhouse') or '',
                 str(bool(app.get('pip_offline')))]
              + list(app.get('pip_extra_args') or [])
              + ([] if app.get('installer', 'pip') == 'pip' else [app['installer']]))
    return hashlib.sha1('\n'.join(fields).encode()).hexdigest()[:12]


def version_package(packages):
    """The distribution a requirement specifier names: mlflow for mlflow[auth]==3.17.2."""
    return re.sub(r'[\[<>=!~ ;].*$', '', packages[0]) if packages else ''


def censor_credentials(text):
    return _URL_CREDENTIALS.sub(r'\1********@', text)


def _index_on_stdin(variable, argv):
    return ['sh', '-c', f'IFS= read -r {variable} && export {variable} && exec "$@"', 'install'] + argv


def python_app_commands(app, venv, uv='', proxy='', bytecode_cache=''):
    """Return {create, install, compile, environment, installer} for building `venv` from `app`
    (python, packages, pip_index_url, pip_wheelhouse, pip_offline, pip_extra_args): uv's when `uv`
    is the path of a uv executable, else the interpreter's venv module and the new environment's
    pip. The compile takes what it can from `bytecode_cache` (COMPILE_WITH_CACHE) when given."""
    if not isinstance(app, dict) or not app.get('packages'):
        raise ValueError('python_app_commands expects an application with a list of packages')
    if not venv:
        raise ValueError('python_app_commands needs the path of the virtual environment')
    installer = 'uv' if uv else 'pip'
    sources = [arg for arg in ('--find-links', app.get('pip_wheelhouse')) if app.get('pip_wheelhouse')]
    offline = bool(app.get('pip_offline'))
    if installer == 'uv':
        # Seeded with pip like `python -m venv`: tools run inside the environment expect it
        # (`bentoml build` installs its own uv with the environment's pip).
        create = [uv, 'venv', '--quiet', '--seed', '--python', app['python'], venv]
        install = ([uv, 'pip', 'install', '--quiet', '--python', f'{venv}/bin/python'] + sources
                   + (['--offline', '--no-index'] if offline else []))
        # The platform's certificate store holds a corporate CA as it does for pip; the
        # interpreter is always given, so uv never downloads one.
        environment = {'UV_SYSTEM_CERTS': '1', 'UV_PYTHON_DOWNLOADS': 'never', 'UV_NO_PROGRESS': '1'}
    else:
        create = [app['python'], '-m', 'venv', venv]
        install = ([f'{venv}/bin/pip', 'install', '--quiet', '--disable-pip-version-check', '--no-compile'] + sources
                   + (['--no-index'] if offline else []))
        environment = {}
    if proxy:
        environment.update({'HTTPS_PROXY': proxy, 'HTTP_PROXY': proxy})
    install += list(app.get('pip_extra_args') or []) + list(app['packages'])
    if app.get('pip_index_url'):
        install = _index_on_stdin(_INDEX_VARIABLE[installer], install)
    # Bytecode is compiled once the packages are in: the environment is root's and read-only to
    # the service user, so Python could not cache it, and every process start (each service, each
    # airflow CLI call) would compile its imports again. Quiet: a file that does not compile (a
    # package's Python 2 leftovers) is no install failure, as with pip's and uv's own compile.
    compile_bytecode = ([f'{venv}/bin/python', '-c', COMPILE_WITH_CACHE, f'{venv}/lib', bytecode_cache, UNCOMPILED]
                        if bytecode_cache else
                        [f'{venv}/bin/python', '-m', 'compileall', '-q', '-q', '-j', '0', '-x', UNCOMPILED, f'{venv}/lib'])
    return {'create': create, 'install': install, 'compile': compile_bytecode, 'environment': environment,
            'installer': installer}
