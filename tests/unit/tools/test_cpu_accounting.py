"""tools/cpu-accounting reads the kernel's process accounting (acct v3 records) into CPU seconds
per command, forks that did not exec apart."""

import os
import struct
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(REPO, "tools", "cpu-accounting")
RECORD = struct.Struct("<BBHIIIIIIf8H16s")


def record(command, utime, stime, forked=False, version=3):
    """One acct v3 record; times are comp_t ticks (13-bit mantissa, base-8 exponent in the top 3 bits)."""
    return RECORD.pack(0x01 if forked else 0, version, 0, 0, 0, 0, 100, 1, 0, 0.0, utime, stime, 0, 0, 0, 0, 0, 0,
                       command.encode())


def report(tmp_path, data):
    path = tmp_path / "pacct"
    path.write_bytes(data)
    return subprocess.run([sys.executable, SCRIPT, "report", str(path)], capture_output=True, text=True, check=False)


def test_cpu_seconds_per_command_with_forks_apart(tmp_path):
    # 250 ticks = 2.5 s; (1 << 13) | 100 = 100 * 8 ticks = 8 s.
    data = (record("python3.11", 200, 50) + record("python3.11", 30, 20) + record("ansible-playboo", 100, 0, forked=True)
            + record("airflow", (1 << 13) | 100, 0) + b"\0" * 10)
    result = report(tmp_path, data)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["12", "CPU"] and "in 4 exited processes" in lines[0]
    rows = [line.split() for line in lines[2:]]
    assert rows == [["8", "66.7%", "1", "8.00", "airflow"], ["3", "25.0%", "2", "1.50", "python3.11"],
                    ["1", "8.3%", "1", "1.00", "ansible-playboo*"]]


def test_another_record_version_is_refused(tmp_path):
    result = report(tmp_path, record("python3", 1, 1, version=2))
    assert result.returncode != 0 and "acct version 2, not 3" in result.stderr
