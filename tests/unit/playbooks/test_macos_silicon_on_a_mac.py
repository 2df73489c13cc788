"""The macos_silicon role in check mode on a stand-in Mac: everything but the Mac is
real (the role, silicon_facts, community.general.homebrew); the macOS commands print
captured outputs, brew answers `brew info` as for formulae that are not installed, and
the module's interpreter reports Darwin. What the role does on a real Mac (brew install,
launchctl) is not exercised here."""

import os
import sys

import pytest

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "silicon")
COMMANDS = {
    "system_profiler": "system_profiler_displays_m5_max.json",
    "pmset": "pmset_therm_apple_silicon.txt",
    "memory_pressure": "memory_pressure_mac_mini.txt",
    "vm_stat": "vm_stat_mac_mini.txt",
    "top": "top_two_samples.txt",
    "sw_vers": "sw_vers_sonoma.txt",
    "powermetrics": "powermetrics_gpu_power.txt",
}
FAKE_BREW = '''#!%s
import json, sys
args = sys.argv[1:]
if args[:2] != ["info", "--json=v2"]:
    sys.exit("this stand-in brew only answers 'brew info --json=v2', not %%s" %% args)
names = [arg for arg in args[2:] if not arg.startswith("-")]
print(json.dumps({"formulae": [{"name": n, "full_name": n, "tap": "homebrew/core", "aliases": [], "oldnames": [],
                                "installed": [], "outdated": False} for n in names], "casks": []}))
''' % sys.executable


@pytest.fixture
def fake_mac(tmp_path):
    """Build the stand-in Mac with the given sysctl fixture; return its extra vars."""
    def build(sysctl="sysctl_m3_max.txt", **overrides):
        bin_dir, site_dir, prefix = tmp_path / "bin", tmp_path / "site", tmp_path / "homebrew"
        for folder in (bin_dir, site_dir, prefix / "bin"):
            folder.mkdir(parents=True, exist_ok=True)
        for command, name in dict(COMMANDS, sysctl=sysctl).items():
            script = bin_dir / command
            script.write_text(f"#!/bin/sh\ncat {os.path.join(FIXTURES, name)}\n")
            script.chmod(0o755)
        brew = prefix / "bin" / "brew"
        brew.write_text(FAKE_BREW)
        brew.chmod(0o755)
        (site_dir / "sitecustomize.py").write_text("import platform\nplatform.system = lambda: 'Darwin'\n")
        interpreter = tmp_path / "python"
        interpreter.write_text(f'#!/bin/sh\nPATH="{bin_dir}:$PATH" PYTHONPATH="{site_dir}" exec {sys.executable} "$@"\n')
        interpreter.chmod(0o755)
        return dict({"ansible_python_interpreter": str(interpreter), "fake_mac_home": str(tmp_path / "home"),
                     "macos_silicon_homebrew_prefix": str(prefix)}, **overrides)
    return build


def report(run):
    return run.result("Report the Mac")["msg"]


def test_check_run_on_an_m3_max(ansible_playbook, fake_mac):
    run = ansible_playbook("macos_silicon_on_a_mac.yml", fake_mac(), check=True)
    assert run.rc == 0, run.output
    assert run.stats["failures"] == 0
    brew = run.result("Install the Homebrew formulae")
    assert brew["changed"] is True and "python@3.12" in brew["msg"]  # would be installed
    assert "Apple M3 Max (12P+4E, 40 GPU cores, 128.0 GiB), macOS 14.0, thermal nominal" in report(run)
    # 11 workers: one per performance core but one; 128 GiB / 2 / 1 GiB allows 64.
    assert "11 workers per service" in report(run)
    published = run.result("Publish the interpreter and the sizing for the service roles")
    assert published["ansible_facts"]["macos_silicon_python_path"].endswith("/opt/python@3.12/bin/python3.12")


def test_memory_bounds_the_workers(ansible_playbook, fake_mac):
    run = ansible_playbook("macos_silicon_on_a_mac.yml", fake_mac(macos_silicon_worker_memory_mb=16384), check=True)
    assert "4 workers per service" in report(run)  # 128 GiB / 2 / 16 GiB


@pytest.mark.parametrize("sysctl,overrides,message", [
    ("sysctl_m1_rosetta_critical.txt", {}, "memory pressure critical"),
    ("sysctl_intel.txt", {}, "(Apple Silicon: False)"),
    ("sysctl_m3_max.txt", {"macos_silicon_min_free_memory_percent": 90}, "87% free"),
])
def test_guard_stops_before_anything_changes(ansible_playbook, fake_mac, sysctl, overrides, message):
    run = ansible_playbook("macos_silicon_on_a_mac.yml", fake_mac(sysctl, **overrides), check=True)
    assert run.rc != 0
    guard = run.result("Check that the Mac has Apple Silicon and memory to spare")
    assert guard["failed"] is True and message in guard["msg"], guard["msg"]
    assert run.each("Install the Homebrew formulae") == [] and run.stats["changed"] == 0


def test_a_given_interpreter_that_is_missing_is_refused(ansible_playbook, fake_mac):
    run = ansible_playbook("macos_silicon_on_a_mac.yml", fake_mac(macos_silicon_python="/opt/nowhere/python3"), check=True)
    assert run.rc != 0
    check = run.result("Check the interpreter")
    assert "/opt/nowhere/python3 does not exist" in check["msg"]
    assert run.result("Install the Homebrew formulae").get("skipped") is True  # nothing to brew


def test_a_given_interpreter_is_probed(ansible_playbook, fake_mac):
    run = ansible_playbook("macos_silicon_on_a_mac.yml", fake_mac(macos_silicon_python=sys.executable), check=True)
    assert run.rc == 0, run.output
    probe = run.result("Ask the interpreter whether PyTorch MPS and MLX work")
    python = probe["ansible_facts"]["silicon"]["python"]
    assert python["version"].startswith("3.") and python["mps_available"] is False
    assert "MPS False, MLX False" in report(run)


def test_gpu_power_is_sampled_as_root(ansible_playbook, fake_mac):
    # The test runs as root; su is the become method that needs no sudo here.
    run = ansible_playbook("macos_silicon_on_a_mac.yml", fake_mac(macos_silicon_powermetrics_samples=2,
                                                                  ansible_become_method="su"), check=True)
    assert run.rc == 0, run.output
    sample = run.result("Sample GPU power with powermetrics")["ansible_facts"]["silicon"]["powermetrics"]
    assert (sample["samples"], sample["power_watts"]) == (2, 10.0)
    assert report(run).endswith(", GPU 10.0 W.")


def test_bad_variables_are_refused_before_anything_changes(ansible_playbook, fake_mac):
    run = ansible_playbook("macos_silicon_on_a_mac.yml", fake_mac(macos_silicon_python_version="3.9"), check=True)
    check = run.result("Check the variables")
    assert check["failed"] is True and "macos_silicon_python_version must be a Python release such as 3.12, 3.10 or newer (got '3.9')" in check["msg"]
    assert run.stats["changed"] == 0 and run.each("Read the Mac") == []
