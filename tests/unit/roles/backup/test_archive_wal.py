"""The WAL archive command (roles/backup/templates/archive-wal.sh.j2) run for real with zstd:
complete files only, a retry of an archived segment succeeds, another segment under the same
name is refused and the archived one kept."""

import os
import shutil
import subprocess

import pytest

TEMPLATE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "backup", "templates", "archive-wal.sh.j2")
SEGMENT = "000000010000000000000003"

pytestmark = pytest.mark.skipif(not shutil.which("zstd"), reason="zstd is not installed on this machine")


@pytest.fixture
def archive(tmp_path):
    """The script with its two template expressions filled in, and an archive directory."""
    wal_dir = tmp_path / "wal"
    wal_dir.mkdir()
    text = open(TEMPLATE).read().replace("{{ ansible_managed | comment }}", "# managed")
    assert text.count("{{ _backup_wal_dir }}") == 1 and "{{" not in text.replace("{{ _backup_wal_dir }}", "")
    script = tmp_path / "archive-wal"
    script.write_text(text.replace("{{ _backup_wal_dir }}", str(wal_dir)))

    def run(content):
        source = tmp_path / "pg_wal" / SEGMENT
        source.parent.mkdir(exist_ok=True)
        source.write_bytes(content)
        return subprocess.run(["sh", str(script), str(source), SEGMENT], capture_output=True, text=True, check=False)
    return run, wal_dir


def archived(wal_dir):
    return subprocess.run(["zstd", "-q", "-d", "-c", str(wal_dir / f"{SEGMENT}.zst")], capture_output=True, check=True).stdout


def test_a_segment_is_archived_whole(archive):
    run, wal_dir = archive
    content = os.urandom(64 * 1024)
    assert run(content).returncode == 0
    assert archived(wal_dir) == content
    assert sorted(os.listdir(wal_dir)) == [f"{SEGMENT}.zst"]


def test_a_retry_of_an_archived_segment_succeeds(archive):
    run, wal_dir = archive
    content = os.urandom(4096)
    assert run(content).returncode == 0
    again = run(content)
    assert again.returncode == 0, again.stderr
    assert archived(wal_dir) == content


def test_another_segment_under_the_same_name_is_refused(archive):
    run, wal_dir = archive
    first = os.urandom(4096)
    assert run(first).returncode == 0
    other = run(os.urandom(4096))
    assert other.returncode != 0 and "exists with other content" in other.stderr
    assert archived(wal_dir) == first


def test_a_temporary_file_left_by_a_crash_is_replaced(archive):
    run, wal_dir = archive
    (wal_dir / f"{SEGMENT}.zst.tmp").write_bytes(b"half written")
    content = os.urandom(4096)
    assert run(content).returncode == 0
    assert archived(wal_dir) == content
    assert sorted(os.listdir(wal_dir)) == [f"{SEGMENT}.zst"]
