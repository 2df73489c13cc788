"""No secret on a process command line (issue 17): every command line of the scenario's
containers is sampled while the mlflow role migrates both databases (the schema marker set back
to an older version makes it stop the server, run both upgrades and start it again); none may
hold a password or key, and a canary leaked through `environment:` shows the sampler sees them."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "_shared"))
from command_lines import CommandLines, leak_canary  # noqa: E402  pylint: disable=wrong-import-position
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position

testinfra_hosts = ["ansible://mlflow-prod-tracking"]
ROLE = os.path.join(os.path.dirname(HERE), "role.yml")
CONTAINERS = ["mlflow-prod-tracking", "mlflow-prod-db"]
SECRETS = ["mlflow_db_password", "mlflow_auth_db_password", "mlflow_admin_password", "mlflow_flask_secret_key",
           "mlflow_s3_secret_access_key"]


def resolved(variables, name):
    """An inventory value, through `{{ other }}` references (the inventory is not templated)."""
    value = str(variables[name])
    while value.startswith("{{") and value.endswith("}}"):
        value = str(variables[value[2:-2].strip()])
    return value


def test_migrations_keep_passwords_off_command_lines(host):
    variables = host.ansible.get_variables()
    marker = f"{variables.get('mlflow_data_dir', '/var/lib/efficientai/mlflow')}/schema-version"
    version = host.file(marker).content_string.strip()
    host.run_test(f"echo 0.0.1 > {marker}")
    with CommandLines(CONTAINERS) as seen:
        canary = leak_canary("mlflow-prod-tracking")
        done = ansible_playbook(ROLE, {"target_role": "mlflow", "target_hosts": "tracking"})
    assert done.returncode == 0, done.output[-4000:]
    assert host.file(marker).content_string.strip() == version
    assert any(canary in line for line in seen.lines), "the sampler missed the canary: it proves nothing"
    upgrades = [line for line in seen.lines if "db upgrade" in line]
    assert any(" mlflow db upgrade @url" in line for line in upgrades), sorted(seen.lines)
    assert any("mlflow.server.auth db upgrade --url @url" in line for line in upgrades), upgrades
    leaks = seen.holding([resolved(variables, name) for name in SECRETS])
    assert not leaks, "\n".join(f"{secret[:4]}...: {line[:300]}" for secret, line in leaks)
