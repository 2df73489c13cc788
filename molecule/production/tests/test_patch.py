"""playbooks/patch.yml to a deliberately broken version (a pinned SQLAlchemy 1.4, which
installs but with which MLflow 3.17 cannot start) takes the pre-patch backup, rolls the
first tracking host back to its previous environment, leaves the second untouched, stops
with a report, and leaves the stack healthy with its data."""

from conftest import run_playbook

testinfra_hosts = ["ansible://production-tracking-1"]
BROKEN = '{"mlflow_extra_packages": ["sqlalchemy==1.4.54"]}'


def venv_state(host):
    return host.check_output("readlink /opt/efficientai/mlflow/venv"), host.check_output("ls /opt/efficientai/mlflow/venvs")


def test_a_broken_patch_rolls_back_the_first_host(host, front):
    other = host.get_host("ansible://production-tracking-2",
                          ansible_inventory=host.backend.ansible_inventory)
    db = host.get_host("ansible://production-db", ansible_inventory=host.backend.ansible_inventory)
    experiment_id = front.experiment("before-patch")
    before_runs = {front.log_run(experiment_id, step) for step in range(3)}
    first_before, other_before = venv_state(host), venv_state(other)
    sets_before = set(db.check_output("ls /var/backups/efficientai").split())

    result = run_playbook("patch.yml", "-e", BROKEN)
    output = result.stdout + result.stderr  # failures go to stderr (display_failed_stderr)
    assert result.returncode != 0, output[-5000:]
    assert "The patch stopped at production-tracking-1" in output, output[-5000:]
    assert "Not patched: production-tracking-2" in output, output[-5000:]
    assert "did not become ready" in output, "the failure should be the broken start"

    # The pre-patch backup set was taken and verified before anything changed.
    new_sets = set(db.check_output("ls /var/backups/efficientai").split()) - sets_before
    assert any(db.file(f"/var/backups/efficientai/{name}/manifest.json").exists for name in new_sets), new_sets

    # The first host is back on its environment; the broken one is kept next to it (the
    # next install prunes it) and the rollback target is still the good one.
    link, venvs = venv_state(host)
    assert link == first_before[0]
    assert len(venvs.split()) == 2 and set(venvs.split()) >= set(first_before[1].split())
    assert host.check_output("readlink /opt/efficientai/mlflow/venv.previous") == link
    assert host.service("mlflow").is_running
    # The second host was not touched at all.
    assert venv_state(other) == other_before

    health = run_playbook("health.yml")
    assert health.returncode == 0, health.stdout[-4000:]
    assert before_runs <= set(front.runs(experiment_id))
