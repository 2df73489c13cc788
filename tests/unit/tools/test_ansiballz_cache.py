"""The test bed's cache of the code Python compiles for Ansible's zipped modules
(molecule/_shared/ansiballz_cache): a module imported from a zip runs the same from the cache,
a changed source is compiled again, and a cache it cannot use changes nothing."""

import importlib.util
import os
import zipfile
import zipimport

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
HOOK = os.path.join(REPO, "molecule", "_shared", "ansiballz_cache", "efficientai_ansiballz_cache.py")


@pytest.fixture(name="hook")
def fixture_hook(tmp_path, monkeypatch):
    """The hook, installed in zipimport with a cache in tmp_path; hook.compiled lists what it compiled
    (instead of reading it from the cache)."""
    spec = importlib.util.spec_from_file_location("efficientai_ansiballz_cache", HOOK)
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)  # its CACHE does not exist here: zipimport is left alone
    assert zipimport._compile_source is not hook.compile_source_cached  # pylint: disable=protected-access
    (tmp_path / "cache").mkdir()
    monkeypatch.setattr(hook, "CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(zipimport, "_compile_source", hook.compile_source_cached)
    hook.compiled = []
    real_compile = hook._compile_source  # pylint: disable=protected-access
    monkeypatch.setattr(hook, "_compile_source", lambda path, source: hook.compiled.append(path) or real_compile(path, source))
    return hook


def import_from_zip(path, name, source):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.py", source)
    spec = zipimport.zipimporter(str(path)).find_spec(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_second_import_runs_the_cached_code_under_its_own_file_name(hook, tmp_path):
    source = "def where():\n    return where.__code__.co_filename\nVALUE = 6 * 7\n"
    first = import_from_zip(tmp_path / "one.zip", "payload", source)
    assert len(os.listdir(hook.CACHE)) == 1
    entry = os.path.join(hook.CACHE, os.listdir(hook.CACHE)[0])
    stamp = os.stat(entry).st_mtime_ns

    second = import_from_zip(tmp_path / "two.zip", "payload", source)
    assert (first.VALUE, second.VALUE) == (42, 42)
    assert os.stat(entry).st_mtime_ns == stamp
    assert len(hook.compiled) == 1  # the second import read the first one's code
    assert second.where().startswith(str(tmp_path / "two.zip"))
    assert oct(os.stat(entry).st_mode & 0o777) == "0o644"  # service users read it too


def test_a_changed_source_is_compiled_again(hook, tmp_path):
    assert import_from_zip(tmp_path / "one.zip", "payload", "VALUE = 1\n").VALUE == 1
    assert import_from_zip(tmp_path / "two.zip", "payload", "VALUE = 2\n").VALUE == 2
    assert len(os.listdir(hook.CACHE)) == 2 and len(hook.compiled) == 2


def test_a_damaged_entry_is_compiled_again_and_replaced(hook, tmp_path):
    import_from_zip(tmp_path / "one.zip", "payload", "VALUE = 3\n")
    entry = os.path.join(hook.CACHE, os.listdir(hook.CACHE)[0])
    with open(entry, "wb") as stream:
        stream.write(b"\x00not marshal")
    assert import_from_zip(tmp_path / "two.zip", "payload", "VALUE = 3\n").VALUE == 3
    assert os.listdir(hook.CACHE) == [os.path.basename(entry)] and len(hook.compiled) == 2
    assert import_from_zip(tmp_path / "three.zip", "payload", "VALUE = 3\n").VALUE == 3
    assert len(hook.compiled) == 2


def test_a_cache_it_cannot_use_only_costs_the_compile(hook, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    hook.CACHE = str(blocker / "cache")
    assert import_from_zip(tmp_path / "one.zip", "payload", "VALUE = 4\n").VALUE == 4
    assert not os.listdir(tmp_path / "cache") and hook.compiled  # compiled as before, nothing stored
