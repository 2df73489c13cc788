"""Unit tests of the python_app module, against a stand-in for the installers."""

import os
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.efficientai.mlops.plugins.modules import python_app

MLFLOW = ["mlflow[auth]==3.17.2", "psycopg2-binary==2.9.13"]


class FakeInstallers:
    """Makes the directories the real commands would make, answers the version query, and
    records every command with its stdin."""

    def __init__(self, fail_install=False, ensurepip=True, compile_rc=0):
        self.fail_install, self.ensurepip, self.compile_rc, self.commands = fail_install, ensurepip, compile_rc, []

    def __call__(self, argv, data=None, **_kwargs):
        self.commands.append({"argv": argv, "data": data})
        if argv[-2:] == ["-c", "import ensurepip"]:
            return (0 if self.ensurepip else 1), "", "No module named ensurepip"
        if "-c" in argv and argv[argv.index("-c") + 1] == python_app.VERSION_QUERY:
            return 0, "3.17.2\n", ""
        if argv[1:3] == ["-m", "compileall"]:
            return self.compile_rc, "", "Killed" if self.compile_rc > 1 else ""
        if argv[1:3] == ["-m", "venv"] or argv[1:2] == ["venv"]:
            os.makedirs(os.path.join(argv[-1], "bin"))
            open(os.path.join(argv[-1], "bin", "python"), "w", encoding="utf-8").close()
            return 0, "", ""
        if "install" in argv:
            if self.fail_install:
                return 1, "", "error: https://bob:s3cret@pypi.example/simple/mlflow/ answered 404"
            if "uv==0.13.9" in argv:
                open(os.path.join(os.path.dirname(argv[argv.index("install") - 1]), "uv"), "w", encoding="utf-8").close()
            return 0, "", ""
        raise AssertionError(f"unexpected command {argv}")

    def kinds(self):
        """What ran, in order: uv-venv, uv-install, venv, install or version."""
        names = []
        for command in self.commands:
            argv = " ".join(command["argv"])
            if "import ensurepip" in argv:
                continue
            kind = ("version" if python_app.VERSION_QUERY in argv else "compile" if "compileall" in argv
                    else "venv" if " venv" in argv
                    else "install" if "install" in argv else argv)
            names.append(("uv-" if "/tools/uv-" in argv and "--python" not in argv else "") + kind)
        return names


@pytest.fixture
def installers():
    fake = FakeInstallers()
    with mock.patch.object(basic.AnsibleModule, "run_command", lambda _self, argv, **kw: fake(argv, **kw)):
        yield fake


@pytest.fixture
def args(tmp_path):
    return {"name": "mlflow", "packages": MLFLOW, "home": str(tmp_path / "mlflow"), "tools_dir": str(tmp_path / "tools")}


def venvs(args):
    return sorted(os.listdir(os.path.join(args["home"], "venvs")))


def test_the_first_call_builds_with_uv_and_the_second_only_reads_the_version(installers, args, run_module):
    first = run_module(python_app, args)
    assert first["changed"] and first["built"] and first["switched"] and first["version"] == "3.17.2"
    assert installers.kinds() == ["uv-venv", "uv-install", "venv", "install", "compile", "version"]
    assert os.readlink(first["venv"]) == f"venvs/{first['spec_id']}" and first["previous_venv"] == ""
    marker = os.path.join(args["home"], "venvs", first["spec_id"], python_app.MARKER)
    assert open(marker, encoding="utf-8").read() == "mlflow[auth]==3.17.2\npsycopg2-binary==2.9.13\n"
    installers.commands.clear()
    second = run_module(python_app, args)
    assert not second["changed"] and not second["built"] and not second["switched"] and second["spec_id"] == first["spec_id"]
    assert installers.kinds() == ["version"] and second["version"] == "3.17.2"


def test_check_mode_predicts_the_real_run_and_changes_nothing(installers, args, run_module):
    predicted = run_module(python_app, args, check_mode=True)
    assert predicted["changed"] and predicted["built"] and predicted["version"] == ""
    assert installers.commands == [] and not os.path.exists(args["home"])
    assert predicted["diff"] == {"before": {"venv": ""}, "after": {"venv": f"venvs/{predicted['spec_id']}"}}
    done = run_module(python_app, args)
    assert done["changed"] == predicted["changed"] and done["spec_id"] == predicted["spec_id"]
    again = run_module(python_app, args, check_mode=True)
    assert not again["changed"] and again["version"] == "3.17.2" and again["diff"] == {}


def test_a_new_specification_keeps_the_old_environment_as_the_rollback_target(installers, args, run_module):
    first = run_module(python_app, args)
    second = run_module(python_app, dict(args, packages=["mlflow[auth]==3.17.3", "psycopg2-binary==2.9.13"]))
    assert second["changed"] and second["built"] and second["spec_id"] != first["spec_id"]
    assert second["previous_venv"] == os.path.join(args["home"], "venvs", first["spec_id"])
    assert os.readlink(os.path.join(args["home"], "venv.previous")) == f"venvs/{first['spec_id']}"
    assert second["diff"]["before"]["venv"] == f"venvs/{first['spec_id']}"
    assert venvs(args) == sorted([first["spec_id"], second["spec_id"]])
    # Back to the first one: nothing is built, the links swap.
    back = run_module(python_app, args)
    assert back["changed"] and not back["built"] and back["removed"] == []
    assert back["previous_venv"] == os.path.join(args["home"], "venvs", second["spec_id"])


def test_environments_beyond_the_kept_ones_go_but_never_the_rollback_target(installers, args, run_module):
    specs = [[f"mlflow[auth]==3.17.{patch}"] for patch in (1, 2, 3)]
    results = [run_module(python_app, dict(args, packages=packages)) for packages in specs]
    assert results[-1]["removed"] == [os.path.join(args["home"], "venvs", results[0]["spec_id"])]
    assert venvs(args) == sorted([results[1]["spec_id"], results[2]["spec_id"]])
    kept = run_module(python_app, dict(args, packages=specs[2], keep_venvs=3))
    assert not kept["changed"] and kept["removed"] == []
    # Pruning alone changes the host but not what the services run.
    os.makedirs(os.path.join(args["home"], "venvs", "000000000000"))
    os.utime(os.path.join(args["home"], "venvs", "000000000000"), (0, 0))
    pruned = run_module(python_app, dict(args, packages=specs[2]))
    assert pruned["changed"] and not pruned["switched"] and pruned["removed"][0].endswith("000000000000")


def test_a_failed_install_leaves_no_environment_and_censors_the_index_credentials(args, run_module, tmp_path):
    fake = FakeInstallers(fail_install=True)
    index = "https://bob:s3cret@pypi.example/simple"
    with mock.patch.object(basic.AnsibleModule, "run_command", lambda _self, argv, **kw: fake(argv, **kw)):
        result = run_module(python_app, dict(args, installer="pip", index_url=index))
    assert result["failed"] and "pip could not install mlflow[auth]==3.17.2 psycopg2-binary==2.9.13 for mlflow" in result["msg"]
    assert "s3cret" not in result["msg"] and "https://********@pypi.example" in result["msg"]
    assert venvs(args) == [] and not os.path.lexists(os.path.join(args["home"], "venv"))
    # The index URL reached the installer on stdin, never on its command line.
    install = [command for command in fake.commands if "install" in command["argv"]][0]
    assert install["data"] == index and not any("s3cret" in part for part in install["argv"])


def test_without_ensurepip_a_user_is_told_to_install_python3_venv(args, run_module):
    fake = FakeInstallers(ensurepip=False)
    with mock.patch.object(basic.AnsibleModule, "run_command", lambda _self, argv, **kw: fake(argv, **kw)), \
            mock.patch.object(basic.AnsibleModule, "get_bin_path", lambda _self, name, **_kw: None):
        result = run_module(python_app, dict(args, installer="pip"))
    assert result["failed"] and "install python3-venv" in result["msg"]


@pytest.mark.parametrize("override, message", [
    ({"installer": "conda"}, "mlops_python_installer must be uv or pip (got 'conda')"),
    ({"keep_venvs": 1}, "keep_venvs must be at least 2"),
    ({"name": "ML flow"}, "name must be lowercase letters"),
    ({"packages": []}, "packages must be a list of at least one"),
])
def test_bad_input_fails_before_anything_is_made(installers, args, run_module, override, message):
    result = run_module(python_app, dict(args, **override))
    assert result["failed"] and message in result["msg"]
    assert installers.commands == [] and not os.path.exists(args["home"])


def test_a_directory_where_the_link_belongs_is_refused(installers, args, run_module):
    os.makedirs(os.path.join(args["home"], "venv"))
    result = run_module(python_app, args)
    assert result["failed"] and "is not a link to an environment" in result["msg"] and installers.commands == []


@pytest.mark.parametrize("compile_rc", [0, 1])
def test_a_file_that_does_not_compile_is_no_install_failure(args, run_module, compile_rc):
    fake = FakeInstallers(compile_rc=compile_rc)
    with mock.patch.object(basic.AnsibleModule, "run_command", lambda _self, argv, **kw: fake(argv, **kw)):
        result = run_module(python_app, args)
    assert result["changed"] and result["built"] and not result.get("failed")


def test_a_compile_that_cannot_run_leaves_no_environment(args, run_module):
    fake = FakeInstallers(compile_rc=137)
    with mock.patch.object(basic.AnsibleModule, "run_command", lambda _self, argv, **kw: fake(argv, **kw)):
        result = run_module(python_app, args)
    assert result["failed"] and "could not compile" in result["msg"] and "exit 137" in result["msg"]
    assert venvs(args) == [] and not os.path.lexists(os.path.join(args["home"], "venv"))


def fake_environment(path, version="3.11.2"):
    """A venv's skeleton: pyvenv.cfg and a site-packages directory."""
    site = path / "lib" / "python3.11" / "site-packages" / "pkg"
    site.mkdir(parents=True)
    (path / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {version}\n", encoding="utf-8")
    return site


def test_bytecode_is_reused_only_for_the_very_same_file(tmp_path):
    old, new = fake_environment(tmp_path / "old"), fake_environment(tmp_path / "new")
    for name in ("linked", "copied"):
        (old / f"{name}.py").write_text("x = 1\n", encoding="utf-8")
        (old / "__pycache__").mkdir(exist_ok=True)
        (old / "__pycache__" / f"{name}.cpython-311.pyc").write_bytes(b"old bytecode")
    os.link(old / "linked.py", new / "linked.py")  # as uv links both from its cache
    (new / "copied.py").write_text("x = 1\n", encoding="utf-8")  # same text and size, another file
    (old / "__pycache__" / "linked_not.cpython-311.pyc").write_bytes(b"another module")

    assert python_app.reuse_bytecode(str(tmp_path / "old"), str(tmp_path / "new")) == 1
    assert sorted(os.listdir(new / "__pycache__")) == ["linked.cpython-311.pyc"]
    assert (new / "__pycache__" / "linked.cpython-311.pyc").read_bytes() == b"old bytecode"


def test_no_bytecode_crosses_interpreter_versions(tmp_path):
    old, new = fake_environment(tmp_path / "old", "3.11.2"), fake_environment(tmp_path / "new", "3.12.1")
    (old / "m.py").write_text("x = 1\n", encoding="utf-8")
    (old / "__pycache__").mkdir()
    (old / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"old")
    os.link(old / "m.py", new / "m.py")
    assert python_app.reuse_bytecode(str(tmp_path / "old"), str(tmp_path / "new")) == 0
    assert not (new / "__pycache__").exists()


def test_a_new_environment_takes_the_replaced_ones_bytecode_before_compiling(installers, args, run_module):
    first = run_module(python_app, args)
    with mock.patch.object(python_app, "reuse_bytecode", return_value=0) as reuse:
        run_module(python_app, dict(args, packages=["mlflow[auth]==3.17.3"]))
    assert reuse.call_args.args == (os.path.join(args["home"], "venvs", first["spec_id"]), mock.ANY)
    assert installers.kinds()[-2:] == ["compile", "version"]
