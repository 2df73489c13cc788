"""ansible-playbook as the scenarios' testinfra tests run it: against the scenario's
inventory, extra variables through a JSON file (their types survive), output kept and
nothing raised (the tests assert on the return code and the output)."""

import json
import os
import subprocess
import tempfile


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
    return result
