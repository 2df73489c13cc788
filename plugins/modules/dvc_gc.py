#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dvc_gc
short_description: Remove unused data from a DVC cache and remote, dry run first
version_added: 0.1.0
description:
  - Runs C(dvc gc) on a project. It always runs C(dvc gc --dry) first, which lists the
    objects that would be removed; when there are none nothing else runs and nothing changes.
    Otherwise it runs C(dvc gc --force) with the same flags and reports what was removed.
  - What is kept is chosen with the flags of C(dvc gc) (at least one is required)
    O(workspace), O(all_branches), O(all_tags), O(all_commits), O(all_experiments),
    O(rev) or O(date). Everything else in the cache (and with O(cloud), in the remote) is removed.
  - Projects that share the cache must all be named, the project in O(path) and the others in
    O(projects), or the data that only they use is removed.
  - There is no C(dvc cache clean) in DVC 3; this is the supported way to shrink a cache.
extends_documentation_fragment:
  - efficientai.mlops.dvc
attributes:
  check_mode:
    description: Runs only C(dvc gc --dry) and reports what would be removed.
    support: full
  diff_mode:
    description: Nothing to show, the result lists what was removed.
    support: none
options:
  workspace:
    description: Keep the data used in the workspace (C(--workspace)).
    type: bool
    default: false
  all_branches:
    description: Keep the data of the tips of all Git branches (C(--all-branches)).
    type: bool
    default: false
  all_tags:
    description: Keep the data of all Git tags (C(--all-tags)).
    type: bool
    default: false
  all_commits:
    description: Keep the data of all Git commits (C(--all-commits)).
    type: bool
    default: false
  all_experiments:
    description: Keep the data of all experiments (C(--all-experiments)).
    type: bool
    default: false
  rev:
    description: Keep the data of this Git revision (C(--rev)).
    type: str
  num:
    description: With O(rev) or O(all_branches), keep the last I(num) commits of each (C(--num)).
    type: int
  date:
    description: Keep the data of the commits since this day, C(YYYY-MM-DD) (C(--date)).
    type: str
  cloud:
    description: Also remove the unused data from the remote (C(--cloud)).
    type: bool
    default: false
  remote:
    description: The remote for O(cloud) or O(not_in_remote) instead of the default one (C(--remote)).
    type: str
  not_in_remote:
    description: Keep the data that is not in the remote yet (C(--not-in-remote)).
    type: bool
    default: false
  projects:
    description: Other projects that use the same cache, whose data is kept too (C(--projects)).
    type: list
    elements: path
    default: []
  jobs:
    description: Parallel jobs (C(--jobs)).
    type: int
  skip_failed:
    description: Skip revisions that cannot be collected (C(--skip-failed)).
    type: bool
    default: false
notes:
  - Run as root (for a cache shared by several users), the module first creates the lock files
    that DVC would otherwise create as root in the projects (C(.dvc/tmp/lock), C(.dvc/tmp/btime)),
    owned by each project's owner, also in check mode - so the owners are never locked out.
  - As root, the Git scopes (O(all_branches), O(all_tags), O(all_commits), O(rev), O(date)) need
    root to trust the projects' repositories (C(git config --global --add safe.directory PATH)),
    which the module does not do for you; O(workspace) needs nothing.
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Weekly clean-up of a shared cache, keeping what every project's workspace uses
  efficientai.mlops.dvc_gc:
    path: /srv/projects/churn
    projects: [/srv/projects/fraud, /srv/projects/ranking]
    executable: /opt/efficientai/dvc/venv/bin/dvc
    workspace: true
  register: dvc_gc_result

- name: Keep every tagged release, also in the remote
  efficientai.mlops.dvc_gc:
    path: /srv/projects/churn
    all_tags: true
    cloud: true
    remote: storage
"""

RETURN = r"""
removed:
  description: Paths of the objects removed (in check mode, that would be removed), per storage.
  returned: always
  type: dict
  contains:
    cache:
      description: Paths in the local cache.
      type: list
      elements: str
    remote:
      description: Paths in the remote (with O(cloud)).
      type: list
      elements: str
  sample: {"cache": ["/srv/dvc-cache/files/md5/3b/5d5c3712955042212316173ccf37be"], "remote": []}
removed_count:
  description: Number of objects removed (in check mode, that would be removed), per storage, as DVC counted them.
  returned: always
  type: dict
  sample: {"cache": 1, "remote": 0}
command:
  description: The C(dvc gc) arguments used (without C(--dry) or C(--force)).
  returned: always
  type: list
  elements: str
  sample: ["gc", "--workspace", "--projects", "/srv/projects/fraud"]
prepared:
  description: Runtime files created ahead for the projects' owners (see notes).
  returned: always
  type: list
  elements: str
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._dvc import (
    DVC_ARGUMENT_SPEC, DvcClient, DvcError, parse_gc_output, prepare_project_for_root)

_FLAGS = (('workspace', '--workspace'), ('all_branches', '--all-branches'), ('all_tags', '--all-tags'),
          ('all_commits', '--all-commits'), ('all_experiments', '--all-experiments'),
          ('not_in_remote', '--not-in-remote'), ('cloud', '--cloud'), ('skip_failed', '--skip-failed'))
_VALUES = (('rev', '--rev'), ('num', '--num'), ('date', '--date'), ('remote', '--remote'), ('jobs', '--jobs'))
_SCOPES = ('workspace', 'all_branches', 'all_tags', 'all_commits', 'all_experiments', 'rev', 'date')
_DATE = re.compile(r'^\d{4}-\d{2}-\d{2}$')


def problems(params):
    """What is wrong with the arguments, in DVC's own terms (it would refuse them too)."""
    found = []
    if not any(params.get(scope) for scope in _SCOPES):
        found.append('say what to keep: set at least one of ' + ', '.join(_SCOPES))
    if params.get('remote') and not (params.get('cloud') or params.get('not_in_remote')):
        found.append('remote needs cloud or not_in_remote')
    if params.get('cloud') and params.get('not_in_remote'):
        found.append('cloud and not_in_remote are mutually exclusive')
    if params.get('num') is not None and not (params.get('rev') or params.get('all_branches')):
        found.append('num needs rev or all_branches')
    if params.get('date') and not _DATE.match(params['date']):
        found.append(f"date '{params['date']}' must look like YYYY-MM-DD")
    return found


def gc_arguments(params):
    """The `dvc gc` arguments for the module's parameters."""
    argv = ['gc'] + [flag for option, flag in _FLAGS if params.get(option)]
    for option, flag in _VALUES:
        if params.get(option) not in (None, ''):
            argv += [flag, str(params[option])]
    if params.get('projects'):
        argv += ['--projects'] + list(params['projects'])
    return argv


class DvcGc:
    def __init__(self, module):
        self.module = module
        self.client = DvcClient(module)

    def run(self):
        params = self.module.params
        found = problems(params)
        if found:
            self.module.fail_json(msg='dvc_gc: ' + '; '.join(found))
        for project in [params['path']] + params['projects']:
            if not os.path.isfile(os.path.join(project, '.dvc', 'config')):
                self.module.fail_json(msg=f'{project} is not a DVC project (no .dvc/config)')
        prepared = [path for project in [params['path']] + params['projects'] for path in prepare_project_for_root(project)]
        argv = gc_arguments(params)
        planned = parse_gc_output(self.client.run(argv + ['--dry']))
        result = dict(command=argv, prepared=prepared,
                      removed={where: planned[where]['paths'] for where in planned},
                      removed_count={where: planned[where]['count'] for where in planned})
        wanted = sum(result['removed_count'].values())
        if self.module.check_mode or not wanted:
            self.module.exit_json(changed=bool(wanted), **result)

        done = parse_gc_output(self.client.run(argv + ['--force']))
        result['removed_count'] = {where: done[where]['count'] for where in done}
        if result['removed_count'] != {where: planned[where]['count'] for where in planned}:
            self.module.warn(f"dvc gc removed {result['removed_count']} objects after its dry run listed "
                             f"{len(planned['cache']['paths'])} (cache) and {len(planned['remote']['paths'])} "
                             '(remote): the projects changed in between; removed lists the dry run')
        self.module.exit_json(changed=True, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            DVC_ARGUMENT_SPEC,
            workspace=dict(type='bool', default=False),
            all_branches=dict(type='bool', default=False),
            all_tags=dict(type='bool', default=False),
            all_commits=dict(type='bool', default=False),
            all_experiments=dict(type='bool', default=False),
            rev=dict(type='str'),
            num=dict(type='int'),
            date=dict(type='str'),
            cloud=dict(type='bool', default=False),
            remote=dict(type='str'),
            not_in_remote=dict(type='bool', default=False),
            projects=dict(type='list', elements='path', default=[]),
            jobs=dict(type='int'),
            skip_failed=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    try:
        DvcGc(module).run()
    except DvcError as error:
        module.fail_json(msg=str(error))


if __name__ == '__main__':
    main()
