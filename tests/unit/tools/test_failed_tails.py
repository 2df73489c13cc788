"""tools/failed-tails repeats the reasons of the failed jobs of `make test` where CI's output
ends, so that a shortened copy of the output still names the failing task."""

import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(REPO, "tools", "failed-tails")
FATAL = 'fatal: [monitoring-db]: FAILED! => {"msg": "' + "x" * 400 + '"}'


def failed_tails(tmp_path, *options):
    logs = tmp_path / ".cache" / "logs"
    logs.mkdir(parents=True)
    (logs / "molecule-monitoring.log").write_text(
        "TASK [Install node_exporter]\nFAILED - RETRYING: [monitoring-db]: Wait (3 retries left).\n"
        + FATAL + "\nINFO     [monitoring > destroy] Executing\nERROR    [monitoring > check] Executed: Failed\n"
        "monitoring                : actions=10  successful=8  failed=1\nmake[1]: *** [Makefile:75: molecule] Error 1\n"
        "<== molecule:monitoring FAILED in 2m20s\nlast line of the log\n")
    (logs / "molecule-common.log").write_text("fatal: [common]: an error of a stage that passed\n")
    stages = tmp_path / "stages.log"
    stages.write_text("molecule:common 181 passed\nmolecule:monitoring 140 FAILED\n")
    return subprocess.run([SCRIPT, *options, str(stages)], cwd=tmp_path, capture_output=True, text=True,
                          check=True).stdout


def test_brief_names_the_failed_task_only_cut_short(tmp_path):
    output = failed_tails(tmp_path, "--brief")
    assert output.splitlines()[0] == "molecule-monitoring, last errors:"
    assert "  " + FATAL[:300] + "\n" in output
    assert FATAL not in output
    assert "RETRYING" not in output and "passed" not in output and "last line" not in output
    assert "Executed" not in output and "actions=" not in output and "make[1]" not in output and "<==" not in output


def test_the_full_form_shows_the_errors_and_the_end_of_the_log(tmp_path):
    output = failed_tails(tmp_path)
    assert "==> the end of .cache/logs/molecule-monitoring.log (failed)" in output
    assert FATAL in output and "last line of the log" in output
    assert "molecule-common" not in output
