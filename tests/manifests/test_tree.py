"""Snippet insertion behaves as HyScale's ManifestTreeUtils (§6.10)."""

from __future__ import annotations

from typing import Any

import pytest

from hyscale_tasks.manifests.tree import InjectionError, inject

VALUE = {"test": "value"}


@pytest.mark.parametrize(("source", "path", "expected"), [
    ({}, "path", {"path": VALUE}),
    ({"test": "value"}, "path", {"test": "value", "path": VALUE}),
    # an object at the leaf is replaced, not merged
    ({"test": {"leaf": {"key": "val"}}}, "test.leaf", {"test": {"leaf": VALUE}}),
    ({"test": {"leaf": {"key": "val"}}}, "test.other",
     {"test": {"leaf": {"key": "val"}, "other": VALUE}}),
    # indexed segments create, replace, or pad with empty objects
    ({"root": {"test": [{"new": {"existing": "value"}}]}}, "root.test[1].new",
     {"root": {"test": [{"new": {"existing": "value"}}, {"new": VALUE}]}}),
    ({"root": {"test": [{"new": {"existing": "value"}}]}}, "root.test[0].new",
     {"root": {"test": [{"new": VALUE}]}}),
    ({"root": {"test": [{"new": {"existing": "value"}}]}}, "root.test[2].new",
     {"root": {"test": [{"new": {"existing": "value"}}, {}, {"new": VALUE}]}}),
])
def test_insertion_matches_hyscale(source: dict[str, Any], path: str, expected: dict[str, Any]) -> None:
    inject(source, path, VALUE)
    assert source == expected


def test_a_list_leaf_is_appended_to_so_two_plugins_concatenate() -> None:
    tree: dict[str, Any] = {}
    inject(tree, "spec.ports", [{"port": 80}])
    inject(tree, "spec.ports", [{"port": 9121}])
    inject(tree, "spec.ports", {"port": 9122})
    assert tree == {"spec": {"ports": [{"port": 80}, {"port": 9121}, {"port": 9122}]}}


def test_the_value_is_copied_so_later_changes_do_not_leak() -> None:
    labels = {"a": "b"}
    tree: dict[str, Any] = {}
    inject(tree, "metadata.labels", labels)
    labels["c"] = "d"
    assert tree == {"metadata": {"labels": {"a": "b"}}}


@pytest.mark.parametrize(("source", "path"), [
    ({"spec": "text"}, "spec.replicas"),
    ({"spec": {"containers": {"name": "x"}}}, "spec.containers[0].name"),
    ({}, ""),
    ({}, "spec..x"),
])
def test_paths_that_do_not_fit_the_tree_are_errors(source: dict[str, Any], path: str) -> None:
    with pytest.raises(InjectionError):
        inject(source, path, VALUE)
