"""Unit tests of bentoml_k8s_manifests: what it renders passes the Kubernetes schemas
(kubernetes-validate, strict), and bad values fail with a message that names them."""

import copy
from decimal import Decimal

import kubernetes_validate
import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.kubernetes import bentoml_k8s_manifests, quantity

# The role's defaults (roles/bentoml/defaults/main.yml): the seed guide's sizing.
SETTINGS = {
    "namespace": "mlops",
    "image_registry": "registry.example.com/ml",
    "replicas": 3,
    "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}},
    "autoscaling": {"enabled": True, "min_replicas": 2, "max_replicas": 10, "cpu_utilization": 70},
    "service_type": "ClusterIP",
    "service_port": 3000,
}
SERVICE = {"name": "iris", "bento": "iris_classifier:1.0.0", "environment": {"LOG_LEVEL": "info"}}


def render(service=None, **settings):
    return bentoml_k8s_manifests(dict(SERVICE, **(service or {})), dict(copy.deepcopy(SETTINGS), **settings))


def by_kind(manifests):
    return {manifest["kind"]: manifest for manifest in manifests}


class TestQuantity:
    @pytest.mark.parametrize("text, value", [
        ("2", Decimal(2)), ("500m", Decimal("0.5")), ("4Gi", Decimal(4 * 2 ** 30)), ("1.5", Decimal("1.5")),
        ("512Mi", Decimal(512 * 2 ** 20)), ("1e3", Decimal(1000)), ("1k", Decimal(1000)), (2, Decimal(2))])
    def test_parsed(self, text, value):
        assert quantity(text, "x") == value

    @pytest.mark.parametrize("text", ["4GB", "4 Gi", "Gi", "two", "", "1.2.3", "4gi"])
    def test_refused(self, text):
        with pytest.raises(AnsibleFilterError, match="is not a Kubernetes quantity"):
            quantity(text, "limits.memory")

    @pytest.mark.parametrize("text", ["0", "-1", "0Gi"])
    def test_not_positive(self, text):
        with pytest.raises(AnsibleFilterError, match="greater than zero"):
            quantity(text, "requests.cpu")

    def test_wrong_type(self):
        with pytest.raises(AnsibleFilterError, match="must be a Kubernetes quantity"):
            quantity(["2"], "requests.cpu")


class TestRendering:
    def test_every_manifest_passes_the_schemas(self):
        manifests = render()
        assert [m["kind"] for m in manifests] == ["Deployment", "Service", "HorizontalPodAutoscaler"]
        for manifest in manifests:
            kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)

    @pytest.mark.parametrize("version", ["1.30", "1.33"])
    def test_older_kubernetes_versions_accept_them_too(self, version):
        for manifest in render():
            kubernetes_validate.validate(manifest, version, strict=True)

    def test_seed_sizing(self):
        kinds = by_kind(render())
        spec = kinds["Deployment"]["spec"]
        assert spec["replicas"] == 3
        assert spec["template"]["spec"]["containers"][0]["resources"] == {
            "requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}
        hpa = kinds["HorizontalPodAutoscaler"]["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
        assert hpa["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
        assert hpa["scaleTargetRef"]["name"] == "iris"

    def test_container_serves_the_bento_with_probes(self):
        kinds = by_kind(render())
        container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "registry.example.com/ml/iris_classifier:1.0.0"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
        assert {"name": "LOG_LEVEL", "value": "info"} in container["env"]
        assert kinds["Service"]["spec"]["ports"][0] == {"name": "http", "port": 3000, "targetPort": "http", "protocol": "TCP"}
        # The selector must not change with the version, or the Deployment could not be updated.
        assert "app.kubernetes.io/version" not in kinds["Deployment"]["spec"]["selector"]["matchLabels"]
        assert kinds["Deployment"]["metadata"]["labels"]["app.kubernetes.io/version"] == "1.0.0"

    def test_secrets_never_reach_the_manifests(self):
        manifests = render({"secret_environment": {"API_TOKEN": "s3cr3t-value"}})
        assert "s3cr3t-value" not in yaml.safe_dump(manifests)

    def test_yaml_has_no_aliases(self):
        assert "&id" not in yaml.safe_dump_all(render())

    def test_service_overrides_merge_over_the_defaults(self):
        kinds = by_kind(render({"kubernetes": {"replicas": 2, "image": "other/iris:7",
                                               "resources": {"limits": {"memory": "16Gi"}},
                                               "autoscaling": {"max_replicas": 4}}}))
        container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "other/iris:7"
        assert container["resources"]["limits"] == {"cpu": "4", "memory": "16Gi"}
        assert container["resources"]["requests"] == {"cpu": "2", "memory": "4Gi"}
        assert kinds["HorizontalPodAutoscaler"]["spec"]["maxReplicas"] == 4
        assert kinds["Deployment"]["spec"]["replicas"] == 2

    def test_without_autoscaling_there_is_no_hpa(self):
        manifests = render(autoscaling={"enabled": False})
        assert [m["kind"] for m in manifests] == ["Deployment", "Service"]

    def test_without_registry_the_image_is_the_bento_tag(self):
        assert by_kind(render(image_registry=""))["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"] == \
            "iris_classifier:1.0.0"


class TestBadValues:
    @pytest.mark.parametrize("service, settings, message", [
        ({}, {"resources": {"requests": {"cpu": "2", "memory": "4GB"}}}, "resources.requests.memory '4GB' is not a Kubernetes quantity"),
        ({}, {"resources": {"requests": {"cpu": "8"}, "limits": {"cpu": "4"}}}, r"requests.cpu \(8\) is more than .*limits.cpu \(4\)"),
        ({}, {"resources": {"requests": {"gpu": "1"}}}, "knows cpu and memory, not gpu"),
        ({}, {"replicas": 12}, r"replicas \(12\) must lie between autoscaling.min_replicas \(2\) and max_replicas \(10\)"),
        ({}, {"replicas": "three"}, "replicas must be a whole number"),
        ({}, {"autoscaling": {"min_replicas": 5, "max_replicas": 3}}, r"max_replicas \(3\) is less than min_replicas \(5\)"),
        ({}, {"autoscaling": {"min_replicas": 0, "max_replicas": 3}}, "min_replicas must be at least 1"),
        ({}, {"autoscaling": {"cpu_utilization": 0}}, "cpu_utilization must be at least 1"),
        ({}, {"resources": {"limits": {"cpu": "4"}}}, "needs resources.requests.cpu"),
        ({}, {"service_type": "Ingress"}, "service_type must be one of"),
        ({}, {"service_port": 70000}, "service_port must be 1-65535"),
        ({}, {"namespace": "ML_Ops"}, "namespace 'ML_Ops'"),
        ({"name": "Iris_1"}, {}, "DNS-1035"),
        ({"bento": "iris_classifier:latest"}, {}, "follows latest"),
        ({"kubernetes": {"replica": 2}}, {}, "unknown key"),
    ])
    def test_refused_with_a_message_naming_the_value(self, service, settings, message):
        merged = copy.deepcopy(SETTINGS)
        for key, value in settings.items():
            merged[key] = dict(merged[key], **value) if key == "autoscaling" else value
        with pytest.raises(AnsibleFilterError, match=message):
            bentoml_k8s_manifests(dict(SERVICE, **service), merged)

    def test_schema_validation_catches_what_slips_through(self):
        # A wrong type that bypasses the filter is what kubernetes-validate (the role's
        # `validate:` step) reports, with the field path.
        deployment = render()[0]
        deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
        with pytest.raises(kubernetes_validate.ValidationError, match="containerPort"):
            kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)
