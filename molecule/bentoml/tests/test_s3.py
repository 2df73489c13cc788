"""A second deployment whose model and bento come from S3 (moto stands in for it, on
loopback): exported from the first deployment's store, imported, served, then removed.
The same run sets the first deployment back to the inventory's bento: after test_rollout
that is a rollback, which must use the stored bento rather than build it again."""

import json

import boto3
import pytest
from moto.server import ThreadedMotoServer

from conftest import DEPLOYMENTS, FLOWERS, SPECIES, classify

S3_PORT = 13090
CLI = "/opt/efficientai/bentoml/venv/bin/bentoml"


@pytest.fixture
def s3():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=S3_PORT)
    server.start()
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{S3_PORT}", region_name="us-east-1",
                          aws_access_key_id="molecule", aws_secret_access_key="molecule-secret")
    client.create_bucket(Bucket="bentos")
    yield client
    server.stop()


def export(host, tag, kind, dest):
    return host.ansible("efficientai.mlops.bentoml_model", json.dumps({
        "name": tag, "kind": kind, "state": "exported", "dest": dest,
        "home": f"{DEPLOYMENTS}/iris/home", "executable": CLI}), check=False)


def test_deployment_from_s3_and_rollback(host, play, iris, s3, active):
    bento, model = iris["bento"], "iris_clf:" + iris["bento"].split(":")[1]
    stored = f"{DEPLOYMENTS}/iris/home/bentos/iris_classifier/{bento.split(':')[1]}/bento.yaml"
    built_at = host.file(stored).mtime
    host.run("rm -f /tmp/iris.bento /tmp/iris_clf.bentomodel")
    first = export(host, bento, "bento", "/tmp/iris.bento")
    assert first["changed"], first
    assert not export(host, bento, "bento", "/tmp/iris.bento")["changed"]
    assert export(host, model, "model", "/tmp/iris_clf.bentomodel")["changed"]
    s3.put_object(Bucket="bentos", Key="iris/iris-1.0.0.bento", Body=host.file("/tmp/iris.bento").content)
    s3.put_object(Bucket="bentos", Key="iris/iris_clf-1.0.0.bentomodel", Body=host.file("/tmp/iris_clf.bentomodel").content)

    from_s3 = {"name": "iris-s3", "bento": bento, "source": "s3://bentos/iris/iris-1.0.0.bento", "port": 13020,
               "models": [{"tag": model, "source": "s3://bentos/iris/iris_clf-1.0.0.bentomodel"}]}
    s3_settings = {"bentoml_s3_endpoint_url": f"http://127.0.0.1:{S3_PORT}", "bentoml_s3_access_key_id": "molecule",
                   "bentoml_s3_secret_access_key": "molecule-secret"}
    result = play(dict(s3_settings, bentoml_services=[iris, from_s3]))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "molecule-secret" not in result.stdout
    assert active()["bento"] == bento
    assert host.file(stored).mtime == built_at, "the stored bento was built again"
    status, body = classify(13020, FLOWERS)
    assert status == 200 and json.loads(body) == SPECIES, body
    listed = host.check_output(f"BENTOML_HOME={DEPLOYMENTS}/iris-s3/home {CLI} models list --output json")
    assert [m["tag"] for m in json.loads(listed)] == [model]

    # Removing a service only needs the run step, which must leave the other one alone.
    serving = active()
    removed = play(dict(s3_settings, bentoml_services=[iris, dict(from_s3, state="absent")]), "--tags", "bentoml_run")
    assert removed.returncode == 0, removed.stdout[-3000:] + removed.stderr
    assert not host.file(f"{DEPLOYMENTS}/iris-s3").exists
    assert not host.file("/etc/systemd/system/bentoml-iris-s3-a.service").exists
    assert "iris-s3" not in host.file("/etc/efficientai/bentoml-front.cfg").content_string
    assert not host.socket("tcp://127.0.0.1:13020").is_listening
    assert active() == serving
