"""Fixtures of the dvc_* module tests: a DVC project on disk and a fake DVC installation
whose command line and configuration helper answer from memory."""

import json
import os

import pytest

from ansible.module_utils import basic
from ansible_collections.efficientai.mlops.plugins.module_utils import _dvc


class FakeDvc:
    """Stands in for AnsibleModule.run_command running `dvc` or DVC's interpreter.

    The configuration helper keeps the project ('repo') and 'local' levels in `config` and
    applies the edits it is sent; `gc_outputs` are the answers to successive `dvc gc` runs."""

    def __init__(self, config=None, gc_outputs=()):
        self.config = config or {"repo": {}, "local": {}}
        self.gc_outputs = list(gc_outputs)
        self.calls = []
        self.refuse = None

    def __call__(self, argv, data=None, **kwargs):
        self.calls.append({"argv": list(argv), "stdin": data, "environ": kwargs.get("environ_update")})
        if argv[1] == "-c":
            return self._config(json.loads(data))
        if argv[1] == "gc":
            return 0, self.gc_outputs.pop(0), "WARNING: This will remove all cache except items used in the workspace.\n"
        return 2, "", f"unexpected command {argv}"

    def _config(self, request):
        if self.refuse:
            return 0, json.dumps({"error": self.refuse}) + "\n", ""
        self.config = _dvc.apply_edits(self.config, request["edits"])
        for level, _operations in request["edits"]:
            path = os.path.join(request["dvc_dir"], "config" if level == "repo" else "config.local")
            with open(path, "a", encoding="utf-8"):
                pass
        return 0, json.dumps({"config": self.config}) + "\n", ""

    def runs(self, command):
        return [call["argv"][1:] for call in self.calls if call["argv"][1] == command]

    @property
    def edits(self):
        return [json.loads(call["stdin"])["edits"] for call in self.calls
                if call["argv"][1] == "-c" and json.loads(call["stdin"])["edits"]]


@pytest.fixture
def dvc_project(tmp_path):
    """An initialised DVC project and a DVC installation in a virtual environment."""
    root = tmp_path / "project"
    (root / ".dvc").mkdir(parents=True)
    (root / ".dvc" / "config").write_text("[core]\n    no_scm = True\n")
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("dvc", "python3"):
        (bin_dir / name).write_text("#!/bin/sh\nexit 99\n")
        (bin_dir / name).chmod(0o755)
    return {"path": str(root), "executable": str(bin_dir / "dvc")}


@pytest.fixture
def fake_dvc(monkeypatch):
    fake = FakeDvc()
    # An instance is not bound as a method: it gets (argv, ...) without the module.
    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake)
    return fake
