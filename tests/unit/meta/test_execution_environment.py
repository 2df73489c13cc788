"""meta/execution-environment.yml: `ansible-builder create` makes a build context from it
and the collection tarball (building the image needs the base image's registry)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
EE_FILE = os.path.join(REPO, "meta", "execution-environment.yml")


def run(*argv, cwd):
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The build context that ansible-builder creates next to a freshly built tarball."""
    work = tmp_path_factory.mktemp("ee")
    run(os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work), REPO, cwd=work)
    shutil.copy(EE_FILE, work)
    run(os.path.join(BIN, "ansible-builder"), "create", "--file", "execution-environment.yml",
        "--context", "context", "--output-filename", "Containerfile", cwd=work)
    return work


def test_the_definition_is_version_3():
    with open(EE_FILE, encoding="utf-8") as handle:
        definition = yaml.safe_load(handle)
    assert definition["version"] == 3
    assert definition["dependencies"]["ansible_core"]["package_pip"].startswith("ansible-core==")


def test_the_tarball_leaves_the_definition_out(context):
    (tarball,) = glob.glob(str(context / "efficientai-mlops-*.tar.gz"))
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "meta/runtime.yml" in names
    assert "meta/execution-environment.yml" not in names


def test_the_context_has_the_collection_and_its_dependencies(context):
    build = context / "context" / "_build"
    assert glob.glob(str(build / "collections" / "efficientai-mlops-*.tar.gz"))
    requirements = yaml.safe_load((build / "requirements.yml").read_text())
    names = [collection["name"] for collection in requirements["collections"]]
    assert names[0] == "/build/collections/efficientai-mlops.tar.gz"
    assert {"community.postgresql", "community.crypto", "kubernetes.core"} <= set(names)
    assert "kubernetes-validate==1.37.0" in (build / "requirements.txt").read_text().split()
    assert "openssh-clients [platform:rpm]" in (build / "bindep.txt").read_text().splitlines()


def test_the_tarball_is_in_place_before_galaxy_installs(context):
    lines = (context / "context" / "Containerfile").read_text().splitlines()
    assert lines[0].startswith("ARG EE_BASE_IMAGE=") and "quay.io/fedora/fedora:42" in lines[0]
    copy = lines.index("COPY _build/collections/ /build/collections/")
    rename = next(i for i, line in enumerate(lines) if line.startswith("RUN mv /build/collections/"))
    install = next(i for i, line in enumerate(lines) if "ansible-galaxy collection install" in line)
    assert copy < rename < install
