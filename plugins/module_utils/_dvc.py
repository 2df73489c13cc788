# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""Internal to efficientai.mlops: running DVC for the dvc_* modules.

One client per project runs the `dvc` command line, or DVC's own configuration code
through the interpreter DVC is installed in (so that values are quoted, merged and
validated exactly as DVC does, and secrets travel on stdin, never on a command line).
The parsing of DVC's output lives here so that unit tests can call it directly."""

from __future__ import annotations

import copy
import json
import os
import re

# Analytics and update checks phone home; operators run offline or must not leak usage.
DVC_ENVIRONMENT = {'DVC_NO_ANALYTICS': '1', 'LC_ALL': 'C.UTF-8'}

DVC_ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    executable=dict(type='str', default='dvc'),
)

# Module option values of the configuration level -> DVC's level names, and their files.
LEVELS = {'project': 'repo', 'local': 'local'}
FILES = {'repo': '.dvc/config', 'local': '.dvc/config.local'}

PRIVATE_LOCAL_FILE = 'made .dvc/config.local readable by its owner only (0600)'

# Keys of a remote section whose values are never shown.
SECRET_KEYS = frozenset(('access_key_id', 'secret_access_key', 'session_token', 'password',
                         'sse_customer_key', 'gdrive_client_secret', 'account_key', 'sas_token',
                         'client_secret', 'token'))

# Files that `dvc` creates in a project when it opens it; created ahead with the
# project's owner when we run as root, so that a root run never locks the owner out.
_PROJECT_RUNTIME_FILES = ('lock', 'btime')

_CONFIG_HELPER = r'''
import json, os, sys
try:
    from dvc.config import Config, ConfigError, merge
except ImportError as error:
    print(json.dumps({"error": "cannot import DVC with %s: %s" % (sys.executable, error)}))
    sys.exit(0)

def apply(conf, operations):  # the same as apply_edits in _dvc.py, for one level
    for path, value in operations:
        node = conf
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value

request = json.load(sys.stdin)
config = Config(dvc_dir=request["dvc_dir"], validate=False)
edits = request["edits"]
try:
    if edits:
        # All levels as they will be, validated before any file is written.
        merged = {}
        for level in Config.LEVELS:
            if level in config.files:
                conf = config.load_one(level)
                for edited, operations in edits:
                    if edited == level:
                        apply(conf, operations)
                merge(merged, conf)
        Config.validate(merged)
    for level, operations in edits:
        with config.edit(level) as conf:
            apply(conf, operations)
    print(json.dumps({"config": {level: Config.load_file(config.files[level]) if os.path.exists(config.files[level]) else {}
                                 for level in ("repo", "local")}}))
except ConfigError as error:
    print(json.dumps({"error": str(error)}))
'''

_GC_REMOVING = re.compile(r'^Removing (?P<path>.+)$')
_GC_REMOVED = re.compile(r"^Removed (?P<count>\d+) objects from (?:(?P<scheme>\S+) cache|(?P<remote>remote))\.$")
_GC_NOTHING = re.compile(r"^No unused (?:'(?P<scheme>[^']+)' cache to remove|cache to remove from (?P<remote>remote))\.$")


class DvcError(Exception):
    """A DVC command or configuration request that failed."""


def parse_gc_output(text):
    """Read the output of `dvc gc` (with or without --dry).

    Returns {'cache': {'count', 'paths'}, 'remote': {'count', 'paths'}}. DVC lists the
    objects ("Removing <path>") only in a dry run, each list before the summary line of
    its storage; a real run prints only the summaries."""
    result = {'cache': {'count': 0, 'paths': []}, 'remote': {'count': 0, 'paths': []}}
    pending = []
    for line in text.splitlines():
        line = line.strip()
        removing = _GC_REMOVING.match(line)
        if removing:
            pending.append(removing.group('path'))
            continue
        summary = _GC_REMOVED.match(line) or _GC_NOTHING.match(line)
        if not summary:
            continue
        where = result['remote' if summary.group('remote') else 'cache']
        count = int(summary.groupdict().get('count') or 0)
        if pending and len(pending) != count:
            raise DvcError(f'dvc gc listed {len(pending)} objects but counted {count}: unknown output format')
        where['count'] += count
        where['paths'].extend(pending)
        pending = []
    if pending:
        raise DvcError('dvc gc listed objects without a summary line: unknown output format')
    return result


def apply_edits(config, edits):
    """The configuration ({'repo': {...}, 'local': {...}}) after `edits`, as DVC writes it.

    `edits` is [(level, [(path, value), ...]), ...] with paths such as ['core', 'autostage']
    or ['remote', name, 'url']; value None removes what the path names (['remote', name]:
    the whole remote). The helper that runs in DVC's interpreter applies them the same way."""
    config = copy.deepcopy(config)
    for level, operations in edits:
        for path, value in operations:
            node = config.setdefault(level, {})
            for key in path[:-1]:
                node = node.setdefault(key, {})
            if value is None:
                node.pop(path[-1], None)
            else:
                node[path[-1]] = value
    return config


def describe_edits(edits):
    """What the edits change, in words and without values."""
    changes = []
    for level, operations in edits:
        where = FILES[level]
        for path, value in operations:
            if path == ['core', 'remote']:
                changes.append(f"made '{value}' the default remote in {where}" if value
                               else f'unset the default remote in {where}')
            elif path[0] == 'remote' and len(path) == 2:
                changes.append(f"removed remote '{path[1]}' from {where}")
            else:
                what = f"{path[2]} of remote '{path[1]}'" if path[0] == 'remote' else '.'.join(path)
                changes.append(f"{'set' if value is not None else 'unset'} {what} in {where}")
    return changes


def last_lines(text, count=10):
    return '\n'.join(text.strip().splitlines()[-count:])


class DvcClient:
    """Runs DVC for one project on behalf of a module."""

    def __init__(self, module):
        self.module = module
        self.root = module.params['path']
        self.dvc_dir = os.path.join(self.root, '.dvc')
        self._executable = None

    @property
    def initialised(self):
        return os.path.isfile(os.path.join(self.dvc_dir, 'config'))

    @property
    def executable(self):
        if self._executable is None:
            wanted = self.module.params['executable']
            found = wanted if os.path.isabs(wanted) else self.module.get_bin_path(wanted)
            if not found or not os.access(found, os.X_OK):
                raise DvcError(f"DVC is not installed: '{wanted}' is not an executable (set executable)")
            self._executable = found
        return self._executable

    @property
    def interpreter(self):
        """The Python that DVC is installed in: next to the real `dvc` script."""
        bin_dir = os.path.dirname(os.path.realpath(self.executable))
        for name in ('python3', 'python'):
            candidate = os.path.join(bin_dir, name)
            if os.access(candidate, os.X_OK):
                return candidate
        raise DvcError(f'no Python interpreter next to {self.executable}: install DVC into a virtual environment')

    def run(self, args, cwd=None):
        """Run `dvc ARGS` in the project and return its stdout; a failure raises DvcError."""
        argv = [self.executable] + list(args)
        rc, out, err = self.module.run_command(argv, cwd=cwd or self.root, environ_update=DVC_ENVIRONMENT)
        if rc != 0:
            raise DvcError(f"'dvc {' '.join(args)}' failed (rc={rc}): {last_lines(err or out)}")
        return out

    @property
    def local_file(self):
        return os.path.join(self.dvc_dir, 'config.local')

    def current_config(self):
        """The project's configuration; in check mode, an empty one for a project that
        `dvc init` has not created yet (everything is then predicted as added)."""
        if self.initialised:
            return self.config()
        if self.module.check_mode:
            return {'repo': {}, 'local': {}}
        raise DvcError(f'{self.root} is not a DVC project (no .dvc/config): run dvc init first '
                       '(the efficientai.mlops.dvc role does it for its workspaces)')

    def local_file_is_open(self):
        """.dvc/config.local is where DVC keeps credentials: only its owner may read it."""
        return os.path.exists(self.local_file) and os.stat(self.local_file).st_mode & 0o077 != 0

    def write(self, edits):
        """Apply the edits, then keep .dvc/config.local private (0600; as root, a new one
        is given to the project's owner)."""
        existed = os.path.exists(self.local_file)
        if edits:
            self.config(edits)
        if os.path.exists(self.local_file):
            os.chmod(self.local_file, 0o600)
            if not existed:
                give_to_project_owner(self.local_file, self.root)

    def config(self, edits=()):
        """Apply `edits` (see apply_edits) with DVC's own
        configuration code, then return the project ('repo') and 'local' levels as written."""
        request = json.dumps({'dvc_dir': self.dvc_dir, 'edits': [list(edit) for edit in edits]})
        rc, out, err = self.module.run_command([self.interpreter, '-c', _CONFIG_HELPER], data=request,
                                               cwd=self.root, environ_update=DVC_ENVIRONMENT,
                                               binary_data=True)
        try:
            answer = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise DvcError(f'cannot read the DVC configuration of {self.root} (rc={rc}): {last_lines(err or out)}') from None
        if 'error' in answer:
            raise DvcError(f'DVC refused the configuration of {self.root}: {answer["error"]}')
        return answer['config']


def give_to_project_owner(path, project_root):
    """When running as root, hand `path` to the owner of the project's .dvc directory."""
    if os.geteuid() != 0:
        return
    owner = os.stat(os.path.join(project_root, '.dvc'))
    os.chown(path, owner.st_uid, owner.st_gid)


def prepare_project_for_root(project_root):
    """Create the runtime files DVC would otherwise create as root in someone else's project.

    Returns the paths created (none when not root, for root's own project, or when nothing
    was missing)."""
    if os.geteuid() != 0 or os.stat(os.path.join(project_root, '.dvc')).st_uid == 0:
        return []
    created = []
    tmp_dir = os.path.join(project_root, '.dvc', 'tmp')
    if not os.path.isdir(tmp_dir):
        os.mkdir(tmp_dir, 0o755)
        give_to_project_owner(tmp_dir, project_root)
        created.append(tmp_dir)
    for name in _PROJECT_RUNTIME_FILES:
        path = os.path.join(tmp_dir, name)
        if not os.path.exists(path):
            with open(path, 'a'):
                pass
            give_to_project_owner(path, project_root)
            created.append(path)
    return created
