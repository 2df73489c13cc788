"""Unit tests of bentoml_model against a fake bentoml CLI that keeps its store in memory and
reads and writes real archives (tar.xz with bento.yaml / model.yaml at the root), as BentoML 1.4 does."""

import io
import json
import os
import tarfile

import pytest

from ansible.module_utils import basic
from ansible_collections.efficientai.mlops.plugins.module_utils._bentoml import archive_tag, tag_problem
from ansible_collections.efficientai.mlops.plugins.modules import bentoml_model

HOME = "/srv/deployments/iris/home"
INFO_FILE = {"bento": "bento.yaml", "model": "model.yaml"}


def write_archive(path, tag, kind="bento", first_members=()):
    name, version = tag.split(":")
    with tarfile.open(path, "w:xz") as archive:
        for member, content in list(first_members) + [(INFO_FILE[kind], f"name: {name}\nversion: {version}\nlabels: {{}}\n")]:
            data = content.encode()
            info = tarfile.TarInfo(f"./{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return str(path)


class FakeBentoml:
    """Stands in for AnsibleModule.run_command running `bentoml`."""

    def __init__(self, bentos=(), models=()):
        self.store = {"bento": set(bentos), "model": set(models)}
        self.calls = []
        self.environ = None

    def __call__(self, module, argv, environ_update=None, **kwargs):
        self.environ = environ_update
        args = list(argv[1:])
        kind = "model" if args[0] == "models" else "bento"
        args = args[1:] if kind == "model" else args
        self.calls.append(" ".join(([] if kind == "bento" else ["models"]) + args[:1]))
        group = "models" if kind == "model" else "bentos"
        noun = "Model" if kind == "model" else "Bento"
        if args[0] == "get":
            if args[1] not in self.store[kind]:
                return 1, "", f"Error: [{group}] `get` failed: {noun} '{args[1]}' is not found in BentoML store {HOME}/{group}"
            name, version = args[1].split(":")
            return 0, json.dumps({"name": name, "version": version, "entry_service": "IrisClassifier"}), ""
        if args[0] == "list":
            return 0, json.dumps([{"tag": tag, "size": "1 KiB"} for tag in sorted(self.store[kind])]), ""
        if args[0] == "import":
            if args[1].startswith("s3://"):
                return 1, "", f"PermissionError: Access Denied for key {environ_update.get('AWS_SECRET_ACCESS_KEY')}"
            tag = archive_tag(args[1], kind)
            if tag in self.store[kind]:
                return 1, "", f"Error: [{group}] `import` failed: Item '{tag}' already exists in the store"
            self.store[kind].add(tag)
            return 0, f'{noun}(tag="{tag}") imported.\n', ""
        if args[0] == "export":
            write_archive(args[2], args[1], kind)
            return 0, f'{noun}(tag="{args[1]}") exported to {args[2]}.\n', ""
        if args[0] == "delete":
            self.store[kind].discard(args[2])
            return 0, f'{noun}(tag="{args[2]}") deleted.\n', ""
        return 2, "", f"unknown command {args}"


@pytest.fixture
def fake(monkeypatch):
    cli = FakeBentoml()
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda module, argv, **kwargs: cli(module, argv, **kwargs))
    return cli


def run(run_module, check_mode=False, **args):
    return run_module(bentoml_model, dict({"home": HOME, "executable": "/venv/bin/bentoml"}, **args), check_mode=check_mode)


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
    def test_import_then_nothing_to_do(self, fake, run_module, tmp_path):
        archive = write_archive(tmp_path / "iris.bento", "iris:1.0.0")
        predicted = run(run_module, check_mode=True, name="iris:1.0.0", src=archive)
        assert predicted["changed"] and fake.store["bento"] == set()
        first = run(run_module, name="iris:1.0.0", src=archive)
        assert first["changed"] and not first["failed"]
        assert first["info"]["entry_service"] == "IrisClassifier"
        assert fake.store["bento"] == {"iris:1.0.0"}
        second = run(run_module, name="iris:1.0.0", src=archive)
        assert not second["changed"]
        assert fake.calls.count("import") == 1
        assert run(run_module, check_mode=True, name="iris:1.0.0", src=archive)["changed"] is False

    def test_store_is_the_deployment_home_and_usage_reports_are_off(self, fake, run_module):
        fake.store["bento"].add("iris:1.0.0")
        run(run_module, name="iris:1.0.0")
        assert fake.environ["BENTOML_HOME"] == HOME
        assert fake.environ["BENTOML_DO_NOT_TRACK"] == "true"

    def test_model_archive(self, fake, run_module, tmp_path):
        archive = write_archive(tmp_path / "clf.bentomodel", "iris_clf:1.0.0", kind="model")
        result = run(run_module, name="iris_clf:1.0.0", kind="model", src=archive)
        assert result["changed"] and fake.store["model"] == {"iris_clf:1.0.0"}
        assert "models import" in fake.calls

    def test_archive_with_another_tag_is_refused_and_removed(self, fake, run_module, tmp_path):
        archive = write_archive(tmp_path / "iris.bento", "iris:2.0.0")
        result = run(run_module, name="iris:1.0.0", src=archive)
        assert result["failed"]
        assert "holds the bento iris:2.0.0, not iris:1.0.0" in result["msg"]
        assert fake.store["bento"] == set()

    def test_missing_file_fails_before_the_cli_runs(self, fake, run_module):
        result = run(run_module, name="iris:1.0.0", src="/nowhere/iris.bento")
        assert result["failed"] and "is not a file on the target host" in result["msg"]
        assert "import" not in fake.calls

    def test_absent_without_source_fails(self, fake, run_module):
        result = run(run_module, name="iris:1.0.0")
        assert result["failed"] and "no src was given" in result["msg"]

    def test_cli_errors_do_not_show_secrets(self, fake, run_module):
        result = run(run_module, name="iris:1.0.0", src="s3://bucket/iris.bento",
                     environment={"AWS_ACCESS_KEY_ID": "key-id", "AWS_SECRET_ACCESS_KEY": "very-secret-value"})
        assert result["failed"]
        assert "Access Denied" in result["msg"]
        assert "very-secret-value" not in json.dumps(result)

    @pytest.mark.parametrize("name", ["iris", "iris:latest", "IRIS:1"])
    def test_bad_tag_is_refused_before_the_cli_runs(self, fake, run_module, name):
        result = run(run_module, name=name, src="/x.bento")
        assert result["failed"] and result["msg"].startswith("name:")
        assert fake.calls == []


class TestAbsent:
    def test_remove_then_nothing_to_do(self, fake, run_module):
        fake.store["bento"].add("iris:1.0.0")
        assert run(run_module, check_mode=True, name="iris:1.0.0", state="absent")["changed"]
        assert fake.store["bento"] == {"iris:1.0.0"}
        assert run(run_module, name="iris:1.0.0", state="absent")["changed"]
        assert fake.store["bento"] == set()
        assert not run(run_module, name="iris:1.0.0", state="absent")["changed"]


class TestExported:
    def test_export_then_nothing_to_do(self, fake, run_module, tmp_path):
        fake.store["bento"].add("iris:1.0.0")
        dest = str(tmp_path / "iris.bento")
        assert run(run_module, check_mode=True, name="iris:1.0.0", state="exported", dest=dest)["changed"]
        assert not os.path.exists(dest)
        first = run(run_module, name="iris:1.0.0", state="exported", dest=dest, mode="0640")
        assert first["changed"] and archive_tag(dest, "bento") == "iris:1.0.0"
        assert os.stat(dest).st_mode & 0o777 == 0o640
        assert sorted(os.listdir(tmp_path)) == ["iris.bento"]
        second = run(run_module, name="iris:1.0.0", state="exported", dest=dest, mode="0640")
        assert not second["changed"]
        assert fake.calls.count("export") == 1

    def test_archive_of_another_tag_is_replaced(self, fake, run_module, tmp_path):
        fake.store["bento"].add("iris:1.0.1")
        dest = write_archive(tmp_path / "iris.bento", "iris:1.0.0")
        result = run(run_module, name="iris:1.0.1", state="exported", dest=dest)
        assert result["changed"]
        assert result["diff"] == {"before": {"dest": dest, "tag": "iris:1.0.0"}, "after": {"dest": dest, "tag": "iris:1.0.1"}}
        assert archive_tag(dest, "bento") == "iris:1.0.1"

    def test_extension_that_bentoml_would_change_is_refused(self, fake, run_module, tmp_path):
        fake.store["bento"].add("iris:1.0.0")
        result = run(run_module, name="iris:1.0.0", state="exported", dest=str(tmp_path / "iris.zip"))
        assert result["failed"] and "must end with one of .bento" in result["msg"]

    def test_item_not_in_store_fails(self, fake, run_module, tmp_path):
        result = run(run_module, name="iris:1.0.0", state="exported", dest=str(tmp_path / "iris.bento"))
        assert result["failed"] and "it is not in the store" in result["msg"]


class TestList:
    def test_lists_both_kinds_and_filters_by_name(self, fake, run_module):
        fake.store["bento"].update({"iris:1.0.0", "iris:1.0.1", "fraud:3"})
        fake.store["model"].add("iris_clf:1.0.0")
        everything = run(run_module, state="list")
        assert not everything["changed"]
        assert [b["tag"] for b in everything["bentos"]] == ["fraud:3", "iris:1.0.0", "iris:1.0.1"]
        assert [m["tag"] for m in everything["models"]] == ["iris_clf:1.0.0"]
        assert [b["tag"] for b in run(run_module, state="list", name="iris")["bentos"]] == ["iris:1.0.0", "iris:1.0.1"]

    def test_name_with_version_is_refused(self, fake, run_module):
        assert run(run_module, state="list", name="iris:1.0.0")["failed"]
