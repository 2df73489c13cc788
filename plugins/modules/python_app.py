#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: python_app
short_description: One Python application's virtual environment in one call - build, switch, keep, prune
version_added: 0.3.0
description:
  - Keeps a virtual environment per package specification under O(home)C(/venvs/<id>), the id a hash of the
    packages, the interpreter, the package sources and the installer. A specification without a complete
    environment gets a new one, built with uv or pip; an unchanged one runs nothing but the version query.
  - O(home)C(/venv) links to the environment of the specification, O(home)C(/venv.previous) to the one it
    replaced (the rollback target). Environments beyond O(keep_venvs), oldest first, are removed, never the
    current one nor the rollback target.
  - The environment's bytecode is compiled after either installer, since the service user cannot write it and
    every process start would compile its imports again; the packages' own C(tests) directories are left out.
    It is hash-checked bytecode (PEP 552), kept in O(bytecode_cache) by the SHA-256 of the source, so a module
    that an environment of the host compiled before (a patch's unchanged packages, dependencies that
    applications share) is copied, not compiled again.
  - uv, pinned by O(uv_version), is installed with pip once per host under O(tools_dir) the first time it builds
    something. When C(python -m venv) lacks C(ensurepip) on a Debian host and the module runs as root, it
    installs C(python3-venv) first.
  - The _common role's C(python_app) entry point calls it after it made the application's user.
options:
  name:
    description: The application's name (lowercase letters, digits, C(_), C(-)), for messages.
    type: str
    required: true
  packages:
    description: Pinned requirement specifiers.
    type: list
    elements: str
    required: true
  version_package:
    description: The distribution whose installed version is returned; the one the first package names by default.
    type: str
  home:
    description: The application's directory.
    type: path
    required: true
  python:
    description: The interpreter the environment is made from.
    type: str
    default: /usr/bin/python3
  installer:
    description: What builds the environment (C(mlops_python_installer)), V(uv) or V(pip).
    type: str
    default: uv
  uv_version:
    description: Version of uv.
    type: str
    default: 0.13.9
  tools_dir:
    description: Where uv gets a virtual environment of its own per version (C(uv-<version>)).
    type: path
    default: /opt/efficientai/tools
  index_url:
    description: Package index instead of PyPI; it may carry credentials, so it reaches the installer on stdin.
    type: str
    default: ''
  wheelhouse:
    description: Directory of wheels to install from as well (C(--find-links)).
    type: str
    default: ''
  offline:
    description: Install from the wheelhouse only.
    type: bool
    default: false
  extra_args:
    description: Further installer arguments (uv's or pip's), before the packages.
    type: list
    elements: str
    default: []
  proxy:
    description: HTTP(S) proxy of the installers.
    type: str
    default: ''
  keep_venvs:
    description: Environments kept, the current one included (at least 2, for rollback).
    type: int
    default: 2
  bytecode_cache:
    description:
      - Directory of compiled modules shared by the host's environments, made C(0700) if missing; by default
        C(.cache/efficientai/bytecode) in the home of the user the module runs as. Entries that no build used for
        30 days are removed. Not used (each module compiled) when another user could write to it or to a directory
        above it, since its content runs in every environment, nor when empty.
    type: path
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: It reports whether it would build or switch; the version is empty when the environment is not built yet.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The environment the C(venv) link points to, before and after.
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Install MLflow
  efficientai.mlops.python_app:
    name: mlflow
    packages: ["mlflow[auth]==3.17.2", "psycopg2-binary==2.9.13"]
    home: /opt/efficientai/mlflow
"""

RETURN = r"""
venv:
  description: The link to the current environment.
  returned: always
  type: str
  sample: /opt/efficientai/mlflow/venv
spec_id:
  description: The id of the specification's environment.
  returned: always
  type: str
  sample: 3f2a9c01d4e5
version:
  description: Installed version of O(version_package); empty in check mode before a build.
  returned: always
  type: str
  sample: 3.17.2
built:
  description: A new environment was (or would be) built.
  returned: always
  type: bool
switched:
  description: The C(venv) link was (or would be) pointed at another environment; what a service restarts for.
  returned: always
  type: bool
previous_venv:
  description: The rollback target (the path of the environment C(venv.previous) links to), empty when none.
  returned: always
  type: str
bytecode:
  description: When an environment was built with the cache, how many modules were copied from it, compiled, or could not
    be compiled.
  returned: when built
  type: dict
  sample: {cached: 5203, compiled: 1228, uncompilable: 0}
removed:
  description: Environments removed beyond O(keep_venvs).
  returned: always
  type: list
  elements: str
"""

import json
import os
import pwd
import re
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._python_app import (
    INSTALLERS, censor_credentials, python_app_commands, sorted_packages, spec_id, version_package)

MARKER = '.efficientai-spec'
NAME = re.compile(r'^[a-z0-9][a-z0-9_-]*$')
VERSION_QUERY = 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))'


class Builder:
    """Runs the installers; every failure ends the module with the installer's message, credentials censored."""

    def __init__(self, module, app):
        self.module, self.app = module, app

    def run(self, argv, environment, what):
        index_url = self.app['pip_index_url']
        rc, out, err = self.module.run_command(argv, environ_update=environment, data=index_url or None)
        if rc != 0:
            self.module.fail_json(msg=f"{what} (exit {rc}): {censor_credentials((err or out).strip())[-2000:]}")

    def compile(self, argv, venv, cached):
        """compileall's status 1 is a file that does not compile, which an installer ignores too;
        COMPILE_WITH_CACHE skips such files itself and prints its counts."""
        rc, out, err = self.module.run_command(argv)
        if rc != 0 and (cached or rc != 1):
            self.module.fail_json(msg=f"{argv[0]} could not compile {venv} (exit {rc}): {(err or out).strip()[-2000:]}")
        return json.loads(out.strip().splitlines()[-1]) if cached else {}

    def venv_support(self):
        """python -m venv needs ensurepip, which Debian ships apart (python3-venv)."""
        python = self.app['python']
        if self.module.run_command([python, '-c', 'import ensurepip'])[0] == 0:
            return
        apt = self.module.get_bin_path('apt-get')
        if not apt or os.geteuid() != 0:
            self.module.fail_json(msg=f"{python} -m venv cannot make environments (no ensurepip): install python3-venv")
        self.run([apt, 'install', '--yes', '--no-install-recommends', 'python3-venv'],
                 {'DEBIAN_FRONTEND': 'noninteractive'}, 'apt-get could not install python3-venv')

    def uv(self):
        """uv's executable, installed with pip into a venv of its own the first time."""
        params = self.module.params
        root = os.path.join(params['tools_dir'], f"uv-{params['uv_version']}")
        uv = os.path.join(root, 'bin', 'uv')
        if not os.path.exists(uv):
            self.venv_support()
            commands = python_app_commands(dict(self.app, packages=[f"uv=={params['uv_version']}"], pip_extra_args=[]),
                                           root, proxy=params['proxy'])
            shutil.rmtree(root, ignore_errors=True)
            self.run(commands['create'], commands['environment'], f"{self.app['python']} could not make uv's environment")
            self.run(commands['install'], commands['environment'],
                     f"pip could not install uv=={params['uv_version']}; set mlops_python_installer to pip to install without uv")
        return uv

    def build(self, venv):
        """A complete environment at `venv`, or the module fails and leaves none. Returns the bytecode
        cache's counts (empty without a cache)."""
        app, params = self.app, self.module.params
        cache = usable_cache(params['bytecode_cache']) if params['bytecode_cache'] != '' else ''
        if app['installer'] == 'uv':
            commands = python_app_commands(app, venv, uv=self.uv(), proxy=params['proxy'], bytecode_cache=cache)
        else:
            self.venv_support()
            commands = python_app_commands(app, venv, proxy=params['proxy'], bytecode_cache=cache)
        shutil.rmtree(venv, ignore_errors=True)  # a partial one from an interrupted run
        try:
            self.run(commands['create'], commands['environment'], f"{commands['installer']} could not create {venv}")
            self.run(commands['install'], commands['environment'],
                     f"{commands['installer']} could not install {' '.join(app['packages'])} for {app['name']}")
            counts = self.compile(commands['compile'], venv, bool(cache))
        except BaseException:
            shutil.rmtree(venv, ignore_errors=True)
            raise
        with open(os.path.join(venv, MARKER), 'w', encoding='utf-8') as marker:
            marker.write('\n'.join(sorted_packages(app['packages'])) + '\n')
        return counts


def usable_cache(path):
    """The bytecode cache at `path` (by default under the home of the user the module runs as, from
    the password database: not $HOME, which sudo may keep), made if missing; '' when it cannot be
    made, or when another user could write to it or replace it: what it holds runs in every
    environment of the host."""
    if path is None:
        path = os.path.join(pwd.getpwuid(os.geteuid()).pw_dir, '.cache', 'efficientai', 'bytecode')
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        status = os.stat(path)
    except OSError:
        return ''
    if status.st_uid != os.geteuid() or status.st_mode & 0o022:
        return ''
    parent = os.path.dirname(os.path.realpath(path))
    while True:
        status = os.stat(parent)
        if status.st_uid not in (0, os.geteuid()) or (status.st_mode & 0o022 and not status.st_mode & 0o1000):
            return ''
        if parent == os.path.dirname(parent):
            return path
        parent = os.path.dirname(parent)


def link_target(path):
    return os.readlink(path) if os.path.islink(path) else None


def point(link, target):
    """Make `link` point to `target`, atomically (a new link renamed over the old one)."""
    temporary = f'{link}.new'
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(target, temporary)
    os.replace(temporary, link)


def stale_environments(venvs_dir, keep, current, protected):
    """Environments beyond the newest `keep` (`current` counts as the newest when it is still to be
    built), never a protected one."""
    entries = [entry for entry in os.scandir(venvs_dir)
               if entry.is_dir(follow_symlinks=False) and not entry.name.startswith('.') and entry.name != current]
    entries.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime, reverse=True)
    names = [entry.name for entry in entries]
    if current not in names:
        names.insert(0, current)
    return [os.path.join(venvs_dir, name) for rank, name in enumerate(names) if rank >= keep and name not in protected]


def check_params(module):
    params = module.params
    problems = [
        (not NAME.match(params['name']), f"name must be lowercase letters, digits, '_' or '-' (got {params['name']!r})"),
        (not params['packages'] or not version_package(params['packages']),
         f"packages must be a list of at least one requirement specifier (got {params['packages']!r})"),
        (params['installer'] not in INSTALLERS,
         f"mlops_python_installer must be uv or pip (got {params['installer']!r}): set it to pip to install without uv"),
        (params['keep_venvs'] < 2, f"keep_venvs must be at least 2 so that a rollback target exists (got {params['keep_venvs']})"),
    ]
    for failed, message in problems:
        if failed:
            module.fail_json(msg=f"python_app {params['name']}: {message}")


def main():
    module = AnsibleModule(
        argument_spec={
            'name': {'type': 'str', 'required': True},
            'packages': {'type': 'list', 'elements': 'str', 'required': True},
            'version_package': {'type': 'str'},
            'home': {'type': 'path', 'required': True},
            'python': {'type': 'str', 'default': '/usr/bin/python3'},
            'installer': {'type': 'str', 'default': 'uv'},
            'uv_version': {'type': 'str', 'default': '0.13.9'},
            'tools_dir': {'type': 'path', 'default': '/opt/efficientai/tools'},
            'index_url': {'type': 'str', 'default': '', 'no_log': True},
            'wheelhouse': {'type': 'str', 'default': ''},
            'offline': {'type': 'bool', 'default': False},
            'extra_args': {'type': 'list', 'elements': 'str', 'default': []},
            'proxy': {'type': 'str', 'default': ''},
            'keep_venvs': {'type': 'int', 'default': 2},
            'bytecode_cache': {'type': 'path'},
        },
        supports_check_mode=True,
    )
    check_params(module)
    params = module.params
    app = {'name': params['name'], 'packages': params['packages'], 'python': params['python'],
           'installer': params['installer'], 'pip_index_url': params['index_url'],
           'pip_wheelhouse': params['wheelhouse'], 'pip_offline': params['offline'], 'pip_extra_args': params['extra_args']}
    ident = spec_id(app)
    home = params['home']
    venvs_dir = os.path.join(home, 'venvs')
    venv_link, previous_link = os.path.join(home, 'venv'), os.path.join(home, 'venv.previous')
    if os.path.exists(venv_link) and not os.path.islink(venv_link):
        module.fail_json(msg=f"python_app {params['name']}: {venv_link} is not a link to an environment; move it away")
    target = f'venvs/{ident}'
    built = not os.path.exists(os.path.join(venvs_dir, ident, MARKER))
    current = link_target(venv_link)
    keep_previous = current is not None and os.path.basename(current) != ident
    previous = current if keep_previous else link_target(previous_link)
    protected = {ident, os.path.basename(previous or '')}
    stale = stale_environments(venvs_dir, params['keep_venvs'], ident, protected) if os.path.isdir(venvs_dir) else []
    missing_dirs = [path for path in (home, venvs_dir) if not os.path.isdir(path)]
    changed = bool(built or current != target or stale or missing_dirs
                   or (keep_previous and link_target(previous_link) != current))

    bytecode = {}
    if not module.check_mode:
        for path in missing_dirs:
            os.makedirs(path, mode=0o755, exist_ok=True)
        if built:
            bytecode = Builder(module, app).build(os.path.join(venvs_dir, ident))
        if keep_previous and link_target(previous_link) != current:
            point(previous_link, current)
        if current != target:
            point(venv_link, target)
        for path in stale:
            shutil.rmtree(path)

    version = ''
    if not (module.check_mode and built):
        distribution = params['version_package'] or version_package(params['packages'])
        rc, out, err = module.run_command([os.path.join(venvs_dir, ident, 'bin', 'python'), '-c', VERSION_QUERY, distribution])
        if rc != 0:
            module.fail_json(msg=f"python_app {params['name']}: cannot read the version of {distribution}: "
                                 f"{err.strip() or out.strip()}")
        version = out.strip()
    module.exit_json(
        changed=changed, venv=venv_link, spec_id=ident, version=version, built=built, switched=current != target,
        removed=stale,
        previous_venv=os.path.join(home, previous) if previous else '', **({'bytecode': bytecode} if bytecode else {}),
        diff={'before': {'venv': current or ''}, 'after': {'venv': target}} if current != target else {})


if __name__ == '__main__':
    main()
