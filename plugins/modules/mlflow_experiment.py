#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mlflow_experiment
short_description: Manage MLflow experiments, and clean up old experiments and runs
version_added: 0.1.0
description:
  - Creates, deletes or restores an MLflow experiment by name and keeps its tags, through the
    tracking server's REST API.
  - With O(state=cleaned), deletes the experiments that saw no activity for O(older_than_days)
    days and, with O(delete_runs=true), the finished runs that started before then, and reports
    what it deleted. In check mode it reports what it would delete.
  - MLflow deletes softly (the C(deleted) lifecycle stage); C(mlflow gc) removes deleted
    experiments and runs, and their artifacts, for good.
extends_documentation_fragment:
  - efficientai.mlops.rest
options:
  name:
    description: Experiment name. Required unless O(state=cleaned).
    type: str
  state:
    description:
      - V(present) creates the experiment if needed and sets its tags; a deleted experiment is
        not brought back silently (use V(restored)).
      - V(absent) deletes it (softly).
      - V(restored) restores a deleted experiment and sets its tags.
      - V(cleaned) deletes old experiments (and runs), see O(older_than_days).
    type: str
    choices: [present, absent, restored, cleaned]
    default: present
  tags:
    description: Tags the experiment must have (values are strings).
    type: dict
    default: {}
  purge_tags:
    description: Remove the user tags that are not in O(tags) (MLflow's own C(mlflow.*) tags are kept).
    type: bool
    default: false
  artifact_location:
    description:
      - Artifact root of a new experiment; by default the server's (proxied C(mlflow-artifacts:/)).
      - MLflow cannot move an existing experiment's artifacts; a different value is an error.
    type: str
  older_than_days:
    description:
      - For O(state=cleaned). An experiment is deleted when its creation, its last update and the
        start of its newest run are all older than this; the C(Default) experiment never is.
    type: int
  filter:
    description:
      - For O(state=cleaned). MLflow search filter that limits the experiments considered,
        for example V(name LIKE 'scratch-%').
    type: str
    default: ""
  delete_runs:
    description:
      - For O(state=cleaned). Also delete the finished (not running) runs that started more than
        O(older_than_days) days ago in the experiments that are kept.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: An experiment with its owners
  efficientai.mlops.mlflow_experiment:
    url: http://127.0.0.1:5000
    username: admin
    password: "{{ mlflow_admin_password }}"
    name: churn-model
    tags: {team: growth, cost_center: "42"}

- name: Delete scratch experiments and old runs untouched for 90 days
  efficientai.mlops.mlflow_experiment:
    url: http://127.0.0.1:5000
    username: admin
    password: "{{ mlflow_admin_password }}"
    state: cleaned
    older_than_days: 90
    filter: "name LIKE 'scratch-%'"
    delete_runs: true
  register: cleanup

- name: Show what went
  ansible.builtin.debug:
    msg: "{{ cleanup.deleted_experiments | map(attribute='name') }} and {{ cleanup.deleted_runs | length }} runs"
"""

RETURN = r"""
experiment:
  description: The experiment after the change; empty when it does not exist or for O(state=cleaned).
  returned: always
  type: dict
  contains:
    experiment_id: {description: Its id (absent for one only predicted in check mode)., type: str}
    name: {description: Its name., type: str}
    lifecycle_stage: {description: V(active) or V(deleted)., type: str}
    artifact_location: {description: Its artifact root., type: str}
    tags: {description: Its user tags., type: dict}
deleted_experiments:
  description: For O(state=cleaned), the experiments deleted (or, in check mode, to delete).
  returned: always
  type: list
  elements: dict
  sample: [{experiment_id: "7", name: scratch-lr}]
deleted_runs:
  description: For O(state=cleaned), the runs deleted (or, in check mode, to delete).
  returned: always
  type: list
  elements: dict
  sample: [{run_id: 1f0c..., experiment_id: "3"}]
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._mlflow import (
    MlflowApi, is_stale, tag_changes, tags_of)
from ansible_collections.efficientai.mlops.plugins.module_utils.rest import REST_ARGUMENT_SPEC, RestError

DAY_MS = 86400 * 1000


def summary(experiment):
    if not experiment:
        return {}
    return {key: experiment.get(key) for key in ('experiment_id', 'name', 'lifecycle_stage', 'artifact_location')
            if experiment.get(key) is not None} | {'tags': tags_of(experiment)}


class MlflowExperiment:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check = module.check_mode
        self.api = MlflowApi(module)

    def run(self):
        if self.params['state'] == 'cleaned':
            return self.clean()
        before = self.api.get_experiment_by_name(self.params['name'])
        after = getattr(self, self.params['state'])(before)
        diff = {'before': self._managed(before), 'after': self._managed(after)}
        self.module.exit_json(changed=diff['before'] != diff['after'], experiment=summary(after),
                              deleted_experiments=[], deleted_runs=[], diff=diff)

    def _managed(self, experiment):
        """What this module manages: the server picks the id and the default artifact location,
        so a check-mode prediction cannot know them."""
        shown = summary(experiment)
        keys = ('name', 'lifecycle_stage', 'tags') + (('artifact_location',) if self.params['artifact_location'] else ())
        return {key: shown[key] for key in keys if key in shown}

    def present(self, before):
        name, tags = self.params['name'], self.params['tags']
        if before is None:
            after = {'name': name, 'lifecycle_stage': 'active', 'tags': [{'key': k, 'value': str(v)} for k, v in tags.items()]}
            if self.params['artifact_location']:
                after['artifact_location'] = self.params['artifact_location']
            if not self.check:
                experiment_id = self.api.create_experiment(name, self.params['artifact_location'], tags)
                after = self.api.get_experiment_by_name(name) or dict(after, experiment_id=experiment_id)
            return after
        if before['lifecycle_stage'] != 'active':
            self.module.fail_json(msg=f"experiment '{name}' is deleted: use state=restored to bring it back, "
                                      "or remove it for good with mlflow gc before creating it again")
        location = self.params['artifact_location']
        if location and location != before.get('artifact_location'):
            self.module.fail_json(msg=f"experiment '{name}' keeps its artifacts at {before.get('artifact_location')}; "
                                      f"MLflow cannot move them to {location}")
        return self._tag(before)

    def absent(self, before):
        if before is None or before['lifecycle_stage'] != 'active':
            return before
        if not self.check:
            self.api.delete_experiment(before['experiment_id'])
        return dict(before, lifecycle_stage='deleted')

    def restored(self, before):
        if before is None:
            self.module.fail_json(msg=f"experiment '{self.params['name']}' does not exist, deleted or not; nothing to restore")
        after = before
        if before['lifecycle_stage'] != 'active':
            if not self.check:
                self.api.restore_experiment(before['experiment_id'])
            after = dict(before, lifecycle_stage='active')
        return self._tag(after)

    def _tag(self, experiment):
        current = tags_of(experiment)
        to_set, to_delete = tag_changes(current, self.params['tags'], self.params['purge_tags'])
        if not self.check:
            for key, value in sorted(to_set.items()):
                self.api.set_experiment_tag(experiment['experiment_id'], key, value)
            for key in to_delete:
                self.api.delete_experiment_tag(experiment['experiment_id'], key)
        wanted = {k: v for k, v in current.items() if k not in to_delete} | to_set
        system = [tag for tag in experiment.get('tags') or [] if tag['key'] not in current]
        return dict(experiment, tags=system + [{'key': k, 'value': v} for k, v in sorted(wanted.items())])

    def clean(self):
        cutoff_ms = int(time.time() * 1000) - self.params['older_than_days'] * DAY_MS
        candidates = list(self.api.search_experiments(self.params['filter']))
        stale = [e for e in candidates if is_stale(e, self.api.latest_run_start(e['experiment_id']), cutoff_ms)]
        kept = [e['experiment_id'] for e in candidates if e not in stale]
        runs = []
        if self.params['delete_runs'] and kept:
            runs = [{'run_id': run['run_id'], 'experiment_id': run['experiment_id']}
                    for run in self.api.search_finished_runs_before(kept, cutoff_ms)]
        if not self.check:
            for run in runs:
                self.api.delete_run(run['run_id'])
            for experiment in stale:
                self.api.delete_experiment(experiment['experiment_id'])
        deleted = [{'experiment_id': e['experiment_id'], 'name': e['name']} for e in stale]
        self.module.exit_json(changed=bool(deleted or runs), experiment={}, deleted_experiments=deleted,
                              deleted_runs=runs)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            REST_ARGUMENT_SPEC,
            name=dict(type='str'),
            state=dict(type='str', choices=['present', 'absent', 'restored', 'cleaned'], default='present'),
            tags=dict(type='dict', default={}),
            purge_tags=dict(type='bool', default=False),
            artifact_location=dict(type='str'),
            older_than_days=dict(type='int'),
            filter=dict(type='str', default=''),
            delete_runs=dict(type='bool', default=False),
        ),
        required_if=[('state', 'present', ['name']), ('state', 'absent', ['name']),
                     ('state', 'restored', ['name']), ('state', 'cleaned', ['older_than_days'])],
        supports_check_mode=True,
    )
    if module.params['state'] == 'cleaned' and module.params['older_than_days'] < 1:
        module.fail_json(msg=f"older_than_days must be at least 1, got {module.params['older_than_days']}")
    try:
        MlflowExperiment(module).run()
    except RestError as error:
        module.fail_json(msg=f'MLflow experiment: {error}')


if __name__ == '__main__':
    main()
