"""No secret on a process command line (issue 17): every command line of the scenario's
containers is sampled while the broker and Airflow are applied again (Redis's password check,
the airflow CLI's schema check, users, health); none may hold a password or key, and a canary
leaked through `environment:` shows the sampler sees them."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "_shared"))
from command_lines import CommandLines, leak_canary  # noqa: E402  pylint: disable=wrong-import-position
from playbook_run import ansible_playbook  # noqa: E402  pylint: disable=wrong-import-position

testinfra_hosts = ["ansible://airflow-prod"]
CONVERGE = os.path.join(os.path.dirname(HERE), "converge.yml")
BROKER, AIRFLOW = "airflow-prod-broker", "airflow-prod"


def test_runs_keep_secrets_off_command_lines(variables):
    secrets = [variables[name] for name in ("airflow_database_password", "airflow_redis_password", "airflow_secret_key",
                                            "airflow_jwt_secret", "airflow_fernet_key")]
    secrets += [user["password"] for user in variables["airflow_users"] + variables["airflow_flower_users"]]
    with CommandLines([BROKER, AIRFLOW, "airflow-prod-db"]) as seen:
        canary = leak_canary(BROKER)
        done = ansible_playbook(CONVERGE, None, "--limit", "redis,orchestration")
    assert done.returncode == 0, done.output[-4000:]
    assert any(canary in line for line in seen.lines), "the sampler missed the canary: it proves nothing"
    assert any("db check-migrations" in line for line in seen.lines), sorted(seen.lines)
    leaks = seen.holding(secrets)
    assert not leaks, "\n".join(f"{secret[:4]}...: {line[:300]}" for secret, line in leaks)
