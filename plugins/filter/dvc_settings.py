# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dvc role's settings checked in one call, each problem naming one variable; the remotes'
credentials are never shown."""

from __future__ import annotations

import posixpath
import re

from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import checked, integer, is_abs, is_list, kind, shown

_DVC_PIN = re.compile(r'^dvc(\[[a-z0-9_,-]+\])?==')
_MODE = re.compile(r'^0?[0-7]{3,4}$')
_REMOTE_NAME = re.compile(r'^[a-z0-9][a-z0-9._-]*$')
_REMOTE_URL = re.compile(r'^([a-z][a-z0-9+.-]*://|/)')
_REQUIRED = ('dvc_packages', 'dvc_binary_link', 'dvc_cache_dir', 'dvc_workspaces', 'dvc_remotes', 'dvc_cache_group',
             'dvc_cache_group_members', 'user_id', 'user_uid', 'missing_owners', 'site_cache_problems')


def _without_credentials(url):
    """The URL with anything before an '@' hidden: a URL a user wrote may carry user:password@."""
    return re.sub(r'^[^@]*@', '***@', str(url))


def _packages(s):
    packages = s['dvc_packages']
    if not is_list(packages) or not packages:
        return [f"dvc_packages must be a list of pinned specifiers (name==version), dvc first (got {packages!r})"]
    problems = []
    if not _DVC_PIN.match(str(packages[0])):
        problems.append(f"dvc_packages[0] must pin dvc first, name==version such as dvc[s3]==3.67.1 (got {packages[0]!r})")
    problems += [f"dvc_packages[{index}] must be pinned, name==version (got {package!r})"
                 for index, package in enumerate(packages) if index and '==' not in str(package)]
    return problems


def _paths(s):
    return [f"{name} must be empty or an absolute path (got {s[name]!r})"
            for name in ('dvc_binary_link', 'dvc_cache_dir') if s[name] != '' and not is_abs(s[name])]


def _remote_problems(where, remotes):
    """Problems of a list of remotes (dvc_remotes or a workspace's own), each by its index."""
    if not is_list(remotes):
        return [f"{where} must be a list of remotes (got {kind(remotes)})"]
    problems = []
    for index, remote in enumerate(remotes):
        at = f"{where}[{index}]"
        if not isinstance(remote, dict):
            problems.append(f"{at} must be a mapping with a name and the options of the dvc_remote module (got {kind(remote)})")
            continue
        if not _REMOTE_NAME.match(str(remote.get('name', ''))):
            problems.append(f"{at}.name must be lowercase letters, digits, '.', '_' or '-', starting with a letter or digit "
                            f"(got {remote.get('name', '')!r})")
        if 'url' in remote and not _REMOTE_URL.match(str(remote['url'])):
            problems.append(f"{at}.url must be a URL such as s3://bucket/path or an absolute path "
                            f"(got {_without_credentials(remote['url'])!r})")
    return problems


def _workspace_problems(where, workspace, seen):
    """Problems of one workspace; `seen` maps the paths of the workspaces before it to their names."""
    path, problems = workspace.get('path', ''), []
    first = seen.setdefault(posixpath.normpath(path), where) if is_abs(path) else where
    if not is_abs(path):
        problems.append(f"{where}.path must be an absolute path (got {shown(path)})")
    elif first != where:
        problems.append(f"{where}.path is {path!r}, the directory of {first} too: give each workspace its own directory")
    if 'mode' in workspace and not _MODE.match(str(workspace['mode'])):
        problems.append(f"{where}.mode must be an octal mode as a quoted string, such as '0755' (got {shown(workspace['mode'])})")
    if 'remotes' in workspace:
        problems += _remote_problems(f"{where}.remotes", workspace['remotes'])
    return problems


def _workspaces(s):
    workspaces = s['dvc_workspaces']
    if not is_list(workspaces):
        return [f"dvc_workspaces must be a list of mappings, each with a path (got {shown(workspaces)})"]
    problems, seen = [], {}
    for index, workspace in enumerate(workspaces):
        where = f"dvc_workspaces[{index}]"
        if isinstance(workspace, dict):
            problems += _workspace_problems(where, workspace, seen)
        else:
            problems.append(f"{where} must be a mapping with a path, such as {{path: /srv/dvc/projects/churn}} "
                            f"(got {shown(workspace)})")
    return problems


def _owners(s):
    """Each workspace's owner by its name in messages: the user Ansible runs as unless given."""
    workspaces = s['dvc_workspaces'] if is_list(s['dvc_workspaces']) else []
    return {f"dvc_workspaces[{index}].owner": workspace.get('owner', s['user_id'])
            for index, workspace in enumerate(workspaces) if isinstance(workspace, dict)}


def _cache(s):
    problems = []
    group, members, cache_dir = s['dvc_cache_group'], s['dvc_cache_group_members'], s['dvc_cache_dir']
    owners = sorted(set(map(str, _owners(s).values())))
    # Objects one owner adds to a shared cache must be writable by the others: through the team's group.
    if group == '' and cache_dir != '' and len(owners) > 1:
        problems.append(f"dvc_cache_group must name the team's group: workspaces of several owners ({', '.join(owners)}) "
                        f"share dvc_cache_dir {cache_dir!r}")
    if group != '' and cache_dir == '':
        problems.append(f"dvc_cache_group is {group!r} while dvc_cache_dir is empty: the group owns the shared cache, so "
                        "set dvc_cache_dir, or leave dvc_cache_group empty")
    if not is_list(members):
        problems.append(f"dvc_cache_group_members must be a list of user names (got {members!r})")
    elif members and group == '':
        problems.append(f"dvc_cache_group_members is {list(members)!r} while dvc_cache_group is empty: set "
                        "dvc_cache_group to the team's group, or leave dvc_cache_group_members empty")
    return problems


def _users(s):
    """Owners exist on the host, and without root nothing belongs to anyone else."""
    problems = [f"{where} is {owner!r}, which is not a user on this host: create the user first, or choose an existing one"
                for where, owner in _owners(s).items() if str(owner) in s['missing_owners']]
    if integer(s['user_uid']) == 0:
        return problems
    user = s['user_id']
    if s['dvc_cache_group'] != '':
        problems.append(f"dvc_cache_group must be empty without root (running as {user}, got {s['dvc_cache_group']!r}): "
                        "creating the group and giving it the cache need become: true")
    problems += [f"{where} is {owner!r}, but without root (running as {user}) every workspace must belong to {user}: "
                 "set become: true, or leave owner out" for where, owner in _owners(s).items() if owner != user]
    return problems


def dvc_settings_problems(settings):
    """Return one message per problem of the dvc role's settings; an empty list means valid.

    `settings` maps the role's variable names to their values, with the host's user_id and
    user_uid, missing_owners (the workspace owners the host does not know) and
    site_cache_problems (the messages of the safe_paths module about dvc_site_cache_dir,
    which reads the directories on the host). No message shows a remote's credentials."""
    s = checked(settings, _REQUIRED, 'dvc_settings_problems')
    return (_packages(s) + _paths(s) + list(s['site_cache_problems']) + _workspaces(s) + _remote_problems('dvc_remotes', s['dvc_remotes'])
            + _cache(s) + _users(s))


class FilterModule:
    def filters(self):
        return {'dvc_settings_problems': dvc_settings_problems}
