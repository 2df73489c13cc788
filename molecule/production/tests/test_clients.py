"""Real clients through the front over verified TLS, and what crosses the network meanwhile:
MLflow's own client logs and reads back a run, BentoML's client predicts, and a capture on the
scenario's bridge while runs are logged holds no credential in clear text."""

import json
import os
import subprocess
import tempfile
import time

testinfra_hosts = ["ansible://production-ops"]
BRIDGE = "mlops-prod"
# Not under /tmp: that is a tmpfs in the containers, which docker cp does not see.
CA_IN_CONTAINER = "/root/front-ca.crt"
MLFLOW_CLIENT = """
import mlflow
mlflow.set_experiment("network-client")
with mlflow.start_run() as run:
    mlflow.log_param("through", "front")
    for step in range(3):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
data = mlflow.MlflowClient().get_run(run.info.run_id).data
print(dict(data.params), data.metrics["loss"])
"""
# RUNS runs with an artifact each, then every artifact downloaded DOWNLOADS times through the
# front (which spreads the requests over both tracking hosts), without retries: with artifacts
# split between the hosts, about half of the 32 downloads would fail.
RUNS, DOWNLOADS = 8, 4
ARTIFACTS_CLIENT = f"""
import hashlib, json, os, tempfile, mlflow
mlflow.set_experiment("one-artifact-store")
logged = {{}}
for index in range({RUNS}):
    with mlflow.start_run() as run:
        path = os.path.join(tempfile.mkdtemp(), "a.txt")
        content = os.urandom(4096 + index)
        open(path, "wb").write(content)
        mlflow.log_artifact(path)
    logged[run.info.run_id] = hashlib.sha256(content).hexdigest()
failures, different = [], 0
for run_id, digest in logged.items():
    for _ in range({DOWNLOADS}):
        try:
            got = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="a.txt", dst_path=tempfile.mkdtemp())
        except Exception as error:
            failures.append(str(error)[:200])
            continue
        different += hashlib.sha256(open(got, "rb").read()).hexdigest() != digest
print(json.dumps({{"runs": list(logged), "failures": failures, "different": different}}))
"""
BENTOML_CLIENT = """
import json, sys, bentoml
with bentoml.SyncHTTPClient(sys.argv[1]) as client:
    print(json.dumps(client.classify(measurements=[[5.9, 3.0, 5.1, 1.8]])))
"""


def copy_ca(templated, container):
    subprocess.run(["docker", "cp", templated("mlops_ca_dir") + "/ca.crt", f"{container}:{CA_IN_CONTAINER}"], check=True)


def run_in(container, python, code, *args, env=None):
    options = [item for name, value in (env or {}).items() for item in ("-e", f"{name}={value}")]
    return subprocess.run(["docker", "exec", "-i", *options, container, python, "-", *args], input=code,
                          capture_output=True, text=True, check=False)


def mlflow_client(templated, code, login=True):
    """MLflow's own client, in tracking-1's MLflow environment, through the front without retries:
    as the admin and verifying the private CA, or (login=False) with neither."""
    copy_ca(templated, "production-tracking-1")
    env = {"MLFLOW_TRACKING_URI": f"https://{templated('mlops_public_name')}:{templated('mlops_front_ports')['mlflow']}",
           "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    if login:
        env.update({"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_SERVER_CERT_PATH": CA_IN_CONTAINER,
                    "MLFLOW_TRACKING_PASSWORD": templated("hostvars[groups['tracking'][0]]['mlflow_admin_password']")})
    return run_in("production-tracking-1", "/opt/efficientai/mlflow/venv/bin/python", code, env=env)


def test_mlflows_client_logs_through_the_front_over_verified_tls(templated):
    result = mlflow_client(templated, MLFLOW_CLIENT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("{'through': 'front'} 0.3333333333333333"), result.stdout
    # Without the private CA the client refuses the front.
    refused = mlflow_client(templated, MLFLOW_CLIENT, login=False)
    assert refused.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr, refused.stderr[-2000:]


def test_artifacts_logged_through_either_tracking_host_are_read_through_both(templated):
    result = mlflow_client(templated, ARTIFACTS_CLIENT)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\nartifacts through the front: {len(found['runs'])} runs logged, {len(found['runs']) * DOWNLOADS} downloads, "
          f"{len(found['failures'])} failed, {found['different']} with different bytes")
    assert (found["failures"], found["different"]) == ([], 0)
    # One store: every artifact is on the artifacts host's disk, none on the other's.
    stored = {container: subprocess.run(["docker", "exec", container, "find", "/var/lib/efficientai/mlflow", "-name", "a.txt"],
                                        capture_output=True, text=True, check=True).stdout
              for container in ("production-tracking-1", "production-tracking-2")}
    assert all(f"/{run_id}/artifacts/a.txt" in stored["production-tracking-1"] for run_id in found["runs"])
    assert not any(run_id in stored["production-tracking-2"] for run_id in found["runs"])


def test_bentomls_client_predicts_through_the_front(templated):
    copy_ca(templated, "production-serving")
    site = next(site for site in templated("hostvars[groups['proxy'][0]]['proxy_sites']") if site["name"] == "bentoml")
    user = site["auth_users"][0]
    front = f"https://{user['name']}:{user['password']}@{templated('mlops_public_name')}:{templated('mlops_front_ports')['bentoml']}"
    result = run_in("production-serving", "/opt/efficientai/bentoml/venv/bin/python", BENTOML_CLIENT, front,
                    env={"SSL_CERT_FILE": CA_IN_CONTAINER})
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout) in (["setosa"], ["versicolor"], ["virginica"]), result.stdout


def test_no_credential_crosses_the_network_in_clear(front):
    with tempfile.TemporaryDirectory() as workdir:
        capture = os.path.join(workdir, "bridge.pcap")
        tcpdump = subprocess.Popen(["tcpdump", "-i", BRIDGE, "-U", "-s", "0", "-w", capture, "tcp"],
                                   stderr=subprocess.PIPE, text=True)
        try:
            assert "listening on" in tcpdump.stderr.readline()
            experiment = front.experiment("capture")
            logged = [front.log_run(experiment, step) for step in range(10)]
            time.sleep(1)
        finally:
            tcpdump.terminate()
            tcpdump.wait(timeout=30)
        with open(capture, "rb") as stream:
            packets = stream.read()
        backend = subprocess.run(["tcpdump", "-nn", "-r", capture, "tcp port 5000"], capture_output=True, text=True, check=True)
    # The capture saw the front talking to the tracking hosts while the runs were logged...
    assert len(logged) == 10 and backend.stdout.count("\n") > 20, backend.stdout[-2000:]
    # ...and no basic-auth header (the front's or MLflow's) travelled in clear text.
    assert b"authorization:" not in packets.lower()
