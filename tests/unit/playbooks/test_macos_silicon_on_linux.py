"""On Linux the macos_silicon role stops at preflight, says that it targets macOS and
changes nothing; the development deploy of a Linux machine never reaches it."""

import os
import re
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

PREFLIGHT_TASKS = {"Check the host and the variables", "Read the operating system", "Check that the host runs macOS"}


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_role_stops_at_preflight_on_linux(ansible_playbook, check):
    run = ansible_playbook("macos_silicon_on_linux.yml", check=check)
    assert run.rc != 0, run.output
    ran = [name for name in run.task_names()
           if name != "Gathering Facts" and not name.startswith("Validating arguments against arg spec")]
    assert set(ran) <= PREFLIGHT_TASKS, f"tasks ran after preflight: {ran}"
    result = run.result("Check that the host runs macOS")
    assert result.get("failed") is True
    assert "targets macOS on Apple Silicon" in result["msg"] and "runs Linux" in result["msg"]
    assert "Nothing was changed" in result["msg"]
    assert run.stats["changed"] == 0 and run.stats["failures"] == 1


def test_role_refuses_linux_before_checking_its_variables(ansible_playbook):
    run = ansible_playbook("macos_silicon_on_linux.yml", {"macos_silicon_workers": -3})
    assert "targets macOS" in run.result("Check that the host runs macOS")["msg"]


def test_development_deploy_of_linux_never_reaches_the_macos_play():
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    out = subprocess.run(["ansible-playbook", "-i", "inventories/development", "playbooks/deploy.yml", "--list-hosts"],
                         capture_output=True, text=True, check=True, cwd=REPO, env=env).stdout
    plays = dict(re.findall(r"play #\d+ \(([^)]*)\): (.+?)\s+TAGS", out))
    assert "macos" in plays, out
    hosts = re.search(r"play #\d+ \(macos\): .*?\n\s+pattern: .*?\n\s+hosts \((\d+)\):", out)
    assert hosts and hosts.group(1) == "0", out
