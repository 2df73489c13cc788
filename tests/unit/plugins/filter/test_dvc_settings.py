"""Unit tests of the dvc_settings_problems filter: the dvc role's preflight in one call, the
remotes' credentials never shown."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.dvc_settings import dvc_settings_problems

SECRET = 'team-Secret-4711-never-shown'
# The role's defaults, as the preflight task passes them on a host where Ansible runs as root.
DEFAULTS = {
    'dvc_packages': ['dvc[s3]==3.67.1', 'dvc-s3==3.3.0'], 'dvc_binary_link': '/usr/local/bin/dvc', 'dvc_cache_dir': '',
    'dvc_workspaces': [], 'dvc_remotes': [], 'dvc_cache_group': '', 'dvc_cache_group_members': [],
    'user_id': 'root', 'user_uid': 0, 'missing_owners': [], 'site_cache_problems': [],
}
# inventories/development: one Git workspace of the user Ansible runs as, without root.
DEVELOPMENT = dict(
    DEFAULTS, dvc_binary_link='', user_id='ana', user_uid=1000,
    dvc_workspaces=[{'path': '/home/ana/efficientai/.workspace/projects/example', 'git': True}],
    dvc_remotes=[{'name': 'storage', 'url': 'file:///home/ana/efficientai/.workspace/dvc-remote', 'default': True}])
# A team host (the dvc Molecule scenario): two owners on a shared cache, a file remote and an S3 remote.
TEAM = dict(
    DEFAULTS, dvc_cache_dir='/srv/dvc/cache', dvc_cache_group='mlteam', dvc_cache_group_members=['alice', 'bob'],
    dvc_workspaces=[
        {'path': '/srv/dvc/projects/churn', 'owner': 'alice', 'group': 'mlteam', 'git': True,
         'remotes': [{'name': 'files', 'url': 'file:///srv/dvc/remote/churn'},
                     {'name': 's3', 'url': 's3://dvc-store/churn', 'default': True, 'endpoint_url': 'http://127.0.0.1:17090',
                      'region': 'us-east-1', 'access_key_id': 'TEAMKEYID4711', 'secret_access_key': SECRET}]},
        {'path': '/srv/dvc/projects/fraud', 'owner': 'bob', 'mode': '0750',
         'remotes': [{'name': 'files', 'url': '/srv/dvc/remote/fraud', 'default': True}]}])
SITE_CACHE_PROBLEM = ("dvc_site_cache_dir is '/var/tmp/dvc', but /var/tmp/dvc does not exist in the world-writable "
                      "/var/tmp: another user could create it first")


def workspace(index, **changes):
    """TEAM's dvc_workspaces with workspace `index` changed."""
    return [dict(ws, **changes) if at == index else ws for at, ws in enumerate(TEAM['dvc_workspaces'])]


@pytest.mark.parametrize('settings', [
    DEFAULTS, DEVELOPMENT, TEAM,
    dict(TEAM, dvc_cache_dir='', dvc_cache_group='', dvc_cache_group_members=[]),
    dict(DEVELOPMENT, dvc_cache_dir='/home/ana/dvc-cache'),
    dict(TEAM, dvc_packages=['dvc==3.67.1'], dvc_workspaces=workspace(1, mode=750)),
    dict(TEAM, dvc_workspaces=workspace(0, remotes=[{'name': 'old', 'state': 'absent'}])),
], ids=['defaults', 'development', 'team', 'a cache each', 'own shared cache without root', 'plain dvc', 'removed remote'])
def test_valid_settings_have_no_problems(settings):
    assert dvc_settings_problems(settings) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'dvc_packages': 'dvc==3.67.1'}, 'dvc_packages', "pinned specifiers (name==version), dvc first (got 'dvc==3.67.1')"),
    ({'dvc_packages': []}, 'dvc_packages', '(got [])'),
    ({'dvc_packages': ['dvc']}, 'dvc_packages[0]', "must pin dvc first, name==version such as dvc[s3]==3.67.1 (got 'dvc')"),
    ({'dvc_packages': ['dvc-s3==3.3.0', 'dvc==3.67.1']}, 'dvc_packages[0]', "pin dvc first"),
    ({'dvc_packages': ['dvc[S3]==3.67.1']}, 'dvc_packages[0]', "(got 'dvc[S3]==3.67.1')"),
    ({'dvc_packages': ['dvc==3.67.1', 'dvc-s3>=3']}, 'dvc_packages[1]', "must be pinned, name==version (got 'dvc-s3>=3')"),
    ({'dvc_binary_link': 'bin/dvc'}, 'dvc_binary_link', "empty or an absolute path (got 'bin/dvc')"),
    ({'dvc_cache_dir': 'cache'}, 'dvc_cache_dir', "empty or an absolute path (got 'cache')"),
    ({'site_cache_problems': [SITE_CACHE_PROBLEM]}, 'dvc_site_cache_dir', 'another user could create it first'),
    ({'dvc_workspaces': '/srv/dvc/projects/churn'}, 'dvc_workspaces', "list of mappings, each with a path (got '/srv/"),
    ({'dvc_workspaces': {'path': '/srv/x'}}, 'dvc_workspaces', 'list of mappings, each with a path (got a dict)'),
    ({'dvc_workspaces': ['/srv/x']}, 'dvc_workspaces[0]', "must be a mapping with a path, such as {path: /srv/dvc/projects/churn} "
                                                          "(got '/srv/x')"),
    ({'dvc_workspaces': workspace(1, path='projects/fraud')}, 'dvc_workspaces[1].path',
     "absolute path (got 'projects/fraud')"),
    ({'dvc_workspaces': [{'owner': 'alice'}]}, 'dvc_workspaces[0].path', "absolute path (got '')"),
    ({'dvc_workspaces': workspace(1, path='/srv/dvc/projects/churn/')}, 'dvc_workspaces[1].path',
     "is '/srv/dvc/projects/churn/', the directory of dvc_workspaces[0] too: give each workspace its own directory"),
    ({'dvc_workspaces': workspace(1, mode=493)}, 'dvc_workspaces[1].mode', "quoted string, such as '0755' (got 493)"),
    ({'dvc_workspaces': workspace(1, mode='u=rwx')}, 'dvc_workspaces[1].mode', "(got 'u=rwx')"),
    ({'dvc_workspaces': workspace(1, remotes='files')}, 'dvc_workspaces[1].remotes', 'a list of remotes (got a string)'),
    ({'dvc_workspaces': workspace(1, remotes={'name': 'files', 'url': '/srv/x'})}, 'dvc_workspaces[1].remotes',
     'a list of remotes (got a dict)'),
    ({'dvc_workspaces': workspace(1, remotes=['/srv/x'])}, 'dvc_workspaces[1].remotes[0]', 'must be a mapping with a name'),
    ({'dvc_workspaces': workspace(1, remotes=[{'name': 'Files', 'url': '/srv/x'}])}, 'dvc_workspaces[1].remotes[0].name',
     "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit (got 'Files')"),
    ({'dvc_workspaces': workspace(1, remotes=[{'url': '/srv/x'}])}, 'dvc_workspaces[1].remotes[0].name', "(got '')"),
    ({'dvc_workspaces': workspace(1, remotes=[{'name': 'files', 'url': 'srv/x'}])}, 'dvc_workspaces[1].remotes[0].url',
     "a URL such as s3://bucket/path or an absolute path (got 'srv/x')"),
    ({'dvc_remotes': [{'name': '-files', 'url': '/srv/x'}]}, 'dvc_remotes[0].name', "(got '-files')"),
    ({'dvc_remotes': [{'name': 'files', 'url': 'S3://bucket/x'}]}, 'dvc_remotes[0].url', "(got 'S3://bucket/x')"),
    ({'dvc_remotes': {'name': 'files', 'url': '/srv/x'}}, 'dvc_remotes', 'a list of remotes (got a dict)'),
    ({'dvc_cache_group': '', 'dvc_cache_group_members': []}, 'dvc_cache_group',
     "must name the team's group: workspaces of several owners (alice, bob) share dvc_cache_dir '/srv/dvc/cache'"),
    ({'dvc_cache_dir': ''}, 'dvc_cache_group', "is 'mlteam' while dvc_cache_dir is empty"),
    ({'dvc_cache_group_members': 'alice'}, 'dvc_cache_group_members', "a list of user names (got 'alice')"),
    ({'dvc_cache_dir': '', 'dvc_cache_group': ''}, 'dvc_cache_group_members',
     "is ['alice', 'bob'] while dvc_cache_group is empty"),
    ({'missing_owners': ['bob']}, 'dvc_workspaces[1].owner',
     "is 'bob', which is not a user on this host: create the user first, or choose an existing one"),
    ({'user_id': 'alice', 'user_uid': 1000, 'dvc_cache_group': '', 'dvc_cache_group_members': [], 'dvc_cache_dir': ''},
     'dvc_workspaces[1].owner', "is 'bob', but without root (running as alice) every workspace must belong to alice"),
    ({'user_id': 'alice', 'user_uid': 1000, 'dvc_workspaces': workspace(1, owner='alice')}, 'dvc_cache_group',
     "must be empty without root (running as alice, got 'mlteam')"),
])
def test_each_problem_names_its_variable(changes, variable, message):
    problems = dvc_settings_problems(dict(TEAM, **changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ' ') and message in problems[0], problems[0]


def test_a_workspace_owned_by_the_user_ansible_runs_as_needs_no_root():
    assert dvc_settings_problems(dict(DEVELOPMENT, dvc_workspaces=[{'path': '/home/ana/p', 'owner': 'ana'}])) == []
    problems = dvc_settings_problems(dict(DEVELOPMENT, dvc_workspaces=[{'path': '/home/ana/p', 'owner': 'bob'}]))
    assert [problem.split(' ', 1)[0] for problem in problems] == ['dvc_workspaces[0].owner']


def test_every_problem_is_reported_at_once():
    problems = dvc_settings_problems(dict(TEAM, dvc_packages='dvc', dvc_cache_dir='cache',
                                          site_cache_problems=[SITE_CACHE_PROBLEM], missing_owners=['alice'],
                                          dvc_workspaces=workspace(1, path='fraud', mode='rwx')))
    assert [problem.split(' ', 1)[0] for problem in problems] == [
        'dvc_packages', 'dvc_cache_dir', 'dvc_site_cache_dir', 'dvc_workspaces[1].path', 'dvc_workspaces[1].mode',
        'dvc_workspaces[0].owner']


def test_no_message_shows_a_remotes_credentials():
    # A URL without its scheme, with the keys in it: refused, and shown without them.
    remote = {'name': 'S3', 'url': f'TEAMKEYID4711:{SECRET}@s3.example.internal/bucket',
              'access_key_id': 'TEAMKEYID4711', 'secret_access_key': SECRET}
    problems = dvc_settings_problems(dict(TEAM, dvc_remotes=[remote, 'TEAMKEYID4711'],
                                          dvc_workspaces=workspace(0, remotes=remote), dvc_packages='dvc'))
    assert [problem.split(' ', 1)[0] for problem in problems] == [
        'dvc_packages', 'dvc_workspaces[0].remotes', 'dvc_remotes[0].name', 'dvc_remotes[0].url', 'dvc_remotes[1]']
    assert not [problem for problem in problems for secret in (SECRET, 'TEAMKEYID4711') if secret in problem], problems
    problems = dvc_settings_problems(dict(TEAM, dvc_workspaces={'path': '/srv/x', 'remotes': [remote]}, dvc_remotes=remote))
    assert [problem.split(' ', 1)[0] for problem in problems] == ['dvc_workspaces', 'dvc_remotes']
    assert not [problem for problem in problems for secret in (SECRET, 'TEAMKEYID4711') if secret in problem], problems


def test_a_missing_setting_is_the_callers_error():
    with pytest.raises(AnsibleFilterError, match='settings lack dvc_packages'):
        dvc_settings_problems({key: value for key, value in TEAM.items() if key != 'dvc_packages'})
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        dvc_settings_problems(['dvc_packages'])
