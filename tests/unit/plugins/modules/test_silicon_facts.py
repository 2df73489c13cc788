"""silicon_facts run end to end on this (Linux) machine, with platform.system() and the
macOS commands answered from the captured outputs of tests/unit/fixtures/silicon."""

import os
from types import SimpleNamespace
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible_collections.efficientai.mlops.plugins.modules import silicon_facts

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "silicon")
PYTHON = "/opt/homebrew/opt/python@3.12/bin/python3.12"


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


# A 32 GB Mac mini: the memory, vm_stat and top outputs are one real capture.
MAC = {
    "sysctl": (1, fixture("sysctl_m3_max.txt"), ""),
    "system_profiler": (0, fixture("system_profiler_displays_m5_max.json"), ""),
    "pmset": (0, fixture("pmset_therm_apple_silicon.txt"), ""),
    "memory_pressure": (0, fixture("memory_pressure_mac_mini.txt"), ""),
    "vm_stat": (0, fixture("vm_stat_mac_mini.txt"), ""),
    "top": (0, fixture("top_two_samples.txt"), ""),
    "sw_vers": (0, fixture("sw_vers_sonoma.txt"), ""),
    PYTHON: (0, fixture("python_probe_mps_mlx.json"), ""),
    "powermetrics": (0, fixture("powermetrics_gpu_power.txt"), ""),
}


@pytest.fixture
def mac():
    """Pretend to be macOS; answers[name] = (rc, stdout, stderr) per command."""
    answers = dict(MAC)
    calls, warnings = [], []

    def run_command(self, argv, **kwargs):
        calls.append(argv)
        name = argv[0] if argv[0] == PYTHON else os.path.basename(argv[0])
        return answers[name]

    with mock.patch.object(silicon_facts.platform, "system", return_value="Darwin"), \
            mock.patch.object(silicon_facts.os, "access", return_value=True), \
            mock.patch.object(basic.AnsibleModule, "get_bin_path", lambda self, name, **kw: "/usr/bin/" + name), \
            mock.patch.object(basic.AnsibleModule, "run_command", run_command), \
            mock.patch.object(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg)):
        yield SimpleNamespace(answers=answers, calls=calls, warnings=warnings)


def test_facts_of_an_apple_silicon_mac(run_module, mac):
    result = run_module(silicon_facts, {})
    assert result["failed"] is False and result["changed"] is False
    facts = result["ansible_facts"]["silicon"]
    assert (facts["chip"], facts["apple_silicon"]) == ("Apple M3 Max", True)
    assert (facts["cpu"]["performance_cores"], facts["cpu"]["efficiency_cores"]) == (12, 4)
    assert facts["cpu"]["usage_percent"] == 37.37
    assert facts["memory"]["total_bytes"] == 137438953472  # sysctl wins over memory_pressure
    assert (facts["memory"]["free_percent"], facts["memory"]["pressure_level"]) == (87, "normal")
    assert facts["memory"]["swapouts"] == 0
    assert (facts["gpu"]["cores"], facts["thermal"]["state"], facts["macos"]["version"]) == (40, "nominal", "14.0")
    assert "python" not in facts and "powermetrics" not in facts


def test_sysctl_exit_1_for_unknown_names_is_not_a_failure(run_module, mac):
    answers, warnings = mac.answers, mac.warnings
    answers["sysctl"] = (1, fixture("sysctl_intel.txt"), "sysctl: unknown oid 'hw.optional.arm64'")
    facts = run_module(silicon_facts, {})["ansible_facts"]["silicon"]
    assert facts["apple_silicon"] is False
    assert (facts["cpu"]["performance_cores"], facts["cpu"]["efficiency_cores"]) == (12, 0)
    assert warnings == []


def test_a_failing_command_leaves_its_facts_null_with_a_warning(run_module, mac):
    answers, warnings = mac.answers, mac.warnings
    answers["system_profiler"] = (1, "", "system_profiler: timed out")
    answers["pmset"] = (0, "", "")
    result = run_module(silicon_facts, {})
    facts = result["ansible_facts"]["silicon"]
    assert facts["gpu"]["cores"] is None
    assert facts["thermal"]["state"] == "unknown"
    assert any("system_profiler" in warning and "timed out" in warning for warning in warnings)


def test_invalid_gpu_json_is_a_warning(run_module, mac):
    answers, warnings = mac.answers, mac.warnings
    answers["system_profiler"] = (0, "2026-11-27 error: SPDisplays", "")
    assert run_module(silicon_facts, {})["ansible_facts"]["silicon"]["gpu"]["model"] is None
    assert any(warning.startswith("GPU: system_profiler did not print JSON") for warning in warnings)


def test_python_probe(run_module, mac):
    calls = mac.calls
    facts = run_module(silicon_facts, {"python": PYTHON})["ansible_facts"]["silicon"]
    assert (facts["python"]["mps_available"], facts["python"]["mlx_metal_available"]) == (True, True)
    probe_call = [call for call in calls if call[0] == PYTHON][0]
    assert probe_call[1] == "-c"


def test_python_that_does_not_answer_fails_clearly(run_module, mac):
    answers = mac.answers
    answers[PYTHON] = (1, "", "dyld: Library not loaded")
    result = run_module(silicon_facts, {"python": PYTHON})
    assert result["failed"] is True
    assert PYTHON in result["msg"] and "dyld: Library not loaded" in result["msg"]


def test_missing_interpreter_fails_clearly(run_module, mac):
    with mock.patch.object(silicon_facts.os, "access", return_value=False):
        result = run_module(silicon_facts, {"python": "/nowhere/python3"})
    assert result["failed"] is True and "/nowhere/python3 is not an executable interpreter" in result["msg"]


def test_powermetrics_needs_root(run_module, mac):
    with mock.patch.object(silicon_facts.os, "geteuid", return_value=501):
        result = run_module(silicon_facts, {"powermetrics_samples": 2})
    assert result["failed"] is True and "become: true" in result["msg"]


def test_powermetrics_as_root(run_module, mac):
    calls = mac.calls
    with mock.patch.object(silicon_facts.os, "geteuid", return_value=0):
        facts = run_module(silicon_facts, {"powermetrics_samples": 2})["ansible_facts"]["silicon"]
    assert facts["powermetrics"]["power_watts"] == 10.0
    assert [call for call in calls if call[0].endswith("powermetrics")][0][-2:] == ["-n", "2"]


def test_cpu_is_sampled_over_the_given_interval(run_module, mac):
    calls = mac.calls
    run_module(silicon_facts, {"cpu_sample_seconds": 3})
    assert [call for call in calls if call[0].endswith("top")][0][1:] == ["-l", "2", "-n", "0", "-s", "3"]


@pytest.mark.parametrize("args,message", [
    ({"cpu_sample_seconds": 0}, "cpu_sample_seconds must be between 1 and 60"),
    ({"powermetrics_samples": -1}, "powermetrics_samples must be between 0 and 60"),
])
def test_bad_arguments_are_refused(run_module, mac, args, message):
    result = run_module(silicon_facts, args)
    assert result["failed"] is True and message in result["msg"]


def test_check_mode_reads_the_same(run_module, mac):
    assert run_module(silicon_facts, {}, check_mode=True) == run_module(silicon_facts, {})


def test_refuses_a_host_that_is_not_macos(run_module):
    result = run_module(silicon_facts, {})  # this test machine runs Linux
    assert result["failed"] is True
    assert "gathers the facts of macOS hosts; this host runs Linux" in result["msg"]
