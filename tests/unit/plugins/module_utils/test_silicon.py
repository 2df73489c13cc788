"""Unit tests of the macOS command parsers against captured and constructed outputs
(tests/unit/fixtures/silicon/README.md says which is which)."""

import os

import pytest

from ansible_collections.efficientai.mlops.plugins.module_utils import silicon

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "silicon")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


class TestSysctl:
    def test_full_apple_silicon_answer(self):
        facts = silicon.cpu_facts(silicon.parse_sysctl(fixture("sysctl_m3_max.txt")))
        assert facts == {
            "chip": "Apple M3 Max", "model": "Mac15,8", "apple_silicon": True, "translated": False,
            "logical_cpus": 16, "performance_cores": 12, "efficiency_cores": 4,
            "memory_bytes": 137438953472, "memory_pressure_level": "normal"}

    def test_captured_m1_pro_without_memory_or_arm64_key(self):
        facts = silicon.cpu_facts(silicon.parse_sysctl(fixture("sysctl_m1_pro_grep_cpu.txt")))
        assert (facts["performance_cores"], facts["efficiency_cores"], facts["logical_cpus"]) == (8, 2, 10)
        # The chip name alone tells Apple Silicon when hw.optional.arm64 is missing.
        assert facts["apple_silicon"] is True
        assert facts["memory_bytes"] is None
        assert facts["memory_pressure_level"] is None

    def test_captured_m1_air_perflevels_only(self):
        facts = silicon.cpu_facts(silicon.parse_sysctl(fixture("sysctl_m1_air_perflevels.txt")))
        assert (facts["performance_cores"], facts["efficiency_cores"]) == (4, 4)
        assert facts["chip"] is None and facts["apple_silicon"] is None

    def test_captured_m2_ultra(self):
        facts = silicon.cpu_facts(silicon.parse_sysctl(fixture("sysctl_m2_ultra.txt")))
        assert (facts["performance_cores"], facts["efficiency_cores"]) == (16, 8)
        assert facts["memory_bytes"] == 206158430208

    def test_intel_mac_has_only_performance_cores(self):
        facts = silicon.cpu_facts(silicon.parse_sysctl(fixture("sysctl_intel.txt")))
        assert facts["apple_silicon"] is False
        assert (facts["performance_cores"], facts["efficiency_cores"]) == (12, 0)
        assert facts["memory_pressure_level"] == "warning"

    def test_rosetta_and_critical_pressure(self):
        facts = silicon.cpu_facts(silicon.parse_sysctl(fixture("sysctl_m1_rosetta_critical.txt")))
        assert facts["translated"] is True
        assert facts["memory_pressure_level"] == "critical"

    def test_empty_and_garbage_output(self):
        assert silicon.parse_sysctl("") == {}
        assert silicon.parse_sysctl("sysctl: unknown oid 'hw.perflevel0.logicalcpu'\n\x00junk") == {}
        facts = silicon.cpu_facts({})
        assert facts["performance_cores"] is None and facts["efficiency_cores"] is None
        assert facts["apple_silicon"] is None

    def test_odd_values_are_none_not_an_error(self):
        facts = silicon.cpu_facts({"hw.perflevel0.logicalcpu": "many", "hw.memsize": ""})
        assert facts["performance_cores"] is None and facts["memory_bytes"] is None


class TestDisplays:
    @pytest.mark.parametrize("name,model,cores,metal", [
        ("system_profiler_displays_m1_air.json", "Apple M1", 7, "metal3"),
        ("system_profiler_displays_m5_max.json", "Apple M5 Max", 40, "metal4"),
        ("system_profiler_displays_headless_no_cores.json", "Apple M2", None, None),
    ])
    def test_apple_gpu(self, name, model, cores, metal):
        gpu = silicon.parse_displays(fixture(name))
        assert (gpu["model"], gpu["cores"], gpu["metal_support"]) == (model, cores, metal)
        assert gpu["vendor"] == "sppci_vendor_Apple"

    def test_intel_mac_reports_its_first_gpu(self):
        gpu = silicon.parse_displays(fixture("system_profiler_displays_intel_amd.json"))
        assert (gpu["model"], gpu["cores"]) == ("Intel UHD Graphics 630", None)

    def test_no_gpu_entry(self):
        assert silicon.parse_displays('{"SPDisplaysDataType": []}')["model"] is None

    @pytest.mark.parametrize("text", ["", "not json", "[]", '{"SPDisplaysDataType": {}}'])
    def test_not_system_profiler_output(self, text):
        with pytest.raises(ValueError, match="system_profiler"):
            silicon.parse_displays(text)


class TestPmsetTherm:
    def test_apple_silicon_nominal(self):
        therm = silicon.parse_pmset_therm(fixture("pmset_therm_apple_silicon.txt"))
        assert therm["state"] == "nominal"
        assert (therm["thermal_warning_level"], therm["performance_warning_level"]) == (0, 0)
        assert therm["cpu_speed_limit"] is None

    def test_cpu_power_block_at_full_speed(self):
        therm = silicon.parse_pmset_therm(fixture("pmset_therm_cpu_power.txt"))
        assert therm["state"] == "nominal"
        assert (therm["cpu_speed_limit"], therm["cpu_scheduler_limit"], therm["cpu_available_cpus"]) == (100, 100, 12)

    def test_throttled_intel(self):
        therm = silicon.parse_pmset_therm(fixture("pmset_therm_intel_throttled.txt"))
        assert (therm["state"], therm["cpu_speed_limit"]) == ("elevated", 34)

    def test_warning_level(self):
        therm = silicon.parse_pmset_therm(fixture("pmset_therm_warning_level.txt"))
        assert (therm["state"], therm["thermal_warning_level"]) == ("elevated", 2)

    def test_latest_record_wins(self):
        text = fixture("pmset_therm_intel_throttled.txt") + "2021-09-03 13:30:00 +0900 CPU Power notify\n\tCPU_Speed_Limit \t= 100\n"
        assert silicon.parse_pmset_therm(text)["state"] == "nominal"

    @pytest.mark.parametrize("text", ["", "pmset: command not found\n"])
    def test_unknown(self, text):
        assert silicon.parse_pmset_therm(text)["state"] == "unknown"


class TestMemory:
    def test_memory_pressure_full_output(self):
        memory = silicon.parse_memory_pressure(fixture("memory_pressure_mac_mini.txt"))
        assert memory == {"free_percent": 87, "total_bytes": 34359738368, "page_size": 16384,
                          "swapins": 0, "swapouts": 0, "compressor_pages": 120555}

    def test_memory_pressure_short_form(self):
        memory = silicon.parse_memory_pressure(fixture("memory_pressure_quiet.txt"))
        assert (memory["free_percent"], memory["total_bytes"], memory["page_size"]) == (40, 17179869184, None)
        assert memory["swapins"] is None

    def test_memory_pressure_without_percentage(self):
        assert silicon.parse_memory_pressure("memorystatus_get_level failed:\n")["free_percent"] is None

    def test_vm_stat_apple_silicon(self):
        vm = silicon.parse_vm_stat(fixture("vm_stat_mac_mini.txt"))
        assert vm["page_size"] == 16384
        assert vm["pages"]["wired_down"] == 142222
        assert vm["pages"]["translation_faults"] == 6256987137
        assert vm["pages"]["anonymous_pages"] == 1268414
        assert vm["reclaimable_bytes"] == (15160 + 889884 + 2084) * 16384
        assert vm["compressed_bytes"] == 120555 * 16384

    def test_vm_stat_missing_lines(self):
        vm = silicon.parse_vm_stat(fixture("vm_stat_intel_partial.txt"))
        assert (vm["page_size"], vm["pages"]["free"]) == (4096, 10000)
        assert vm["reclaimable_bytes"] is None  # no speculative line: no guess
        assert vm["compressed_bytes"] is None

    def test_vm_stat_without_header(self):
        vm = silicon.parse_vm_stat("Pages free: 12.\n")
        assert vm["page_size"] is None and vm["reclaimable_bytes"] is None


class TestTopCpu:
    def test_second_sample_is_used(self):
        cpu = silicon.parse_top_cpu(fixture("top_two_samples.txt"))
        assert (cpu["user_percent"], cpu["system_percent"], cpu["idle_percent"]) == (31.25, 6.12, 62.63)
        assert cpu["usage_percent"] == 37.37
        assert cpu["load_average"] == [2.10, 2.35, 2.40]

    def test_captured_single_sample(self):
        cpu = silicon.parse_top_cpu(fixture("top_mac_mini.txt"))
        assert cpu["usage_percent"] == 42.65

    def test_no_usage_line(self):
        cpu = silicon.parse_top_cpu("Processes: 1 total\n")
        assert cpu["usage_percent"] is None and cpu["load_average"] is None


class TestSwVers:
    @pytest.mark.parametrize("name,version,major,build,extra", [
        ("sw_vers_sonoma.txt", "14.0", 14, "23A344", None),
        ("sw_vers_tahoe.txt", "26.5.1", 26, "25F80", None),
        ("sw_vers_rapid_security_response.txt", "13.4.1", 13, "22F770820d", "(c)"),
        ("sw_vers_catalina.txt", "10.15.7", 10, "19H2026", None),
    ])
    def test_versions(self, name, version, major, build, extra):
        macos = silicon.parse_sw_vers(fixture(name))
        assert (macos["version"], macos["major"], macos["build"], macos["version_extra"]) == (version, major, build, extra)

    def test_names(self):
        assert silicon.parse_sw_vers(fixture("sw_vers_sonoma.txt"))["name"] == "macOS"
        assert silicon.parse_sw_vers(fixture("sw_vers_catalina.txt"))["name"] == "Mac OS X"

    def test_empty(self):
        assert silicon.parse_sw_vers("") == {"name": None, "version": None, "version_extra": None, "major": None, "build": None}


class TestPowermetrics:
    def test_two_samples_are_averaged(self):
        gpu = silicon.parse_powermetrics_gpu(fixture("powermetrics_gpu_power.txt"))
        assert gpu == {"samples": 2, "active_frequency_mhz": 921.0, "active_residency_percent": 60.0,
                       "idle_residency_percent": 40.0, "power_watts": 10.0}

    def test_no_gpu_section(self):
        gpu = silicon.parse_powermetrics_gpu("powermetrics must be invoked as the superuser\n")
        assert gpu["samples"] == 0 and gpu["power_watts"] is None


class TestPythonProbe:
    def test_mps_and_mlx_usable(self):
        probe = silicon.parse_python_probe(fixture("python_probe_mps_mlx.json"))
        assert (probe["mps_available"], probe["mlx_metal_available"]) == (True, True)
        assert (probe["torch_version"], probe["mlx_version"], probe["machine"]) == ("2.5.1", "0.21.0", "arm64")
        assert probe["errors"] == []

    def test_rosetta_interpreter_without_packages(self):
        probe = silicon.parse_python_probe(fixture("python_probe_rosetta_nothing.json"))
        assert (probe["mps_available"], probe["mlx_metal_available"], probe["machine"]) == (False, False, "x86_64")
        assert len(probe["errors"]) == 2 and "torch" in probe["errors"][0]

    def test_warnings_before_the_result_line_are_ignored(self):
        text = "UserWarning: something\n" + fixture("python_probe_mps_mlx.json")
        assert silicon.parse_python_probe(text)["mps_available"] is True

    @pytest.mark.parametrize("text", ["", "Traceback (most recent call last):\n", "[1, 2]"])
    def test_not_a_probe_answer(self, text):
        with pytest.raises(ValueError):
            silicon.parse_python_probe(text)

    def test_probe_runs_here(self, tmp_path):
        """The probe itself runs on any Python 3 (here without torch or MLX)."""
        import subprocess
        import sys
        out = subprocess.run([sys.executable, "-c", silicon.PYTHON_PROBE], capture_output=True, text=True, check=True,
                             cwd=tmp_path).stdout
        probe = silicon.parse_python_probe(out)
        assert probe["version"].startswith("3.")
        assert probe["mlx_metal_available"] is False
