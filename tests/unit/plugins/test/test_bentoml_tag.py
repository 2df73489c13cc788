"""Unit tests of the bentoml_tag Jinja test (the rule itself: test_bentoml_model.py::TestTags)."""

import pytest

from ansible_collections.efficientai.mlops.plugins.test import bentoml_tag as plugin


@pytest.mark.parametrize("value, expected", [
    ("iris_classifier:1.0.0", True), ("iris_classifier", False), ("iris_classifier:latest", False),
    ("Iris:1", False), (3, False), (None, False)])
def test_bentoml_tag(value, expected):
    assert plugin.bentoml_tag(value) is expected


def test_registered_under_its_name():
    assert plugin.TestModule().tests()["bentoml_tag"] is plugin.bentoml_tag
