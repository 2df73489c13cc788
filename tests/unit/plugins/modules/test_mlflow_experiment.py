"""Unit tests of mlflow_experiment against a fake MLflow server."""

import time

import pytest

from ansible_collections.efficientai.mlops.plugins.modules import mlflow_experiment

API = "/api/2.0/mlflow"
NOT_FOUND = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Could not find experiment with name 'churn'"}
DAY_MS = 86400 * 1000
NOW_MS = int(time.time() * 1000)


def experiment(stage="active", tags=None, experiment_id="3", name="churn", created=NOW_MS, **extra):
    return dict({"experiment_id": experiment_id, "name": name, "lifecycle_stage": stage,
                 "artifact_location": f"mlflow-artifacts:/{experiment_id}", "creation_time": created,
                 "last_update_time": created,
                 "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}, **extra)


def run(run_module, fake_http, check_mode=False, **args):
    base = dict(url=fake_http.url, username="admin", password="admin-password-1", name="churn", retries=0)
    args = {key: value for key, value in dict(base, **args).items() if value is not None}
    return run_module(mlflow_experiment, args, check_mode=check_mode)


def test_creates_with_tags(run_module, fake_http):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 404, NOT_FOUND)
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 200, {"experiment": experiment(tags={"team": "growth"})})
    fake_http.answer("POST", f"{API}/experiments/create", 200, {"experiment_id": "3"})
    result = run(run_module, fake_http, tags={"team": "growth", "tier": 1})
    assert result["changed"] and result["experiment"]["experiment_id"] == "3"
    # Tag values go as strings: MLflow stores an empty value for a number.
    assert fake_http.calls("POST")[0]["json"] == {"name": "churn", "tags": [{"key": "team", "value": "growth"},
                                                                            {"key": "tier", "value": "1"}]}


def test_check_mode_predicts_creation(run_module, fake_http):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 404, NOT_FOUND)
    predicted = run(run_module, fake_http, check_mode=True, tags={"team": "growth"})
    assert predicted["changed"]
    assert predicted["diff"]["after"] == {"name": "churn", "lifecycle_stage": "active", "tags": {"team": "growth"}}
    assert fake_http.calls("POST") == []
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 200, {"experiment": experiment(tags={"team": "growth"})})
    fake_http.answer("POST", f"{API}/experiments/create", 200, {"experiment_id": "3"})
    assert run(run_module, fake_http, tags={"team": "growth"})["diff"] == predicted["diff"]


def test_unchanged_when_tags_match(run_module, fake_http):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 200,
                     {"experiment": experiment(tags={"team": "growth", "mlflow.note.content": "x"})})
    result = run(run_module, fake_http, tags={"team": "growth"}, purge_tags=True)
    assert not result["changed"] and fake_http.calls("POST") == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_tags_are_set_and_purged(run_module, fake_http, check_mode):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 200,
                     {"experiment": experiment(tags={"team": "old", "stale": "1", "mlflow.note.content": "x"})})
    fake_http.answer("POST", f"{API}/experiments/set-experiment-tag", 200, {})
    fake_http.answer("POST", f"{API}/experiments/delete-experiment-tag", 200, {})
    result = run(run_module, fake_http, check_mode=check_mode, tags={"team": "growth", "tier": 1}, purge_tags=True)
    assert result["changed"]
    assert result["diff"]["before"]["tags"] == {"team": "old", "stale": "1"}
    assert result["diff"]["after"]["tags"] == {"team": "growth", "tier": "1"}
    sets = [c["json"] for c in fake_http.calls("POST", f"{API}/experiments/set-experiment-tag")]
    deletes = [c["json"] for c in fake_http.calls("POST", f"{API}/experiments/delete-experiment-tag")]
    if check_mode:
        assert sets == [] and deletes == []
    else:
        assert sets == [{"experiment_id": "3", "key": "team", "value": "growth"},
                        {"experiment_id": "3", "key": "tier", "value": "1"}]
        assert deletes == [{"experiment_id": "3", "key": "stale"}]


def test_present_refuses_a_deleted_experiment(run_module, fake_http):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 200, {"experiment": experiment("deleted")})
    result = run(run_module, fake_http)
    assert result["failed"] and "state=restored" in result["msg"]


def test_present_refuses_to_move_artifacts(run_module, fake_http):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 200, {"experiment": experiment()})
    result = run(run_module, fake_http, artifact_location="s3://elsewhere/churn")
    assert result["failed"] and "cannot move" in result["msg"]


def test_absent_then_absent_again(run_module, fake_http):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 200, {"experiment": experiment()})
    fake_http.answer("POST", f"{API}/experiments/delete", 200, {})
    assert run(run_module, fake_http, state="absent")["changed"]
    assert fake_http.calls("POST")[0]["json"] == {"experiment_id": "3"}
    fake_http.routes[("GET", f"{API}/experiments/get-by-name")] = [(200, {"experiment": experiment("deleted")})]
    assert not run(run_module, fake_http, state="absent")["changed"]


def test_restored(run_module, fake_http):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 200, {"experiment": experiment("deleted")})
    fake_http.answer("POST", f"{API}/experiments/restore", 200, {})
    result = run(run_module, fake_http, state="restored")
    assert result["changed"] and result["experiment"]["lifecycle_stage"] == "active"


def test_restoring_what_never_existed_fails(run_module, fake_http):
    fake_http.answer("GET", f"{API}/experiments/get-by-name", 404, NOT_FOUND)
    result = run(run_module, fake_http, state="restored")
    assert result["failed"] and "nothing to restore" in result["msg"]


def clean_server(fake_http):
    old = NOW_MS - 100 * DAY_MS
    fake_http.answer("POST", f"{API}/experiments/search", 200, {"experiments": [
        experiment(experiment_id="0", name="Default", created=old),
        experiment(experiment_id="1", name="scratch-old", created=old),
        experiment(experiment_id="2", name="old-but-busy", created=old)]})
    fake_http.answer("POST", f"{API}/runs/search", 200, {"runs": [{"info": {"start_time": old}}]})
    return old


def test_cleaned_check_mode_lists_and_deletes_nothing(run_module, fake_http):
    clean_server(fake_http)
    result = run(run_module, fake_http, check_mode=True, name=None, state="cleaned", older_than_days=30)
    assert result["changed"]
    assert [e["name"] for e in result["deleted_experiments"]] == ["scratch-old", "old-but-busy"]
    assert fake_http.calls("POST", f"{API}/experiments/delete") == []


def test_cleaned_keeps_recent_activity_and_deletes_old_runs(run_module, fake_http):
    old = NOW_MS - 100 * DAY_MS
    fake_http.answer("POST", f"{API}/experiments/search", 200, {"experiments": [
        experiment(experiment_id="1", name="scratch-old", created=old),
        experiment(experiment_id="2", name="old-but-busy", created=old)]})
    # latest run of experiment 1 is old, of experiment 2 recent; then the old runs of experiment 2
    fake_http.answer("POST", f"{API}/runs/search", 200, {"runs": [{"info": {"start_time": old}}]})
    fake_http.answer("POST", f"{API}/runs/search", 200, {"runs": [{"info": {"start_time": NOW_MS}}]})
    fake_http.answer("POST", f"{API}/runs/search", 200, {"runs": [
        {"info": {"run_id": "r1", "experiment_id": "2"}}, {"info": {"run_id": "r2", "experiment_id": "2"}}],
        "next_page_token": "p2"})
    fake_http.answer("POST", f"{API}/runs/search", 200, {"runs": [{"info": {"run_id": "r3", "experiment_id": "2"}}]})
    fake_http.answer("POST", f"{API}/runs/delete", 200, {})
    fake_http.answer("POST", f"{API}/experiments/delete", 200, {})
    result = run(run_module, fake_http, name=None, state="cleaned", older_than_days=30, delete_runs=True,
                 filter="name LIKE '%old%'")
    assert result["changed"]
    assert result["deleted_experiments"] == [{"experiment_id": "1", "name": "scratch-old"}]
    assert [r["run_id"] for r in result["deleted_runs"]] == ["r1", "r2", "r3"]
    assert [c["json"] for c in fake_http.calls("POST", f"{API}/experiments/delete")] == [{"experiment_id": "1"}]
    assert len(fake_http.calls("POST", f"{API}/runs/delete")) == 3
    search = fake_http.calls("POST", f"{API}/runs/search")
    assert search[2]["json"]["experiment_ids"] == ["2"]
    assert "attributes.status != 'RUNNING'" in search[2]["json"]["filter"]
    assert search[3]["json"]["page_token"] == "p2"
    assert fake_http.calls("POST", f"{API}/experiments/search")[0]["json"]["filter"] == "name LIKE '%old%'"


def test_cleaned_with_nothing_old_is_unchanged(run_module, fake_http):
    fake_http.answer("POST", f"{API}/experiments/search", 200, {"experiments": [experiment()]})
    fake_http.answer("POST", f"{API}/runs/search", 200, {"runs": []})
    result = run(run_module, fake_http, name=None, state="cleaned", older_than_days=30, delete_runs=True)
    assert not result["changed"] and result["deleted_experiments"] == [] and result["deleted_runs"] == []


@pytest.mark.parametrize("args, message", [
    ({"state": "cleaned", "name": None}, "older_than_days"),
    ({"state": "cleaned", "older_than_days": 0}, "at least 1"),
    ({"state": "present", "name": None}, "name"),
])
def test_bad_arguments(run_module, fake_http, args, message):
    result = run(run_module, fake_http, **args)
    assert result["failed"] and message in result["msg"]
    assert fake_http.requests == []
