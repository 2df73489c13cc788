#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bentoml_model
short_description: Manage the bentos and models of a BentoML store
version_added: 0.1.0
description:
  - Imports a bento or a model from an exported archive (C(bentoml import), C(bentoml models import)),
    exports one or removes one, with the C(bentoml) CLI of an installation on the target host. The
    store is the directory O(home) (C(BENTOML_HOME)). M(efficientai.mlops.bentoml_model_info) lists it.
  - What the store holds is read from its metadata files (C(bento.yaml), C(model.yaml)), as
    C(bentoml get) does, without starting the CLI; only changes run it.
  - Items are compared by tag. Tags are immutable in BentoML, so an item whose tag is in the store
    is not imported again, and nothing is downloaded for it.
  - An archive that holds another tag than O(name) is refused, and what it brought is removed again.
options:
  name:
    description: Tag C(name:version) of the bento or model. The version must be named (not V(latest)).
    type: str
    required: true
  kind:
    description: Whether O(name) is a bento or a model.
    type: str
    choices: [bento, model]
    default: bento
  state:
    description:
      - V(present) imports the item from O(src) unless the store holds it.
      - V(absent) removes it from the store.
      - V(exported) writes it to the archive O(dest) unless that archive already holds this tag.
    type: str
    choices: [present, absent, exported]
    default: present
  src:
    description:
      - Archive to import with O(state=present), made by C(bentoml export) or C(bentoml models export),
        a path on the target host or an fsspec URL such as V(s3://bucket/iris-1.0.0.bento).
      - S3 needs the C(s3fs) package in the installation; credentials and a custom endpoint come from
        O(environment) (C(AWS_ACCESS_KEY_ID), C(AWS_SECRET_ACCESS_KEY), C(FSSPEC_S3_ENDPOINT_URL)).
      - Without it, O(state=present) only checks that the store holds the item.
    type: str
  dest:
    description:
      - Archive to write with O(state=exported), a path on the target host ending in C(.bento) (bentos),
        C(.bentomodel) (models), C(.tar), C(.gz), C(.xz) or C(.bz2). It is replaced atomically.
    type: path
  home:
    description: The store, the C(BENTOML_HOME) of the deployment.
    type: path
    required: true
  executable:
    description: The C(bentoml) program of the installation's virtual environment.
    type: path
    default: bentoml
  environment:
    description: Further environment of the CLI, such as S3 credentials. Values are kept out of logs and errors.
    type: dict
    default: {}
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
requirements:
  - BentoML 1.4 on the target host.
seealso:
  - module: efficientai.mlops.bentoml_model_info
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Import the bento of a deployment from S3
  efficientai.mlops.bentoml_model:
    name: iris_classifier:1.0.0
    src: s3://models/iris_classifier-1.0.0.bento
    home: /opt/efficientai/bentoml/deployments/iris/home
    executable: /opt/efficientai/bentoml/venv/bin/bentoml
    environment:
      AWS_ACCESS_KEY_ID: "{{ vault_s3_key_id }}"
      AWS_SECRET_ACCESS_KEY: "{{ vault_s3_secret }}"

- name: Export a model for another team
  efficientai.mlops.bentoml_model:
    name: iris_clf:1.0.0
    kind: model
    state: exported
    dest: /srv/share/iris_clf-1.0.0.bentomodel
    mode: "0644"
    home: /opt/efficientai/bentoml/deployments/iris/home
    executable: /opt/efficientai/bentoml/venv/bin/bentoml
"""

RETURN = r"""
tag:
  description: The tag the module worked on.
  returned: always
  type: str
  sample: iris_classifier:1.0.0
info:
  description:
    - The top-level fields of the item's C(bento.yaml) or C(model.yaml) (for a bento, among others
      C(entry_service), the service class that C(bentoml serve) runs); empty when it is absent
      or in check mode before an import.
  returned: always
  type: dict
  sample: {name: iris_classifier, version: 1.0.0, entry_service: IrisClassifier}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.efficientai.mlops.plugins.module_utils._bentoml import (
    BentomlCliError, BentomlStore, archive_tag, tag_problem)

# `bentoml export` appends its own extension to any other name; zip archives cannot be compared.
_EXPORT_EXTENSIONS = {'bento': ('.bento', '.tar', '.gz', '.xz', '.bz2'),
                      'model': ('.bentomodel', '.tar', '.gz', '.xz', '.bz2')}


class BentomlModel:
    def __init__(self, module, store):
        self.module = module
        self.store = store
        self.params = module.params
        self.kind = module.params['kind']
        self.tag = module.params['name']

    def result(self, changed, before, after, info=None, **extra):
        return dict(changed=changed, tag=self.tag, info=info or {},
                    diff={'before': before, 'after': after}, **extra)

    def present(self):
        current = self.store.get(self.kind, self.tag)
        if current is not None:
            return self.result(False, {'state': 'present'}, {'state': 'present'}, current)
        source = self.params['src']
        if not source:
            self.module.fail_json(msg=f"the {self.kind} {self.tag} is not in the store {self.params['home']} "
                                      f"and no src was given to import it from")
        if '://' not in source and not os.path.isfile(source):
            self.module.fail_json(msg=f"cannot import the {self.kind} {self.tag}: {source} is not a file on the target host")
        if self.module.check_mode:
            return self.result(True, {'state': 'absent'}, {'state': 'present'})
        imported = self.store.import_archive(self.kind, source)
        if imported != self.tag:
            # Importing fails for a tag the store holds already, so this one came with the archive.
            self.store.delete(self.kind, imported)
            self.module.fail_json(msg=f"{source} holds the {self.kind} {imported}, not {self.tag}: "
                                      f"removed it again; fix src or name")
        return self.result(True, {'state': 'absent'}, {'state': 'present'}, self.store.get(self.kind, self.tag))

    def absent(self):
        current = self.store.get(self.kind, self.tag)
        if current is not None and not self.module.check_mode:
            self.store.delete(self.kind, self.tag)
        return self.result(current is not None, {'state': 'present' if current else 'absent'}, {'state': 'absent'})

    def exported(self):
        dest = self.params['dest']
        if not dest:
            self.module.fail_json(msg='state=exported needs dest')
        if not dest.endswith(_EXPORT_EXTENSIONS[self.kind]):
            self.module.fail_json(msg=f"dest {dest} must end with one of {', '.join(_EXPORT_EXTENSIONS[self.kind])}")
        if not os.path.isdir(os.path.dirname(dest) or '.'):
            self.module.fail_json(msg=f"the directory of dest {dest} does not exist")
        current = self.store.get(self.kind, self.tag)
        if current is None:
            self.module.fail_json(msg=f"cannot export the {self.kind} {self.tag}: it is not in the store {self.params['home']}")
        before = archive_tag(dest, self.kind) if os.path.exists(dest) else None
        changed = before != self.tag
        if changed and not self.module.check_mode:
            directory, base = os.path.split(dest)
            temporary = os.path.join(directory, f'.tmp-{os.getpid()}-{base}')
            try:
                self.store.export(self.kind, self.tag, temporary)
                os.replace(temporary, dest)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        file_args = self.module.load_file_common_arguments(self.params, path=dest)
        changed = self.module.set_fs_attributes_if_different(file_args, changed)
        return self.result(changed, {'dest': dest, 'tag': before}, {'dest': dest, 'tag': self.tag}, current, dest=dest)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            kind=dict(type='str', choices=['bento', 'model'], default='bento'),
            state=dict(type='str', choices=['present', 'absent', 'exported'], default='present'),
            src=dict(type='str'),
            dest=dict(type='path'),
            home=dict(type='path', required=True),
            executable=dict(type='path', default='bentoml'),
            environment=dict(type='dict', default={}, no_log=True),
        ),
        required_if=[('state', 'exported', ['dest'])],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    problem = tag_problem(module.params['name'])
    if problem:
        module.fail_json(msg=f'name: {problem}')
    worker = BentomlModel(module, BentomlStore(module, module.params['executable'], module.params['home'],
                                               module.params['environment']))
    try:
        module.exit_json(**getattr(worker, module.params['state'])())
    except BentomlCliError as error:
        module.fail_json(msg=str(error))


if __name__ == '__main__':
    main()
