"""Run a playbook of this directory against localhost and read its results from the
ansible.posix.json callback."""

import json
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


class PlaybookRun:
    def __init__(self, process):
        self.rc = process.returncode
        self.output = process.stdout + process.stderr
        start = process.stdout.find("{")
        self.data = json.loads(process.stdout[start:]) if start >= 0 else {"plays": [], "stats": {}}

    def _runs(self):
        """(task name without "role : ", result) of each task run on localhost, in order."""
        for play in self.data["plays"]:
            for task in play["tasks"]:
                if "localhost" in task["hosts"]:
                    yield task["task"]["name"].split(" : ", 1)[-1], task["hosts"]["localhost"]

    def task_names(self):
        return [name for name, result in self._runs()]

    def each(self, name):
        """The results of every run of the named task (one per loop item or include)."""
        return [result for task, result in self._runs() if task == name]

    def result(self, name):
        """The result of the named task, which must have run exactly once."""
        found = self.each(name)
        assert len(found) == 1, f"{name!r} ran {len(found)} times"
        return found[0]

    @property
    def stats(self):
        return self.data["stats"]["localhost"]


@pytest.fixture(scope="module")
def ansible_playbook(tmp_path_factory):
    """Run a playbook of tests/unit/playbooks on localhost (local connection) with extra vars."""
    def run(playbook, extra_vars=None, check=False, diff=False, inventory="localhost,"):
        tmp_path = tmp_path_factory.mktemp("playbook")
        variables = tmp_path / "vars.json"
        variables.write_text(json.dumps(dict({"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                                             **(extra_vars or {}))))
        # Not the repository's ansible.cfg: its fact cache and timing callback stay out of this.
        config = tmp_path / "ansible.cfg"
        config.write_text("")
        env = dict(os.environ, ANSIBLE_CONFIG=str(config),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".cache", "collections"),
                   ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
        argv = ["ansible-playbook", "-i", inventory, "-c", "local", "-e", f"@{variables}", os.path.join(HERE, playbook)]
        argv += ["--check"] if check else []
        argv += ["--diff"] if diff else []
        return PlaybookRun(subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO, env=env))
    return run
