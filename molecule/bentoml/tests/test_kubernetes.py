"""The manifests rendered on the controller pass the Kubernetes schemas and carry the seed
sizing; a manifest the schemas refuse is not written. No cluster exists here: nothing is applied."""

import os

import kubernetes_validate
import yaml

MANIFEST_DIR = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "kubernetes")


def load(path):
    with open(path) as stream:
        return [document for document in yaml.safe_load_all(stream) if document]


def test_manifests_pass_the_schemas_with_the_seed_sizing():
    manifests = {m["kind"]: m for m in load(os.path.join(MANIFEST_DIR, "iris.yaml"))}
    assert sorted(manifests) == ["Deployment", "HorizontalPodAutoscaler", "Service"]
    for manifest in manifests.values():
        kubernetes_validate.validate(manifest, "1.33", strict=True)
    deployment = manifests["Deployment"]["spec"]
    container = deployment["template"]["spec"]["containers"][0]
    assert deployment["replicas"] == 3
    assert container["image"].startswith("registry.example.com/ml/iris_classifier:")
    assert container["resources"] == {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}
    hpa = manifests["HorizontalPodAutoscaler"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
    assert "molecule-demo-token-0123" not in open(os.path.join(MANIFEST_DIR, "iris.yaml")).read()


def test_a_manifest_the_checker_refuses_is_not_written(play, iris, tmp_path):
    # Every manifest the filter renders passes the schemas (tests/unit: a wrong type that
    # slipped through is refused with its field path); here the checker refuses a Kubernetes
    # version it has no schemas for, which shows that its verdict decides the write.
    result = play({"bentoml_services": [iris], "bentoml_kubernetes_enabled": True,
                   "bentoml_kubernetes_manifest_dir": str(tmp_path), "bentoml_kubernetes_version": "1.99"},
                  "--tags", "bentoml_kubernetes")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "failed to validate" in output and "does not support kubernetes version 1.99" in output, output[-3000:]
    assert not (tmp_path / "iris.yaml").exists()
