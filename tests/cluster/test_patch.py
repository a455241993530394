"""PATCH: JSON patch (and its 422s), merge patch, strategic merge patch by merge keys."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from tests.cluster.builders import deployment, sample
from tests.cluster.fixtures import Cluster
from tests.cluster.patch import apply_merge_patch, apply_strategic_merge_patch


@pytest.fixture
def rich(cluster: Cluster) -> tuple[client.AppsV1Api, str]:
    """A Deployment with two containers, ports, env, volumes and mounts to patch."""
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    body = deployment("web")
    body["spec"]["template"]["spec"] = {
        "containers": [
            {
                "name": "web",
                "image": "reg/web:1",
                "ports": [
                    {"containerPort": 8080, "name": "http"},
                    {"containerPort": 9090, "name": "metrics"},
                ],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "volumeMounts": [
                    {"name": "conf", "mountPath": "/etc/app"},
                    {"name": "data", "mountPath": "/data"},
                ],
            },
            {"name": "sidecar", "image": "reg/side:1"},
        ],
        "volumes": [{"name": "conf", "configMap": {"name": "web-conf"}}, {"name": "data", "emptyDir": {}}],
    }
    apps.create_namespaced_deployment(ns, body)
    return apps, ns


def _template(apps: client.AppsV1Api, ns: str) -> client.V1PodSpec:
    return apps.read_namespaced_deployment("web", ns).spec.template.spec


def test_json_patch_applies(rich: tuple[client.AppsV1Api, str]) -> None:
    apps, ns = rich
    ops = [
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "reg/web:2"},
        {"op": "add", "path": "/metadata/labels/tier", "value": "front"},
    ]
    patched = apps.patch_namespaced_deployment("web", ns, ops)
    assert patched.spec.template.spec.containers[0].image == "reg/web:2"
    assert patched.metadata.labels["tier"] == "front"
    assert patched.metadata.generation == 2


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "test", "path": "/spec/replicas", "value": 5}],
        [{"op": "replace", "path": "/spec/template/spec/nothing/here", "value": 1}],
        [{"op": "remove", "path": "/metadata/labels/absent"}],
    ],
    ids=["failing-test", "missing-path", "remove-missing"],
)
def test_json_patch_that_cannot_apply_is_422(rich: tuple[client.AppsV1Api, str], ops: list[object]) -> None:
    apps, ns = rich
    with pytest.raises(client.ApiException) as info:
        apps.patch_namespaced_deployment("web", ns, ops)
    assert info.value.status == 422
    body = json.loads(info.value.body)
    assert body["kind"] == "Status" and body["reason"] == "Invalid" and body["code"] == 422
    after = apps.read_namespaced_deployment("web", ns)
    assert after.metadata.generation == 1 and after.spec.replicas == 1  # nothing of the patch was applied


def test_merge_patch_replaces_lists_and_null_deletes(cluster: Cluster) -> None:
    ns = cluster.namespace()
    api = cluster.api_client()
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(
        ns, {"metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "data": {"x": "1", "y": "2"}}
    )
    patched = core.patch_namespaced_config_map(
        "c",
        ns,
        {"metadata": {"labels": {"a": None}}, "data": {"y": "3"}},
        _content_type="application/merge-patch+json",
    )
    assert patched.metadata.labels == {"b": "2"}
    assert patched.data == {"x": "1", "y": "3"}
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("web"))
    merged = apps.patch_namespaced_deployment(
        "web",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "reg/other:1"}]}}}},
        _content_type="application/merge-patch+json",
    )
    assert merged.spec.template.spec.containers[0].ports is None  # the whole list was replaced


def test_strategic_merge_keys(rich: tuple[client.AppsV1Api, str]) -> None:
    apps, ns = rich
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "reg/web:2",
                            "ports": [{"containerPort": 9090, "name": "prom"}, {"containerPort": 7070}],
                            "env": [{"name": "B", "value": "changed"}, {"name": "C", "value": "3"}],
                            "volumeMounts": [{"mountPath": "/data", "name": "data", "readOnly": True}],
                        }
                    ],
                    "volumes": [
                        {"name": "conf", "configMap": {"name": "web-conf-2"}},
                        {"name": "cache", "emptyDir": {}},
                    ],
                }
            }
        }
    }
    spec = apps.patch_namespaced_deployment("web", ns, patch).spec.template.spec  # strategic by default
    web, side = spec.containers
    assert (web.name, web.image, side.name, side.image) == ("web", "reg/web:2", "sidecar", "reg/side:1")
    assert [(p.container_port, p.name) for p in web.ports] == [(8080, "http"), (9090, "prom"), (7070, None)]
    assert [(e.name, e.value) for e in web.env] == [("A", "1"), ("B", "changed"), ("C", "3")]
    assert [(m.mount_path, m.read_only) for m in web.volume_mounts] == [("/etc/app", None), ("/data", True)]
    assert [v.name for v in spec.volumes] == ["conf", "data", "cache"]
    assert spec.volumes[0].config_map.name == "web-conf-2"


def test_strategic_delete_directive_and_element_order(rich: tuple[client.AppsV1Api, str]) -> None:
    apps, ns = rich
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}],
                    "containers": [{"name": "web", "env": [{"name": "A", "$patch": "delete"}]}],
                    "volumes": [{"name": "data", "$patch": "delete"}],
                }
            }
        }
    }
    # removing the volume also needs its mount gone: do both in one patch, as kubectl would
    patch["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"mountPath": "/data", "$patch": "delete"}
    ]
    spec = apps.patch_namespaced_deployment("web", ns, patch).spec.template.spec
    assert [c.name for c in spec.containers] == ["sidecar", "web"]
    assert [e.name for e in spec.containers[1].env] == ["B"]
    assert [v.name for v in spec.volumes] == ["conf"]


def test_strategic_service_ports_merge_by_port(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    body = sample("Service", "svc")
    body["spec"]["ports"] = [{"name": "http", "port": 80, "targetPort": 8080}]
    core.create_namespaced_service(ns, body)
    patched = core.patch_namespaced_service("svc", ns, {"spec": {"ports": [{"name": "https", "port": 443}]}})
    assert [p.port for p in patched.spec.ports] == [80, 443]


def test_unsupported_patch_type_is_415(cluster: Cluster, rich: tuple[client.AppsV1Api, str]) -> None:
    _apps, ns = rich
    code, body = cluster.raw(
        "PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/web", {"spec": {}}, "application/x-unknown"
    )
    assert code == 415
    assert body["reason"] == "UnsupportedMediaType"


# ----- the patch functions themselves --------------------------------------------------------------


def test_merge_patch_rfc7386_examples() -> None:
    assert apply_merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}) == {
        "a": "z",
        "c": {"d": "e"},
    }
    assert apply_merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert apply_merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}


def test_strategic_patch_replace_directives() -> None:
    doc = {"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}}
    out = apply_strategic_merge_patch(
        doc,
        {"spec": {"template": {"spec": {"containers": [{"$patch": "replace"}, {"name": "c"}]}}}},
        "Deployment",
    )
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "c"}]
    out = apply_strategic_merge_patch(
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"$patch": "replace", "b": "2"}}},
        "Deployment",
    )
    assert out["metadata"]["labels"] == {"b": "2"}
    out = apply_strategic_merge_patch(
        {"metadata": {"finalizers": ["x"]}},
        {"metadata": {"finalizers": ["y"], "$deleteFromPrimitiveList/finalizers": ["x"]}},
        "Plain",
    )
    assert out["metadata"]["finalizers"] == ["y"]
