#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dvc_config
short_description: Set options of a DVC project's configuration
version_added: 0.1.0
description:
  - Sets or unsets options such as C(core.autostage), C(core.site_cache_dir) or C(cache.dir) in
    the project configuration C(.dvc/config) (committed) or in C(.dvc/config.local) (this host's
    only, kept readable by its owner only), like C(dvc config), idempotently.
  - Values are written with DVC's own configuration code, which validates them and writes the
    file in its own format (so that C(dvc config) and this module never fight over it).
  - Remotes are managed with M(efficientai.mlops.dvc_remote).
extends_documentation_fragment:
  - efficientai.mlops.dvc
attributes:
  check_mode:
    description: Predicts the changes without writing; on a host where the project is not initialised yet, every option is predicted as set.
    support: full
  diff_mode:
    description: Shows the options of the configuration file before and after.
    support: full
options:
  level:
    description:
      - V(project) (C(.dvc/config)) or V(local) (C(.dvc/config.local)).
    type: str
    choices: [project, local]
    default: project
  settings:
    description:
      - Options as C(section.option) names and their values; booleans are written as C(true) and
        C(false). An empty value (or V(null)) unsets the option. Options not listed are left as they are.
    type: dict
    required: true
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Stage what DVC changes, for the whole team
  efficientai.mlops.dvc_config:
    path: /srv/projects/churn
    settings:
      core.autostage: true

- name: Settings of this host only
  efficientai.mlops.dvc_config:
    path: /srv/projects/churn
    level: local
    settings:
      core.site_cache_dir: /var/cache/efficientai/dvc/ana
      core.analytics: false
      cache.dir: /srv/dvc-cache
      cache.shared: group
      cache.type: ""
"""

RETURN = r"""
changes:
  description: What was (or, in check mode, would be) changed.
  returned: always
  type: list
  elements: str
  sample: ["set core.autostage in .dvc/config"]
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._dvc import (
    DVC_ARGUMENT_SPEC, FILES, LEVELS, PRIVATE_LOCAL_FILE, DvcClient, DvcError, apply_edits, describe_edits)

_NAME = re.compile(r'^([a-z_]+)\.([a-z_]+)$')


def as_text(value):
    """A value as DVC's configuration holds it; None for an option to unset."""
    if value is None or value == '':
        return None
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def plan(current, level, settings):
    """The edits that give `level` of `current` the settings ([] when it has them already)."""
    conf = current.get(LEVELS[level], {})
    operations = []
    for name, value in sorted(settings.items()):
        section, key = _NAME.match(name).groups()
        wanted, have = as_text(value), conf.get(section, {}).get(key)
        if wanted != have and not (wanted is None and have is None):
            operations.append(([section, key], wanted))
    return [(LEVELS[level], operations)] if operations else []


def problems(settings):
    """Names that are not section.option, or that belong to dvc_remote."""
    found = []
    for name, value in settings.items():
        match = _NAME.match(name)
        if not match:
            found.append(f"'{name}' is not a section.option name such as core.autostage")
        elif match.group(1) == 'remote' or name == 'core.remote':
            found.append(f"'{name}' is about remotes: use the efficientai.mlops.dvc_remote module")
        elif isinstance(value, (dict, list)):
            found.append(f"'{name}' must be a single value")
    return found


def view(config, level):
    return {section: dict(sorted(options.items()))
            for section, options in sorted(config.get(LEVELS[level], {}).items())
            if options and isinstance(options, dict) and section not in ('remote', 'machine', 'db')}


class DvcConfig:
    def __init__(self, module):
        self.module = module
        self.client = DvcClient(module)

    def run(self):
        params = self.module.params
        found = problems(params['settings'])
        if found:
            self.module.fail_json(msg='dvc_config: ' + '; '.join(found))
        current = self.client.current_config()
        edits = plan(current, params['level'], params['settings'])
        changes = describe_edits(edits)
        if self.client.local_file_is_open():
            changes.append(PRIVATE_LOCAL_FILE)
        if changes and not self.module.check_mode:
            self.client.write(edits)
        where = FILES[LEVELS[params['level']]]
        self.module.exit_json(changed=bool(changes), changes=changes,
                              diff={'before_header': where, 'after_header': where,
                                    'before': view(current, params['level']),
                                    'after': view(apply_edits(current, edits), params['level'])})


def main():
    module = AnsibleModule(
        argument_spec=dict(
            DVC_ARGUMENT_SPEC,
            level=dict(type='str', choices=list(LEVELS), default='project'),
            settings=dict(type='dict', required=True),
        ),
        supports_check_mode=True,
    )
    try:
        DvcConfig(module).run()
    except DvcError as error:
        module.fail_json(msg=str(error))


if __name__ == '__main__':
    main()
