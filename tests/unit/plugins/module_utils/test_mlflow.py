"""Unit tests of the decisions in module_utils/_mlflow."""

from ansible_collections.efficientai.mlops.plugins.module_utils._mlflow import is_stale, tag_changes, tags_of


def test_tags_of_leaves_out_system_tags():
    assert tags_of({"tags": [{"key": "team", "value": "a"}, {"key": "mlflow.note.content", "value": "x"}]}) == {"team": "a"}
    assert tags_of({}) == {}


def test_tag_changes():
    assert tag_changes({"a": "1", "b": "2"}, {"a": 1, "c": "3"}, purge=False) == ({"c": "3"}, [])
    assert tag_changes({"a": "1", "b": "2"}, {"a": "1"}, purge=True) == ({}, ["b"])
    assert tag_changes({}, {}, purge=True) == ({}, [])


def test_is_stale():
    old = {"experiment_id": "5", "creation_time": 100, "last_update_time": 150}
    assert is_stale(old, None, 200)
    assert not is_stale(old, 250, 200)
    assert not is_stale(dict(old, last_update_time=300), None, 200)
    assert not is_stale(dict(old, experiment_id="0"), None, 200)
