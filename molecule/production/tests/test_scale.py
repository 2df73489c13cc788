"""playbooks/scale.yml takes MLflow from one replica per tracking host to two and back
while a client logs runs through the nginx front: not one request fails, every run it
logged is in the tracking store afterwards, and Prometheus probes each replica that runs."""

import json
import re
import time
from urllib.parse import urlsplit

from conftest import recaps, run_playbook

testinfra_hosts = ["ansible://production-tracking-1"]


def listening_replicas(tracking_hosts, bases):
    """Per tracking host, how many of its first three replica ports (from its base) listen on its address."""
    return [sum(host.socket(f"tcp://{address}:{port}").is_listening for port in range(base, base + 3))
            for host, (address, base) in zip(tracking_hosts, bases.values())]


def probed_replicas(host, templated):
    """Per tracking host, the MLflow replicas' ports that Prometheus (on the monitoring host, loopback)
    probes (mlflow, mlflow-2, ...; not the artifacts-only server, which does not scale)."""
    monitoring = host.get_host(f"ansible://{templated('groups')['monitoring'][0]}", ansible_inventory=host.backend.ansible_inventory)
    # Where the unit runs it (the role's default listen address is not an inventory variable).
    listen = re.search(r"--web\.listen-address=(\S+)", monitoring.check_output("systemctl show prometheus -p ExecStart --value")).group(1)
    targets = json.loads(monitoring.check_output(f"curl -sf 'http://{listen}/api/v1/targets?state=active'"))["data"]["activeTargets"]
    probed = {}
    for target in targets:
        labels = target["labels"]
        if target["scrapePool"] == "probe_http" and re.fullmatch(r"mlflow(-[0-9]+)?", labels["service"]):
            probed.setdefault(labels["node"], []).append(urlsplit(labels["instance"]).port)
    return {node: sorted(ports) for node, ports in probed.items()}


def scale(replicas):
    result = run_playbook("scale.yml", "--tags", "mlflow", "-e", f"mlflow_replicas={replicas}")
    assert result.returncode == 0, result.stdout[-5000:]
    return recaps(result.stdout)


def test_scale_out_and_in_under_load(host, run_logger, front, templated):
    tracking = [host, host.get_host("ansible://production-tracking-2", ansible_inventory=host.backend.ansible_inventory)]
    bases = {h.backend.host: (h.ansible("debug", "var=mlflow_host", check=False)["mlflow_host"],
                              int(h.ansible("debug", "var=mlflow_port", check=False)["mlflow_port"])) for h in tracking}
    time.sleep(3)  # some requests before the first change
    scale(2)
    assert listening_replicas(tracking, bases) == [2, 2]
    for unit in ("mlflow", "mlflow-2"):
        assert host.service(unit).is_running, host.run(f"journalctl -u {unit} -n 30 --no-pager").stdout
    assert probed_replicas(host, templated) == {node: [base, base + 1] for node, (_address, base) in bases.items()}
    time.sleep(3)  # requests spread over four replicas

    scale(1)
    assert listening_replicas(tracking, bases) == [1, 1]
    assert not host.file("/etc/systemd/system/mlflow-2.service").exists
    assert not host.file("/etc/efficientai/mlflow-2.env").exists
    assert probed_replicas(host, templated) == {node: [base] for node, (_address, base) in bases.items()}
    run_logger.stop()

    assert run_logger.failures == [], run_logger.failures[:10]
    assert len(run_logger.logged) >= 10, "the client logged too few runs to tell"
    stored = front.runs(run_logger.experiment_id)
    assert set(run_logger.logged) <= set(stored)
