"""playbooks/patch.yml for BentoML alone (patch_components: [bentoml]) on the serving host while a
client predicts through the nginx front without retries: a new package set rolls the service to
its idle slot with no failed prediction; a set without scikit-learn (the demo bento's model cannot
load) never passes the new slot's /readyz, so the run goes back to the previous environment, the
slot that served keeps serving (no failed prediction either), the one that did not start is
removed, and the run stops with a report. BentoML keeps no data in the backup sets, so the patch
takes no pre-patch backup."""

import base64
import json
import re
import ssl
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import host_name, run_playbook

testinfra_hosts = [f"ansible://{host_name('serving')}"]
VENV = "/opt/efficientai/bentoml/venv"
FLOWER = {"measurements": [[5.1, 3.5, 1.4, 0.2]]}


class Predictor(threading.Thread):
    """Asks the front for a prediction in a loop until stopped; keeps every failure."""

    def __init__(self, url, user, password, context):
        super().__init__(daemon=True)
        self.request = urllib.request.Request(url, method="POST", data=json.dumps(FLOWER).encode(), headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
        self.context, self.answered, self.failures = context, 0, []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                with urllib.request.urlopen(self.request, timeout=30, context=self.context) as answer:
                    assert json.loads(answer.read())[0] in ("setosa", "versicolor", "virginica")
                self.answered += 1
            except (urllib.error.URLError, OSError, ValueError, AssertionError) as error:
                self.failures.append(repr(error))
                time.sleep(0.2)
            time.sleep(0.05)

    def stop(self):
        self.stopping.set()
        self.join(timeout=60)


@pytest.fixture
def predictor(templated):
    user = [site for site in templated("hostvars[groups['proxy'][0]]['proxy_sites']") if site["name"] == "bentoml"][0]["auth_users"][0]
    url = f"https://{templated('mlops_public_name')}:{templated('mlops_front_ports')['bentoml']}/classify"
    client = Predictor(url, user["name"], user["password"], ssl.create_default_context(cafile=templated("mlops_ca_dir") + "/ca.crt"))
    client.start()
    time.sleep(2)  # some predictions before the first change
    yield client
    client.stop()


def active_slot(host):
    return json.loads(host.file("/opt/efficientai/bentoml/deployments/iris/active.json").content_string)["slot"]


def slot_units(host):
    """The slot instances of the iris service that systemd knows."""
    return sorted(host.check_output("systemctl list-units --all --plain --no-legend 'bentoml-iris-*' | awk '{print $1}'").split())


def test_a_new_package_set_rolls_through_the_slots(host, predictor):
    venv_before, slot_before = host.check_output(f"readlink {VENV}"), active_slot(host)
    # The demo bento's framework as installed (a role default is no inventory variable), and one more.
    sklearn = host.check_output(f"{VENV}/bin/python -c 'import sklearn; print(sklearn.__version__)'")
    packages = [f"scikit-learn=={sklearn}", "humanize==4.17.0"]

    result = run_playbook("patch.yml", "-e", json.dumps({"patch_components": ["bentoml"], "bentoml_python_packages": packages}))
    predictor.stop()
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert re.search(r"PLAY \[Take backup sets\] \**\nskipping: no hosts matched", result.stdout), result.stdout[:4000]
    assert host.check_output(f"readlink {VENV}") != venv_before
    host.run_test(f"{VENV}/bin/python -c 'import humanize'")
    assert active_slot(host) != slot_before
    assert slot_units(host) == [f"bentoml-iris-{active_slot(host)}.service"]
    assert predictor.failures == [], predictor.failures[:10]
    assert predictor.answered >= 20, "the client predicted too little to tell"


def test_a_set_that_cannot_serve_is_rolled_back_while_the_old_slot_serves(host, predictor):
    venv_before, slot_before = host.check_output(f"readlink {VENV}"), active_slot(host)

    result = run_playbook("patch.yml", "-e", json.dumps({"patch_components": ["bentoml"], "bentoml_python_packages": [],
                                                         "bentoml_ready_timeout": 40}))
    predictor.stop()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-5000:]
    assert f"The BentoML patch stopped at {host_name('serving')}: " in output, output[-5000:]
    assert f"Rolled back to the previous BentoML environment: {host_name('serving')}." in output, output[-5000:]
    assert host.check_output(f"readlink {VENV}") == venv_before
    assert active_slot(host) == slot_before
    assert slot_units(host) == [f"bentoml-iris-{slot_before}.service"]
    assert host.service(f"bentoml-iris-{slot_before}").is_running
    assert predictor.failures == [], predictor.failures[:10]
    assert predictor.answered >= 20, "the client predicted too little to tell"
