"""Helpers of the dvc scenario's tests: DVC as a team member, and playbooks whose
results are read as JSON."""

import json
import os
import shlex
import sys

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(SCENARIO_DIR), "_shared"))
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position

CHURN = "/srv/dvc/projects/churn"
FRAUD = "/srv/dvc/projects/fraud"
CACHE = "/srv/dvc/cache"


def as_user(host, user, project, command):
    """Run a shell command in a project as a team member (login shell: their HOME)."""
    return host.run(f"runuser -l {user} -c {shlex.quote(f'cd {project} && {command}')}")


def cache_path(md5):
    return f"{CACHE}/files/md5/{md5[:2]}/{md5[2:]}"


@pytest.fixture
def run_playbook(host):
    """Run a playbook of this scenario; return (returncode, JSON results, raw output)."""
    def run(playbook, variables, *options):
        done = ansible_playbook(os.path.join(SCENARIO_DIR, playbook), dict(variables, target_hosts=host.backend.host),
                                *options, env=dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
        return done.returncode, json_document(done.stdout), done.output
    return run


def json_document(output):
    """The JSON callback's document, among the lines other callbacks (profile_tasks) print."""
    start = output.find("{\n")
    if start < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(output[start:])[0]
    except ValueError:
        return None


def task_result(results, name, host="dvc-host"):
    """The result of the first task whose name contains `name`."""
    for play in results["plays"]:
        for task in play["tasks"]:
            if name in task["task"]["name"]:
                return task["hosts"][host]
    raise AssertionError(f"no task '{name}' in {[t['task']['name'] for p in results['plays'] for t in p['tasks']]}")
