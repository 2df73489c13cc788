"""Unit tests of bentoml_model and bentoml_model_info against a fake bentoml CLI that keeps its store in memory and
reads and writes real archives (tar.xz with bento.yaml / model.yaml at the root), as BentoML 1.4 does."""

import io
import json
import os
import shutil
import tarfile

import pytest

from ansible.module_utils import basic
from ansible_collections.efficientai.mlops.plugins.module_utils._bentoml import archive_tag, tag_problem
from ansible_collections.efficientai.mlops.plugins.modules import bentoml_model, bentoml_model_info

INFO_FILE = {"bento": "bento.yaml", "model": "model.yaml"}
GROUP = {"bento": "bentos", "model": "models"}


def info_text(tag):
    name, version = tag.split(":")
    # As BentoML writes it: top-level scalars, nested maps indented.
    return (f"service: service:IrisClassifier\nname: {name}\nversion: {version}\nbentoml_version: 1.4.40\n"
            f"creation_time: '2026-11-27T16:37:16+00:00'\nlabels: {{}}\nentry_service: IrisClassifier\n"
            f"services:\n- name: IrisClassifier\n  config:\n    workers: 1\n")


def write_archive(path, tag, kind="bento", first_members=()):
    with tarfile.open(path, "w:xz") as archive:
        for member, content in list(first_members) + [(INFO_FILE[kind], info_text(tag))]:
            data = content.encode()
            info = tarfile.TarInfo(f"./{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return str(path)


class FakeBentoml:
    """Stands in for AnsibleModule.run_command running `bentoml`: it changes a store on disk
    as BentoML 1.4 does (<home>/bentos/<name>/<version>/bento.yaml, ...)."""

    def __init__(self, home):
        self.home = home
        self.calls = []
        self.environ = None

    def add(self, kind, tag):
        name, version = tag.split(":")
        directory = self.home / GROUP[kind] / name / version
        directory.mkdir(parents=True)
        (directory / INFO_FILE[kind]).write_text(info_text(tag))
        (self.home / GROUP[kind] / name / "latest").write_text(version)

    def tags(self, kind):
        root = self.home / GROUP[kind]
        return {f"{d.parent.name}:{d.name}" for d in root.glob("*/*") if d.is_dir()} if root.exists() else set()

    def __call__(self, argv, environ_update=None, **kwargs):
        self.environ = environ_update
        args = list(argv[1:])
        kind = "model" if args[0] == "models" else "bento"
        args = args[1:] if kind == "model" else args
        self.calls.append(" ".join(([] if kind == "bento" else ["models"]) + args[:1]))
        noun = "Model" if kind == "model" else "Bento"
        if args[0] == "import":
            if args[1].startswith("s3://"):
                return 1, "", f"PermissionError: Access Denied for key {environ_update.get('AWS_SECRET_ACCESS_KEY')}"
            tag = archive_tag(args[1], kind)
            if tag in self.tags(kind):
                return 1, "", f"Error: [{GROUP[kind]}] `import` failed: Item '{tag}' already exists in the store"
            self.add(kind, tag)
            return 0, f'{noun}(tag="{tag}") imported.\n', ""
        if args[0] == "export":
            write_archive(args[2], args[1], kind)
            return 0, f'{noun}(tag="{args[1]}") exported to {args[2]}.\n', ""
        if args[0] == "delete":
            name, version = args[2].split(":")
            shutil.rmtree(self.home / GROUP[kind] / name / version)
            return 0, f'{noun}(tag="{args[2]}") deleted.\n', ""
        return 2, "", f"unknown command {args}"


@pytest.fixture
def fake(monkeypatch, tmp_path):
    cli = FakeBentoml(tmp_path / "home")
    # An instance, not a function: it is not bound to the module, so it gets (argv, ...).
    monkeypatch.setattr(basic.AnsibleModule, "run_command", cli)
    return cli


@pytest.fixture
def run(run_module, fake):
    def call(check_mode=False, **args):
        return run_module(bentoml_model, dict({"home": str(fake.home), "executable": "/venv/bin/bentoml"}, **args),
                          check_mode=check_mode)
    return call


class TestTags:
    @pytest.mark.parametrize("tag", ["iris_classifier:1.0.0", "a:b", "fraud-detector.v2:20260101_ab12"])
    def test_valid(self, tag):
        assert tag_problem(tag) is None

    @pytest.mark.parametrize("tag, words", [
        ("iris_classifier", "names no version"),
        ("iris_classifier:latest", "follows latest"),
        ("Iris:1.0.0", "not valid"),
        ("iris:1.0.0-", "not valid"),
        ("iris:1:0", "not valid"),
        ("i" * 64 + ":1", "not valid"),
        ("", "expected a tag"),
        (None, "expected a tag"),
    ])
    def test_invalid(self, tag, words):
        assert words in tag_problem(tag)

    def test_name_alone_when_no_version_is_needed(self):
        assert tag_problem("iris_classifier", require_version=False) is None

    def test_archive_tag_is_found_after_other_members(self, tmp_path):
        path = write_archive(tmp_path / "x.bento", "iris:2", first_members=[("README.md", "version: 9\n")])
        assert archive_tag(path, "bento") == "iris:2"
        assert archive_tag(path, "model") is None

    def test_archive_tag_of_a_file_that_is_no_archive(self, tmp_path):
        path = tmp_path / "x.bento"
        path.write_text("not an archive")
        assert archive_tag(str(path), "bento") is None


class TestPresent:
    def test_import_then_nothing_to_do(self, fake, run, tmp_path):
        archive = write_archive(tmp_path / "iris.bento", "iris:1.0.0")
        predicted = run(check_mode=True, name="iris:1.0.0", src=archive)
        assert predicted["changed"] and fake.tags("bento") == set()
        first = run(name="iris:1.0.0", src=archive)
        assert first["changed"] and not first["failed"]
        assert first["info"]["entry_service"] == "IrisClassifier"
        assert fake.tags("bento") == {"iris:1.0.0"}
        second = run(name="iris:1.0.0", src=archive)
        assert not second["changed"]
        assert fake.calls.count("import") == 1
        assert run(check_mode=True, name="iris:1.0.0", src=archive)["changed"] is False

    def test_present_item_is_read_from_the_store_without_the_cli(self, fake, run):
        fake.add("bento", "iris:1.0.0")
        result = run(name="iris:1.0.0")
        assert not result["changed"]
        assert result["info"]["entry_service"] == "IrisClassifier"
        assert result["info"]["creation_time"] == "2026-11-27T16:37:16+00:00"
        assert "services" not in result["info"] and "labels" not in result["info"]
        assert fake.calls == []

    def test_cli_works_on_the_deployment_home_without_usage_reports(self, fake, run, tmp_path):
        run(name="iris:1.0.0", src=write_archive(tmp_path / "iris.bento", "iris:1.0.0"))
        assert fake.environ["BENTOML_HOME"] == str(fake.home)
        assert fake.environ["BENTOML_DO_NOT_TRACK"] == "true"

    def test_model_archive(self, fake, run, tmp_path):
        archive = write_archive(tmp_path / "clf.bentomodel", "iris_clf:1.0.0", kind="model")
        result = run(name="iris_clf:1.0.0", kind="model", src=archive)
        assert result["changed"] and fake.tags("model") == {"iris_clf:1.0.0"}
        assert "models import" in fake.calls

    def test_archive_with_another_tag_is_refused_and_removed(self, fake, run, tmp_path):
        archive = write_archive(tmp_path / "iris.bento", "iris:2.0.0")
        result = run(name="iris:1.0.0", src=archive)
        assert result["failed"]
        assert "holds the bento iris:2.0.0, not iris:1.0.0" in result["msg"]
        assert fake.tags("bento") == set()

    def test_missing_file_fails_before_the_cli_runs(self, fake, run):
        result = run(name="iris:1.0.0", src="/nowhere/iris.bento")
        assert result["failed"] and "is not a file on the target host" in result["msg"]
        assert "import" not in fake.calls

    def test_absent_without_source_fails(self, fake, run):
        result = run(name="iris:1.0.0")
        assert result["failed"] and "no src was given" in result["msg"]

    def test_cli_errors_do_not_show_secrets(self, fake, run):
        result = run(name="iris:1.0.0", src="s3://bucket/iris.bento",
                     environment={"AWS_ACCESS_KEY_ID": "key-id", "AWS_SECRET_ACCESS_KEY": "very-secret-value"})
        assert result["failed"]
        assert "Access Denied" in result["msg"]
        assert "very-secret-value" not in json.dumps(result)

    @pytest.mark.parametrize("name", ["iris", "iris:latest", "IRIS:1"])
    def test_bad_tag_is_refused_before_the_cli_runs(self, fake, run, name):
        result = run(name=name, src="/x.bento")
        assert result["failed"] and result["msg"].startswith("name:")
        assert fake.calls == []


class TestAbsent:
    def test_remove_then_nothing_to_do(self, fake, run):
        fake.add("bento", "iris:1.0.0")
        assert run(check_mode=True, name="iris:1.0.0", state="absent")["changed"]
        assert fake.tags("bento") == {"iris:1.0.0"}
        assert run(name="iris:1.0.0", state="absent")["changed"]
        assert fake.tags("bento") == set()
        assert not run(name="iris:1.0.0", state="absent")["changed"]


class TestExported:
    def test_export_then_nothing_to_do(self, fake, run, tmp_path):
        fake.add("bento", "iris:1.0.0")
        (tmp_path / "out").mkdir()
        dest = str(tmp_path / "out" / "iris.bento")
        assert run(check_mode=True, name="iris:1.0.0", state="exported", dest=dest)["changed"]
        assert not os.path.exists(dest)
        first = run(name="iris:1.0.0", state="exported", dest=dest, mode="0640")
        assert first["changed"] and archive_tag(dest, "bento") == "iris:1.0.0"
        assert os.stat(dest).st_mode & 0o777 == 0o640
        assert os.listdir(tmp_path / "out") == ["iris.bento"]  # no temporary file left
        second = run(name="iris:1.0.0", state="exported", dest=dest, mode="0640")
        assert not second["changed"]
        assert fake.calls.count("export") == 1

    def test_archive_of_another_tag_is_replaced(self, fake, run, tmp_path):
        fake.add("bento", "iris:1.0.1")
        dest = write_archive(tmp_path / "iris.bento", "iris:1.0.0")
        result = run(name="iris:1.0.1", state="exported", dest=dest)
        assert result["changed"]
        assert result["diff"] == {"before": {"dest": dest, "tag": "iris:1.0.0"}, "after": {"dest": dest, "tag": "iris:1.0.1"}}
        assert archive_tag(dest, "bento") == "iris:1.0.1"

    def test_extension_that_bentoml_would_change_is_refused(self, fake, run, tmp_path):
        fake.add("bento", "iris:1.0.0")
        result = run(name="iris:1.0.0", state="exported", dest=str(tmp_path / "iris.zip"))
        assert result["failed"] and "must end with one of .bento" in result["msg"]

    def test_item_not_in_store_fails(self, fake, run, tmp_path):
        result = run(name="iris:1.0.0", state="exported", dest=str(tmp_path / "iris.bento"))
        assert result["failed"] and "it is not in the store" in result["msg"]


class TestInfo:
    def info(self, run_module, fake, **args):
        return run_module(bentoml_model_info, dict({"home": str(fake.home)}, **args))

    def test_lists_one_kind_and_filters_by_name(self, fake, run_module):
        for tag in ("iris:1.0.0", "iris:1.0.1", "fraud:3"):
            fake.add("bento", tag)
        fake.add("model", "iris_clf:1.0.0")
        bentos = self.info(run_module, fake)
        assert not bentos["changed"]
        assert [b["tag"] for b in bentos["listed"]] == ["fraud:3", "iris:1.0.0", "iris:1.0.1"]
        assert bentos["listed"][0]["entry_service"] == "IrisClassifier"
        assert [m["tag"] for m in self.info(run_module, fake, kind="model")["listed"]] == ["iris_clf:1.0.0"]
        assert [b["tag"] for b in self.info(run_module, fake, name="iris")["listed"]] == ["iris:1.0.0", "iris:1.0.1"]
        assert fake.calls == []  # read from the store's files

    def test_empty_store(self, fake, run_module):
        assert self.info(run_module, fake)["listed"] == []

    def test_name_with_version_is_refused(self, fake, run_module):
        assert self.info(run_module, fake, name="iris:1.0.0")["failed"]
