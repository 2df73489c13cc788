"""Helpers of the dvc scenario's tests: DVC as a team member, and playbooks whose
results are read as JSON."""

import json
import os
import shlex
import subprocess

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHURN = "/srv/dvc/projects/churn"
FRAUD = "/srv/dvc/projects/fraud"
CACHE = "/srv/dvc/cache"


def as_user(host, user, project, command):
    """Run a shell command in a project as a team member (login shell: their HOME)."""
    return host.run(f"runuser -l {user} -c {shlex.quote(f'cd {project} && {command}')}")


def cache_path(md5):
    return f"{CACHE}/files/md5/{md5[:2]}/{md5[2:]}"


@pytest.fixture
def run_playbook(host, tmp_path):
    """Run a playbook of this scenario; return (returncode, JSON results, raw output)."""
    def run(playbook, variables, *options):
        extra = tmp_path / "vars.json"
        extra.write_text(json.dumps(dict(variables, target_hosts=host.backend.host)))
        done = subprocess.run(
            ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
             os.path.join(SCENARIO_DIR, playbook), "-e", f"@{extra}", *options],
            capture_output=True, text=True, check=False,
            env=dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
        return done.returncode, json_document(done.stdout), done.stdout + done.stderr
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
