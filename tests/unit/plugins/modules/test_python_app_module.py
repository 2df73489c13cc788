"""Unit tests of the python_app module, against a stand-in for the installers."""

import importlib.util
import json
import os
import subprocess
import sys
import time
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.efficientai.mlops.plugins.module_utils._python_app import COMPILE_WITH_CACHE, UNCOMPILED
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
        if argv[1:3] == ["-c", COMPILE_WITH_CACHE]:
            return 0, '{"cached": 2, "compiled": 1, "uncompilable": 0}\n', ""
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
            kind = ("version" if python_app.VERSION_QUERY in argv
                    else "compile" if "compileall" in argv or COMPILE_WITH_CACHE in argv
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
    return {"name": "mlflow", "packages": MLFLOW, "home": str(tmp_path / "mlflow"), "tools_dir": str(tmp_path / "tools"),
            "bytecode_cache": ""}


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


def compile_with_cache(lib, cache):
    """COMPILE_WITH_CACHE as the module runs it, with this interpreter: its counts."""
    done = subprocess.run([sys.executable, "-c", COMPILE_WITH_CACHE, str(lib), str(cache), UNCOMPILED],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def library(path, modules):
    site = path / "lib" / "python3" / "site-packages"
    for name, text in modules.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    return path / "lib"


def test_a_module_another_environment_compiled_is_copied_from_the_cache_and_loads_as_its_own(tmp_path):
    cache = tmp_path / "cache"
    modules = {"shared.py": "ANSWER = 42\n", "old.py": "print 'python 2'\n", "pkg/tests/test_x.py": "x = 1\n"}
    assert compile_with_cache(library(tmp_path / "a", modules), cache) == {"cached": 0, "compiled": 1, "uncompilable": 1}
    second = library(tmp_path / "b", dict(modules, **{"new.py": "VALUE = 1\n"}))
    assert compile_with_cache(second, cache) == {"cached": 1, "compiled": 1, "uncompilable": 1}

    site = second / "python3" / "site-packages"
    assert not (site / "pkg" / "tests" / "__pycache__").exists()  # the packages' tests are left out
    # The copied bytecode is hash-checked, so Python takes it for this file, under this file's name.
    check = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('shared', sys.argv[1]);"
             "spec.loader.source_to_code = lambda *_: sys.exit('compiled from source, not taken from the bytecode');"
             "code = spec.loader.get_code('shared'); print(code.co_filename); exec(code, ns := {}); print(ns['ANSWER'])")
    shown = subprocess.run([sys.executable, "-B", "-c", check, str(site / "shared.py")], capture_output=True, text=True,
                           check=True).stdout.split()
    assert shown == [str(site / "shared.py"), "42"]
    assert importlib.util.source_hash((site / "shared.py").read_bytes()) == \
        (site / "__pycache__" / f"shared.{sys.implementation.cache_tag}.pyc").read_bytes()[8:16]


def test_a_changed_module_or_a_bad_cache_entry_is_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    compile_with_cache(library(tmp_path / "a", {"m.py": "X = 1\n", "n.py": "Y = 1\n"}), cache)
    for entry in cache.glob("*/*"):
        if b"Y" in entry.read_bytes():
            entry.write_bytes(entry.read_bytes()[:8] + b"\0" * 8 + entry.read_bytes()[16:])  # another source's hash
    changed = library(tmp_path / "b", {"m.py": "X = 2\n", "n.py": "Y = 1\n"})
    assert compile_with_cache(changed, cache) == {"cached": 0, "compiled": 2, "uncompilable": 0}


def test_a_built_environment_compiles_through_the_cache_and_reports_it(installers, args, run_module, tmp_path):
    cache = tmp_path / "bytecode"
    result = run_module(python_app, dict(args, bytecode_cache=str(cache)))
    assert result["bytecode"] == {"cached": 2, "compiled": 1, "uncompilable": 0}
    compile_argv = next(command["argv"] for command in installers.commands if COMPILE_WITH_CACHE in command["argv"])
    assert compile_argv[-3:-1] == [os.path.join(args["home"], "venvs", result["spec_id"], "lib"), str(cache)]
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    assert "bytecode" not in run_module(python_app, dict(args, bytecode_cache=str(cache)))  # nothing built


def test_a_cache_that_others_can_write_to_is_not_used(installers, args, run_module, tmp_path):
    cache = tmp_path / "bytecode"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    result = run_module(python_app, dict(args, bytecode_cache=str(cache)))
    assert result["built"] and "bytecode" not in result
    assert not any(COMPILE_WITH_CACHE in command["argv"] for command in installers.commands)
    assert "compile" in installers.kinds()


def test_a_cache_under_a_directory_others_can_write_to_is_not_used(installers, args, run_module, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone could move the cache away and put their own in its place
    result = run_module(python_app, dict(args, bytecode_cache=str(shared / "bytecode")))
    assert result["built"] and "bytecode" not in result
    shared.chmod(0o1777)  # /tmp's sticky bit: only the owner may rename what is in it
    result = run_module(python_app, dict(args, packages=["mlflow[auth]==3.17.3"], bytecode_cache=str(shared / "bytecode")))
    assert result["bytecode"] == {"cached": 2, "compiled": 1, "uncompilable": 0}


def test_entries_no_build_used_for_30_days_are_pruned_once_a_day(tmp_path):
    cache = tmp_path / "cache"
    compile_with_cache(library(tmp_path / "a", {"kept.py": "A = 1\n", "used.py": "B = 1\n", "gone.py": "C = 1\n"}), cache)
    entries = {entry.read_bytes(): entry for entry in cache.glob("??/*")}
    month_ago = time.time() - 31 * 86400
    for entry in entries.values():
        os.utime(entry, (month_ago, month_ago))
    os.utime(cache / ".pruned", (month_ago, month_ago))
    kept = next(entry for data, entry in entries.items() if b"A" in data)
    os.utime(kept, None)
    # A build that uses B's module: its entry is renewed, C's goes, A's was used lately.
    assert compile_with_cache(library(tmp_path / "b", {"used.py": "B = 1\n"}), cache)["cached"] == 1
    assert sorted(entry.name for entry in cache.glob("??/*")) == sorted(
        entry.name for data, entry in entries.items() if b"C" not in data)
    # Pruned today: not again until tomorrow, however old an entry.
    survivor = next(cache.glob("??/*"))
    os.utime(survivor, (month_ago, month_ago))
    compile_with_cache(library(tmp_path / "c", {"other.py": "D = 1\n"}), cache)
    assert survivor.exists()
