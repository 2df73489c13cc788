"""Bad input fails in preflight, before anything changes, with a message that names it.
All cases run in one ansible-playbook run (validation.yml), each in its own block."""

import json
import os
import subprocess

import pytest

from conftest import DEPLOYMENTS, SCENARIO_DIR

FRONT_CONFIG = "/etc/efficientai/bentoml-front.cfg"


def service(**changes):
    return dict({"name": "typo", "bento": "iris_classifier:1.0.0", "source": "demo", "port": 13030}, **changes)


CASES = {
    "privileged port": ([service(port=80)], {}, "bentoml_services[0] (typo): port must be 1024-65535 (got 80)"),
    "slot port out of range": ([service(slot_ports=[13031, 99999])], {},
                               "bentoml_services[0] (typo): slot_ports must be two ports 1024-65535 (got [13031, 99999])"),
    "bento follows latest": ([service(bento="iris_classifier:latest")], {},
                             "bentoml_services[0] (typo): bento must be a BentoML tag with a fixed version "
                             "('iris_classifier:latest' follows latest"),
    "malformed bento tag": ([service(bento="Iris Classifier")], {},
                            "bento must be a BentoML tag with a fixed version ('Iris Classifier'"),
    "duplicate name": ([service(), service(port=13040)], {},
                       "bentoml_services[1] (typo): name must differ from that of bentoml_services[0] (typo): "
                       "every service needs its own name"),
    "port taken by a slot": ([service(), service(name="typo-2", port=13031)], {},
                             "bentoml_services[1] (typo-2): port must be a port of its own, slot ports included (got 13031, "
                             "which bentoml_services[0] (typo) binds already as its slot_ports[0])"),
    "host memory limit": ([service(memory_max="2GB")], {},
                          "bentoml_services[0] (typo): memory_max must be empty or look like 512M or 2G (got '2GB')"),
    "model without version": ([service(models=[{"tag": "iris_clf", "source": "/srv/clf.bentomodel"}])], {},
                              "bentoml_services[0] (typo): models[0].tag must be a BentoML tag with a fixed version "
                              "('iris_clf' names no version"),
    "port of the wrong type": ([service(port="eighty")], {}, "argument 'port' is of type str found in 'bentoml_services'"),
    "invalid quantity": ([service()], {"resources": {"requests": {"cpu": "2", "memory": "4GB"}}},
                         "resources.requests.memory '4GB' is not a Kubernetes quantity"),
    "autoscaling range": ([service()], {"autoscaling": {"enabled": True, "min_replicas": 5, "max_replicas": 3}},
                          "autoscaling.max_replicas (3) is less than min_replicas (5)"),
}


@pytest.fixture(scope="module")
def outcomes(host, tmp_path_factory):
    """Run every case once; return what each failed with, and the front config before and after."""
    report = tmp_path_factory.mktemp("validation") / "outcomes.json"
    extra = report.with_name("cases.json")
    cases = [dict({"id": case_id, "services": case[0]}, **case[1]) for case_id, case in CASES.items()]
    extra.write_text(json.dumps({"cases": cases, "report": str(report), "target_hosts": host.backend.host}))
    before = host.file(FRONT_CONFIG).sha256sum
    result = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                             os.path.join(SCENARIO_DIR, "validation.yml"), "-e", f"@{extra}"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return json.loads(report.read_text()), before


@pytest.mark.parametrize("case_id", CASES)
def test_bad_input_is_refused_with_a_clear_message(outcomes, case_id):
    message = outcomes[0][case_id]
    assert not message.startswith("PASSED"), message
    assert CASES[case_id][2] in message, message


def test_nothing_changed(host, outcomes):
    assert not host.file(f"{DEPLOYMENTS}/typo").exists
    assert host.file(FRONT_CONFIG).sha256sum == outcomes[1]
