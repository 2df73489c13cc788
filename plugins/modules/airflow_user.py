#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: airflow_user
short_description: Manage a user of Apache Airflow's FAB auth manager
version_added: 0.1.0
description:
  - Creates, updates or deletes a user of the Flask-AppBuilder (FAB) auth manager of Airflow 3
    with the C(airflow users) CLI of the installation, on the Airflow host.
  - The users are read first and the result is checked, rather than trusting the CLI's exit
    code (C(airflow users create) exits 0 when the user already exists).
  - Passwords reach the CLI on its standard input, never on a command line.
  - Run it as the user that runs Airflow (C(become_user)), so that files the CLI may write
    belong to that user.
options:
  username:
    description: User name.
    type: str
    required: true
  state:
    description: Whether the user exists.
    type: str
    choices: [present, absent]
    default: present
  role:
    description:
      - The user's only role, such as V(Admin), V(Op), V(User), V(Viewer) or a custom role.
      - Required to create a user. Other roles of an existing user are replaced.
    type: str
  password:
    description:
      - Password, set when the user is created (and with O(update_password=always), when it differs).
      - Required to create a user.
    type: str
  update_password:
    description:
      - V(on_create) sets the password only for a new user.
      - V(always) also resets the password of an existing user whose password does not match,
        checked by asking the running API server at O(api_url) for a token.
    type: str
    choices: [on_create, always]
    default: on_create
  api_url:
    description: Base URL of the API server, for O(update_password=always), such as V(http://127.0.0.1:8080).
    type: str
  first_name:
    description: First name; the user name by default.
    type: str
  last_name:
    description: Last name; V(user) by default.
    type: str
  email:
    description:
      - E-mail address; C(<username>@localhost) by default.
      - The FAB CLI cannot change the address of an existing user; delete and recreate it.
    type: str
  airflow_home:
    description: AIRFLOW_HOME of the installation (where its C(airflow.cfg) is).
    type: path
    required: true
  airflow_bin:
    description: The C(airflow) program of the installation's virtual environment.
    type: path
    default: airflow
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
requirements:
  - Apache Airflow 3 with apache-airflow-providers-fab, FAB as the auth manager.
author:
  - EfficientAI platform team (@efficientai)
"""

EXAMPLES = r"""
- name: Create the administrator
  efficientai.mlops.airflow_user:
    username: admin
    role: Admin
    password: "{{ vault_airflow_admin_password }}"
    email: platform@example.com
    airflow_home: /opt/efficientai/airflow/home
    airflow_bin: /opt/efficientai/airflow/venv/bin/airflow
  become: true
  become_user: airflow

- name: Remove a former colleague
  efficientai.mlops.airflow_user:
    username: bob
    state: absent
    airflow_home: /opt/efficientai/airflow/home
    airflow_bin: /opt/efficientai/airflow/venv/bin/airflow
"""

RETURN = r"""
user:
  description: The user after the change (nothing when absent).
  returned: always
  type: dict
  sample: {username: admin, email: platform@example.com, first_name: admin, last_name: user, roles: [Admin]}
password_changed:
  description: Whether the password was set or reset.
  returned: always
  type: bool
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url
from ansible_collections.efficientai.mlops.plugins.module_utils._airflow_cli import AirflowCli, AirflowCliError


def password_matches(api_url, username, password, timeout=10):
    """Ask the API server for a token with these credentials: 201 means the password is right."""
    try:
        response = open_url(api_url.rstrip('/') + '/auth/token', method='POST', timeout=timeout,
                            data=json.dumps({'username': username, 'password': password}),
                            headers={'Content-Type': 'application/json', 'Accept': 'application/json'})
        return response.getcode() in (200, 201)
    except HTTPError as error:
        if error.code in (401, 403):
            return False
        raise AirflowCliError(f'the API server answered POST /auth/token with HTTP {error.code}') from None
    except (URLError, OSError) as error:
        raise AirflowCliError(f'cannot reach the API server at {api_url}: {error}') from None


class AirflowUser:
    def __init__(self, module, cli):
        self.module = module
        self.cli = cli
        self.params = module.params
        self.name = module.params['username']

    def wanted(self, current):
        """The user as it should be, starting from the current one."""
        base = current or {'email': f'{self.name}@localhost', 'first_name': self.name, 'last_name': 'user', 'roles': []}
        wanted = dict(base)
        for field in ('email', 'first_name', 'last_name'):
            if self.params[field] is not None:
                wanted[field] = self.params[field]
        if self.params['role'] is not None:
            wanted['roles'] = [self.params['role']]
        return wanted

    def apply(self):
        current = self.cli.users().get(self.name)
        if self.params['state'] == 'absent':
            if current and not self.module.check_mode:
                self.cli.run(['users', 'delete', '--username', self.name])
                self.confirm(lambda user: user is None, 'is still there after `airflow users delete`')
            return self.result(current, None, False)

        if current is None:
            return self.create()
        wanted = self.wanted(current)
        if wanted['email'] != current['email']:
            self.module.fail_json(
                msg=f"the e-mail of Airflow user '{self.name}' is {current['email']}; the FAB CLI cannot change it: "
                    f"delete the user (state=absent) and create it again")
        if wanted != current and not self.module.check_mode:
            self.import_user(wanted)
            self.confirm(lambda user: user == wanted, 'does not have the wanted role and names after `airflow users import`')
        password_changed = self.update_password()
        return self.result(current, wanted, password_changed)

    def create(self):
        if not self.params['role'] or not self.params['password']:
            self.module.fail_json(msg=f"Airflow user '{self.name}' does not exist: role and password are needed to create it")
        wanted = self.wanted(None)
        if not self.module.check_mode:
            self.cli.run(['users', 'create', '--username', self.name, '--role', self.params['role'],
                          '--email', wanted['email'], '--firstname', wanted['first_name'],
                          '--lastname', wanted['last_name']], password=self.params['password'])
            # `users create` exits 0 also when nothing was created: believe only the database.
            self.confirm(lambda user: user is not None and self.params['role'] in user['roles'],
                         'was not created by `airflow users create`')
        return self.result(None, wanted, True)

    def import_user(self, wanted):
        record = [{'username': self.name, 'email': wanted['email'], 'firstname': wanted['first_name'],
                   'lastname': wanted['last_name'], 'roles': wanted['roles']}]
        handle, path = tempfile.mkstemp(suffix='.json', dir=self.module.tmpdir)
        try:
            with os.fdopen(handle, 'w') as stream:
                json.dump(record, stream)
            self.cli.run(['users', 'import', path])
        finally:
            os.unlink(path)

    def update_password(self):
        if self.params['update_password'] != 'always' or not self.params['password']:
            return False
        if password_matches(self.params['api_url'], self.name, self.params['password']):
            return False
        if not self.module.check_mode:
            self.cli.run(['users', 'reset-password', '--username', self.name], password=self.params['password'])
        return True

    def confirm(self, check, problem):
        user = self.cli.users().get(self.name)
        if not check(user):
            self.module.fail_json(msg=f"Airflow user '{self.name}' {problem}", user=user)

    def result(self, before, after, password_changed):
        after = None if after is None else dict(after, username=self.name)
        before = None if before is None else dict(before, username=self.name)
        self.module.exit_json(changed=before != after or password_changed, user=after or {},
                              password_changed=password_changed,
                              diff={'before': before or {}, 'after': after or {}})


def main():
    module = AnsibleModule(
        argument_spec=dict(
            username=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            role=dict(type='str'),
            password=dict(type='str', no_log=True),
            update_password=dict(type='str', choices=['on_create', 'always'], default='on_create', no_log=False),
            api_url=dict(type='str'),
            first_name=dict(type='str'),
            last_name=dict(type='str'),
            email=dict(type='str'),
            airflow_home=dict(type='path', required=True),
            airflow_bin=dict(type='path', default='airflow'),
        ),
        required_if=[('update_password', 'always', ['api_url'])],
        supports_check_mode=True,
    )
    if not os.path.isfile(os.path.join(module.params['airflow_home'], 'airflow.cfg')):
        module.fail_json(msg=f"no airflow.cfg in airflow_home {module.params['airflow_home']}")
    airflow_bin = module.params['airflow_bin']
    if os.sep not in airflow_bin:
        airflow_bin = module.get_bin_path(airflow_bin, required=True)
    try:
        AirflowUser(module, AirflowCli(module, airflow_bin, module.params['airflow_home'])).apply()
    except AirflowCliError as error:
        module.fail_json(msg=str(error))


if __name__ == '__main__':
    main()
