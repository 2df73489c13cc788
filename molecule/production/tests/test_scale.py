"""playbooks/scale.yml takes MLflow from one replica per tracking host to three and back
while a client logs runs through the nginx front: not one request fails, and every run
it logged is in the tracking store afterwards."""

import time

from conftest import recaps, run_playbook

testinfra_hosts = ["ansible://production-tracking-1"]


def listening_replicas(tracking_hosts):
    """Per tracking host, how many of its three replica ports listen."""
    counts = []
    for host in tracking_hosts:
        base = int(host.ansible("debug", "var=mlflow_port", check=False)["mlflow_port"])
        counts.append(sum(host.socket(f"tcp://127.0.0.1:{port}").is_listening for port in range(base, base + 3)))
    return counts


def scale(replicas):
    result = run_playbook("scale.yml", "--tags", "mlflow", "-e", f"mlflow_replicas={replicas}")
    assert result.returncode == 0, result.stdout[-5000:]
    return recaps(result.stdout)


def test_scale_out_and_in_under_load(host, run_logger, front):
    tracking = [host, host.get_host("ansible://production-tracking-2", ansible_inventory=host.backend.ansible_inventory)]
    time.sleep(3)  # some requests before the first change
    scale(3)
    assert listening_replicas(tracking) == [3, 3]
    for unit in ("mlflow", "mlflow-2", "mlflow-3"):
        assert host.service(unit).is_running, host.run(f"journalctl -u {unit} -n 30 --no-pager").stdout
    time.sleep(3)  # requests spread over six replicas

    scale(1)
    assert listening_replicas(tracking) == [1, 1]
    assert not host.file("/etc/systemd/system/mlflow-2.service").exists
    assert not host.file("/etc/efficientai/mlflow-3.env").exists
    run_logger.stop()

    assert run_logger.failures == [], run_logger.failures[:10]
    assert len(run_logger.logged) >= 10, "the client logged too few runs to tell"
    stored = front.runs(run_logger.experiment_id)
    assert set(run_logger.logged) <= set(stored)
