#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mlflow_user
short_description: Manage a user of MLflow's basic-auth app
version_added: 0.1.0
description:
  - Creates, updates or deletes a user of an MLflow tracking server that runs with
    C(--app-name basic-auth), through its REST API, authenticated as an admin.
  - The user is read first (C(users/get)); a user is created only when it does not exist, so
    the server's answer to a duplicate create, which contains the password hash, never happens.
    Server messages that look like SQL or a hash are withheld from every error.
  - With O(update_password=always), the password is checked by logging in as the user
    (C(users/current)) and changed only when that fails.
extends_documentation_fragment:
  - efficientai.mlops.rest
options:
  name:
    description: User name.
    type: str
    required: true
  state:
    description: Whether the user exists.
    type: str
    choices: [present, absent]
    default: present
  user_password:
    description:
      - The user's password, at least 12 characters (MLflow's minimum).
      - Required to create a user.
    type: str
  update_password:
    description:
      - V(on_create) sets the password only when the user is created.
      - V(always) also changes the password of an existing user when O(user_password) does not log in.
    type: str
    choices: [always, on_create]
    default: on_create
  admin:
    description: Whether the user is an admin; left as it is when omitted (a new user is not).
    type: bool
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
notes:
  - O(username) and O(password) are the admin that the module logs in as. To rotate that
    admin's own password, log in with the old one and give the new one as O(user_password)
    with O(update_password=always).
  - MLflow does not let users delete themselves; the module refuses before asking.
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: A data scientist who can log in
  efficientai.mlops.mlflow_user:
    url: https://mlflow.example.com
    username: admin
    password: "{{ mlflow_admin_password }}"
    name: ana
    user_password: "{{ vault_mlflow_ana_password }}"

- name: Rotate the admin password
  efficientai.mlops.mlflow_user:
    url: http://127.0.0.1:5000
    username: admin
    password: "{{ mlflow_admin_previous_password }}"
    name: admin
    user_password: "{{ mlflow_admin_password }}"
    update_password: always

- name: Remove a user
  efficientai.mlops.mlflow_user:
    url: http://127.0.0.1:5000
    username: admin
    password: "{{ mlflow_admin_password }}"
    name: former-colleague
    state: absent
"""

RETURN = r"""
user:
  description: The user after the change (before a deletion); empty when it does not exist.
  returned: always
  type: dict
  contains:
    id: {description: The user's id (absent for a user only predicted in check mode)., type: int}
    username: {description: User name., type: str}
    is_admin: {description: Whether the user is an admin., type: bool}
  sample: {id: 2, username: ana, is_admin: false}
password_changed:
  description: Whether the password was (or, in check mode, would be) set.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils._mlflow import MlflowApi
from ansible_collections.efficientai.mlops.plugins.module_utils.rest import REST_ARGUMENT_SPEC, RestError

MIN_PASSWORD_LENGTH = 12


class MlflowUser:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.api = MlflowApi(module)
        self.name = self.params['name']

    def run(self):
        before = self.api.get_user(self.name)
        if self.params['state'] == 'absent':
            return self._absent(before)
        return self._present(before)

    def _present(self, before):
        password = self.params['user_password']
        admin = self.params['admin']
        if before is None:
            if not password:
                self.module.fail_json(msg=f"user_password is required to create the MLflow user '{self.name}'")
            after = {'username': self.name, 'is_admin': bool(admin)}
            if not self.module.check_mode:
                after = self.api.create_user(self.name, password)
                if admin:
                    self.api.update_admin(self.name, True)
                    after = dict(after, is_admin=True)
            return self._exit(before, after, password_changed=True)

        after = dict(before)
        change_password = (self.params['update_password'] == 'always' and bool(password)
                           and not self.api.authenticates_as(self.name, password))
        if admin is not None and bool(before['is_admin']) != admin:
            after['is_admin'] = admin
            if not self.module.check_mode:
                self.api.update_admin(self.name, admin)
        if change_password and not self.module.check_mode:
            own = self.name == self.params['username']
            self.api.update_password(self.name, password, self.params['password'] if own else None)
        return self._exit(before, after, password_changed=change_password)

    def _absent(self, before):
        if before is not None:
            if self.name == self.params['username']:
                self.module.fail_json(msg=f"the MLflow user '{self.name}' cannot delete itself; log in as another admin")
            if not self.module.check_mode:
                self.api.delete_user(self.name)
        return self._exit(before, None, password_changed=False)

    def _exit(self, before, after, password_changed):
        def shown(user):
            return {'username': user['username'], 'is_admin': bool(user['is_admin'])} if user else {}
        changed = shown(before) != shown(after) or password_changed
        diff = {'before': dict(shown(before), password='(unchanged)') if before else {},
                'after': dict(shown(after), password='(changed)' if password_changed else '(unchanged)') if after else {}}
        self.module.exit_json(changed=changed, user=after or before or {}, password_changed=password_changed,
                              diff=diff)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            REST_ARGUMENT_SPEC,
            name=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            user_password=dict(type='str', no_log=True),
            update_password=dict(type='str', choices=['always', 'on_create'], default='on_create', no_log=False),
            admin=dict(type='bool'),
        ),
        supports_check_mode=True,
    )
    name = module.params['name']
    if not name or name != name.strip() or any(char.isspace() for char in name):
        module.fail_json(msg=f'name must be a user name without spaces, got {name!r}')
    password = module.params['user_password']
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        module.fail_json(msg=f'user_password must have at least {MIN_PASSWORD_LENGTH} characters (MLflow refuses shorter ones)')
    try:
        MlflowUser(module).run()
    except RestError as error:
        module.fail_json(msg=f"MLflow user '{name}': {error}")


if __name__ == '__main__':
    main()
