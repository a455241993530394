"""HyScale's strategic merge (§2.5, §6.11), for profiles and for k8s snippets."""

from __future__ import annotations

from typing import Any

import pytest

from hyscale_tasks.spec.merge import (
    PROFILE_MERGE_KEYS,
    PROFILE_REPLACE_FIELDS,
    SNIPPET_MERGE_KEYS,
    MergeKeyError,
    strategic_merge,
)

KEYS = {"items": "key"}
REPLACE = frozenset({"replaced", "replacedEmpty", "replacedObjects"})

SOURCE: dict[str, Any] = {
    "model": {"key": "key", "a": "val1", "b": "val2"},
    "items": [{"key": "k1", "a": "v1"}, {"key": "k2", "a": "v21", "b": "v22"}],
    "flag": False, "count": 0,
    "scalars": ["one", "two"],
    "map": {"m1": "v1", "m2": "v2"},
    "scalarToModel": "text", "listToModel": [1, 2, 3], "modelToList": {"f": "v"},
    "kept": "value", "text": "old",
    "replaced": [1, 2, 3], "replacedEmpty": [1, 2, 3], "replacedObjects": [{"key": "k1"}],
}
PATCH = {
    "model": {"key": "newKey", "a": "new1"},
    "items": [{"key": "k2", "a": "new21"}, {"key": "k3", "a": "v3"}],
    "flag": True, "count": 5, "newList": [1, 2],
    "scalars": ["zero", "two"],
    "map": {"m2": "new2"},
    "scalarToModel": {"f": "v"}, "listToModel": {"f": "v"}, "modelToList": [1, 2, 3],
    "kept": None, "text": "new",
    "replaced": [4, 5], "replacedEmpty": [], "replacedObjects": [{"key": "k2"}],
}
MERGED = {
    "model": {"key": "newKey", "a": "new1", "b": "val2"},
    "items": [{"key": "k1", "a": "v1"}, {"key": "k2", "a": "new21", "b": "v22"}, {"key": "k3", "a": "v3"}],
    "flag": True, "count": 5,
    "scalars": ["one", "two", "zero"],
    "map": {"m1": "v1", "m2": "new2"},
    "scalarToModel": {"f": "v"}, "listToModel": {"f": "v"}, "modelToList": [1, 2, 3],
    "kept": "value", "text": "new",
    "replaced": [4, 5], "replacedEmpty": [], "replacedObjects": [{"key": "k2"}],
    "newList": [1, 2],
}


def test_merge_follows_hyscales_rules_and_keeps_order() -> None:
    merged = strategic_merge(SOURCE, PATCH, KEYS, REPLACE)
    assert merged == MERGED
    assert list(merged) == list(MERGED)  # source keys first, then new ones: reproducible output
    assert SOURCE["items"][1] == {"key": "k2", "a": "v21", "b": "v22"}  # inputs untouched


def test_a_list_of_objects_without_a_merge_key_is_an_error() -> None:
    with pytest.raises(MergeKeyError, match="Merge key not found while merging mapping"):
        strategic_merge({"mapping": [{"port": "80/http"}]}, {"mapping": [{"port": "81/http"}]}, KEYS)


def test_profile_rules() -> None:
    spec = {"volumes": [{"name": "data", "path": "/data", "size": "1Gi"}],
            "ports": [{"port": "8080/http"}, {"port": 9090}],
            "allowTraffic": [{"ports": [8080], "from": ["a"]}],
            "k8sSnippets": ["a.yaml"]}
    profile = {"volumes": [{"name": "data", "size": "5Gi"}],
               "ports": [{"port": 9090, "healthCheck": {}}],
               "allowTraffic": [{"ports": [8080], "from": ["b"]}],
               "k8sSnippets": ["b.yaml", "a.yaml"]}
    merged = strategic_merge(spec, profile, PROFILE_MERGE_KEYS, PROFILE_REPLACE_FIELDS)
    assert merged == {"volumes": [{"name": "data", "path": "/data", "size": "5Gi"}],
                      "ports": [{"port": "8080/http"}, {"port": 9090, "healthCheck": {}}],
                      "allowTraffic": [{"ports": [8080], "from": ["b"]}],
                      "k8sSnippets": ["a.yaml", "b.yaml"]}


def test_snippet_rules_match_containers_and_ports_by_name() -> None:
    manifest = {"spec": {"containers": [{"name": "web", "image": "x"}],
                         "ports": [{"name": "80-tcp", "port": 80}]}}
    snippet = {"spec": {"containers": [{"name": "web", "securityContext": {"runAsUser": 1}},
                                       {"name": "side", "image": "y"}],
                        "ports": [{"name": "80-tcp", "nodePort": 30080}]}}
    assert strategic_merge(manifest, snippet, SNIPPET_MERGE_KEYS) == {"spec": {
        "containers": [{"name": "web", "image": "x", "securityContext": {"runAsUser": 1}},
                       {"name": "side", "image": "y"}],
        "ports": [{"name": "80-tcp", "port": 80, "nodePort": 30080}]}}
