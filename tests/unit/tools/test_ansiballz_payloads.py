"""The test bed's kept AnsiballZ payloads (molecule/_shared/ansiballz_cache/efficientai_ansiballz_payloads.py):
a playbook run's payload directory links to the directory of the collection's current sources,
and an edited module gets a directory of its own (so its payload is built again)."""

import importlib.util
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DIRECTORY = os.path.join(REPO, "molecule", "_shared", "ansiballz_cache")


@pytest.fixture(name="payloads")
def fixture_payloads():
    spec = importlib.util.spec_from_file_location("efficientai_ansiballz_payloads",
                                                  os.path.join(DIRECTORY, "efficientai_ansiballz_payloads.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(name="checkout")
def fixture_checkout(tmp_path):
    (tmp_path / "plugins" / "modules").mkdir(parents=True)
    (tmp_path / "plugins" / "module_utils").mkdir()
    (tmp_path / "plugins" / "modules" / "thing.py").write_text("VALUE = 1\n", encoding="utf-8")
    (tmp_path / "plugins" / "module_utils" / "_helper.py").write_text("HELP = 1\n", encoding="utf-8")
    return tmp_path


def test_the_stamp_follows_the_modules_and_module_utils_only(payloads, checkout):
    first = payloads.stamp(str(checkout))
    assert payloads.stamp(str(checkout)) == first
    (checkout / "plugins" / "filter").mkdir()
    (checkout / "plugins" / "filter" / "other.py").write_text("X = 1\n", encoding="utf-8")
    assert payloads.stamp(str(checkout)) == first  # filters are not in any payload

    (checkout / "plugins" / "module_utils" / "_helper.py").write_text("HELP = 22\n", encoding="utf-8")
    second = payloads.stamp(str(checkout))
    assert second != first
    module = checkout / "plugins" / "modules" / "thing.py"
    status = module.stat()
    os.utime(module, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))  # same size, edited later
    assert payloads.stamp(str(checkout)) not in (first, second)


def test_a_run_directory_links_to_the_kept_directory_once(payloads, tmp_path):
    run = tmp_path / "ansible-local-1"
    run.mkdir()
    payloads.share(str(run), str(tmp_path / "kept"))
    link = run / "ansiballz_cache"
    assert link.is_symlink()
    assert os.readlink(link) == str(tmp_path / "kept" / payloads.stamp())
    (link / "ansible.modules.stat-ZIP_DEFLATED-none").write_bytes(b"payload")
    payloads.share(str(run), str(tmp_path / "kept"))
    assert (tmp_path / "kept" / payloads.stamp() / "ansible.modules.stat-ZIP_DEFLATED-none").read_bytes() == b"payload"


def test_ansibles_module_builder_gets_the_kept_directory_when_it_is_imported(tmp_path):
    env = dict(os.environ, PYTHONPATH=DIRECTORY, EFFICIENTAI_ANSIBALLZ_CACHE=str(tmp_path), HOME=str(tmp_path))
    program = ("import os, ansible.executor.module_common as builder; "
               "print(os.readlink(os.path.join(builder.C.DEFAULT_LOCAL_TMP, 'ansiballz_cache')))")
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert os.path.dirname(result.stdout.strip()) == str(tmp_path / "payloads")
    assert os.path.isdir(result.stdout.strip())
