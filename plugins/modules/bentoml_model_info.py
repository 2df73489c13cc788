#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bentoml_model_info
short_description: List the bentos or models of a BentoML store
version_added: 0.1.0
description:
  - Lists the bentos or the models of the store O(home) (C(BENTOML_HOME)) from their metadata files
    (C(bento.yaml), C(model.yaml)), as C(bentoml list) does, without starting the CLI.
options:
  name:
    description: Only the versions of this bento or model (a name without version).
    type: str
  kind:
    description: Whether to list bentos or models.
    type: str
    choices: [bento, model]
    default: bento
  home:
    description: The store, the C(BENTOML_HOME) of the deployment.
    type: path
    required: true
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
seealso:
  - module: efficientai.mlops.bentoml_model
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: List the versions of a bento in a deployment's store
  efficientai.mlops.bentoml_model_info:
    name: iris_classifier
    home: /opt/efficientai/bentoml/deployments/iris/home
  register: iris_versions
"""

RETURN = r"""
listed:
  description: The bentos or models, sorted by tag, with C(tag) and the top-level fields of their metadata.
  returned: always
  type: list
  elements: dict
  sample: [{tag: "iris_classifier:1.0.0", name: iris_classifier, version: 1.0.0, entry_service: IrisClassifier}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.efficientai.mlops.plugins.module_utils._bentoml import BentomlStore, tag_problem


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str'),
            kind=dict(type='str', choices=['bento', 'model'], default='bento'),
            home=dict(type='path', required=True),
        ),
        supports_check_mode=True,
    )
    name = module.params['name']
    if name is not None and (':' in name or tag_problem(name, require_version=False)):
        module.fail_json(msg=f'name: give a bento or model name without version, such as iris_classifier (got {name!r})')
    store = BentomlStore(module, None, module.params['home'])
    module.exit_json(changed=False, listed=[item for item in store.listing(module.params['kind'])
                                            if name is None or item['name'] == name])


if __name__ == '__main__':
    main()
