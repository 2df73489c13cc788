# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Jinja test for BentoML tags that name a fixed version, for preflight checks."""

from __future__ import annotations

from ansible_collections.efficientai.mlops.plugins.module_utils._bentoml import tag_problem


def bentoml_tag(value):
    """True for a tag name:version that BentoML accepts, whose version is not `latest`."""
    return tag_problem(value) is None


class TestModule:
    """BentoML tag test."""

    def tests(self):
        return {'bentoml_tag': bentoml_tag}
