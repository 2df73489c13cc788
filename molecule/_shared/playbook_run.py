"""ansible-playbook as the scenarios' testinfra tests run it: against the scenario's
inventory, extra variables through a JSON file (their types survive), output kept and
nothing raised (the tests assert on the return code and the output). With MLOPS_PLAYBOOK_LOGS
set (`make test` sets it), each run's output is also kept there, task timings included: the
day-2 runs are most of CI's time, and a failed test's playbook is read there whole."""

import itertools
import json
import os
import re
import subprocess
import tempfile

_RUNS = itertools.count(1)


def ansible_playbook(playbook, variables=None, *options, inventory=None, env=None):
    """Run the playbook; return the completed process, with `output` = stdout + stderr
    (ansible-core reports failed tasks on stderr)."""
    command = ["ansible-playbook", "-i", inventory or os.environ["MOLECULE_INVENTORY_FILE"], playbook, *options]
    extra = None
    if variables:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as extra:
            json.dump(variables, extra)
        command += ["-e", f"@{extra.name}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    finally:
        if extra:
            os.unlink(extra.name)
    result.output = result.stdout + result.stderr
    _keep(playbook, result)
    return result


def _keep(playbook, result):
    directory = os.environ.get("MLOPS_PLAYBOOK_LOGS")
    if not directory:
        return
    scenario = os.environ.get("MOLECULE_SCENARIO_NAME", "scenario")
    test = re.sub(r"[^\w.-]+", "_", os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].split("::")[-1])
    name = f"{scenario}-{next(_RUNS):03d}-{os.path.basename(playbook)}-{test}"[:150] + ".log"
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "w", encoding="utf-8") as log:
        log.write(f"# rc={result.returncode}: {' '.join(result.args)}\n{result.output}")
