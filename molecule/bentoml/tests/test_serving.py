"""The demo iris classifier behind the front: correct predictions for known flowers, health
endpoints, metrics that count requests, unprivileged processes with a read-only store."""

import json

import pytest

from conftest import DEPLOYMENTS, FLOWERS, SPECIES, classify, front, http, request_total


def test_front_and_active_slot_run(host, active, journal):
    slot = active()["slot"]
    other = "b" if slot == "a" else "a"
    assert host.service("bentoml-front").is_running, journal("bentoml-front")
    assert host.service(f"bentoml-iris-{slot}").is_running, journal(f"bentoml-iris-{slot}")
    # The slot that does not serve is not left behind.
    assert not host.file(f"/etc/systemd/system/bentoml-iris-{other}.service").exists


def test_known_flowers_get_their_species(iris):
    status, body = classify(iris["port"], FLOWERS)
    assert status == 200, body
    assert json.loads(body) == SPECIES


def test_malformed_input_is_refused_not_crashed(iris):
    status, body = classify(iris["port"], [[5.1, 3.5, 1.4]])
    assert status == 400, body
    assert "at least 4 items" in body


@pytest.mark.parametrize("path", ["/readyz", "/livez", "/healthz"])
def test_health_endpoints_answer_on_the_front_and_the_slot(iris, active, path):
    slot_port = iris["port"] + 1 + ["a", "b"].index(active()["slot"])
    for url in (front(iris["port"]), f"http://127.0.0.1:{slot_port}"):
        status, body = http("GET", f"{url}{path}")
        assert status == 200, f"{url}{path}: {body}"


def test_metrics_count_the_requests(iris):
    before = request_total(iris["port"], "/classify")
    for request in range(5):
        assert classify(iris["port"], [FLOWERS[0]])[0] == 200, f"request {request}"
    assert request_total(iris["port"], "/classify") == before + 5


def test_workers_run_unprivileged(host, iris):
    # By their arguments: the interpreter's name depends on how the venv was made (pip: python3, uv: python3.11).
    serving = [p for p in host.process.filter() if "_bentoml_impl.worker.service" in p.args]
    assert len(serving) == iris["workers"]
    assert {p.user for p in serving} == {"bentoml"}
    assert host.process.get(comm="haproxy").user == "bentoml"


def test_package_haproxy_service_is_masked(host):
    # The front is the collection's unit; Debian's root-run haproxy.service must not run.
    assert host.run("systemctl is-enabled haproxy.service").stdout.strip() == "masked"
    assert not host.service("haproxy").is_running


def test_store_is_read_only_for_the_service(host, active):
    store = f"{DEPLOYMENTS}/iris/home"
    assert host.file(store).user == "root"
    assert host.run(f"runuser -u bentoml -- touch {store}/bentos/intruder").rc != 0
    instance = f"{DEPLOYMENTS}/iris/instances/{active()['slot']}"
    assert host.file(f"{instance}/prometheus_multiproc_dir").user == "bentoml"


def test_secrets_are_readable_by_the_service_user_only(host, active):
    env_file = host.file(f"/etc/efficientai/bentoml-iris-{active()['slot']}.env")
    assert env_file.user == "bentoml"
    assert env_file.mode == 0o600
    assert "IRIS_DEMO_TOKEN" in env_file.content_string


def test_host_limits_apply(host, active):
    unit = f"bentoml-iris-{active()['slot']}"
    assert host.check_output(f"systemctl show -p MemoryMax --value {unit}") == str(2 * 1024 ** 3)
    assert host.check_output(f"systemctl show -p CPUQuotaPerSecUSec --value {unit}") == "1.500000s"
