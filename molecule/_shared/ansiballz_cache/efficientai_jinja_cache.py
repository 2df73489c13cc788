"""Test bed only: the controller keeps the code Jinja compiles for each template, across processes.

Ansible renders a task's templates in a worker process forked for that task and host, which
exits when the task ends, so every worker compiles the same templates again: a third of the
workers' CPU time in a profile of the `common` converge (issue 19). This keeps the code object of
each template source in DIRECTORY, keyed by everything that shapes it: the source, the
environment's class and syntax settings, Ansible's compile-time backslash escaping, and the
versions of Python, Jinja and Ansible. Only template sources are cached (not the node trees of
expressions); a source that does not compile raises as before and stores nothing, and a cache
that cannot be read or written costs only the compile.
"""

import hashlib
import marshal
import os
import sys

from efficientai_ansiballz_cache import CACHE, store

DIRECTORY = os.path.join(CACHE, 'jinja')
# Environment attributes that change what the lexer, parser or code generator make of a source.
SETTINGS = ('block_start_string', 'block_end_string', 'variable_start_string', 'variable_end_string',
            'comment_start_string', 'comment_end_string', 'line_statement_prefix', 'line_comment_prefix',
            'trim_blocks', 'lstrip_blocks', 'newline_sequence', 'keep_trailing_newline', 'optimized',
            'is_async', 'autoescape')  # autoescape: a bool here (Ansible's is False)


def _escaping():
    """Ansible's backslash escaping of the compile in progress (None outside Ansible's compiles)."""
    context = sys.modules.get('ansible._internal._templating._jinja_bits')
    if context is None:
        return None
    current = context._TemplateCompileContext.current(optional=True)  # pylint: disable=protected-access
    return None if current is None else current.escape_backslashes


def entry(environment, source, name, filename, defer_init):
    import jinja2  # pylint: disable=import-outside-toplevel
    ansible = sys.modules.get('ansible.release')
    shape = (sys.version, jinja2.__version__, getattr(ansible, '__version__', None),
             type(environment).__module__, type(environment).__qualname__, environment.code_generator_class.__qualname__,
             tuple(repr(getattr(environment, setting, None)) for setting in SETTINGS), tuple(sorted(environment.extensions)),
             getattr(environment.finalize, '__qualname__', environment.finalize is not None),
             _escaping(), name, filename, defer_init)
    digest = hashlib.sha256(repr(shape).encode())
    digest.update(b'\0' + source.encode('utf-8', 'surrogatepass'))
    return os.path.join(DIRECTORY, digest.hexdigest())


def cached(compile_source):
    """jinja2.Environment.compile through the cache, for template sources."""
    from jinja2.utils import internal_code  # pylint: disable=import-outside-toplevel

    def compile_cached(environment, source, name=None, filename=None, raw=False, defer_init=False):
        if raw or not isinstance(source, str):
            return compile_source(environment, source, name, filename, raw, defer_init)
        try:
            path = entry(environment, source, name, filename, defer_init)
        except Exception:  # pylint: disable=broad-exception-caught  # an environment this does not know
            return compile_source(environment, source, name, filename, raw, defer_init)
        try:
            with open(path, 'rb') as stream:
                return marshal.load(stream)
        except (OSError, EOFError, ValueError, TypeError):
            pass
        code = compile_source(environment, source, name, filename, raw, defer_init)
        try:
            os.makedirs(DIRECTORY, exist_ok=True)
            store(path, code)
        except OSError:
            pass
        return code

    internal_code.add(compile_cached.__code__)  # hidden from template tracebacks, as Jinja's own
    return compile_cached


def install(environment_module):
    """After jinja2.environment is imported."""
    environment_module.Environment.compile = cached(environment_module.Environment.compile)
