"""Namespaces: deleting one deletes everything in it, then itself."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.cluster.builders import deployment, sample
from tests.cluster.fixtures import Cluster


def test_deleting_a_namespace_deletes_its_objects(cluster: Cluster) -> None:
    ns = cluster.namespace()
    api = cluster.api_client()
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespaced_config_map(ns, sample("ConfigMap", "c"))
    core.create_namespaced_secret(ns, sample("Secret", "s"))
    core.create_namespaced_service(ns, sample("Service", "svc"))
    apps.create_namespaced_deployment(ns, deployment("web"))
    cluster.wait_for(lambda: core.list_namespaced_pod(ns).items, what="the Deployment's pod")
    deleted = core.delete_namespace(ns)
    assert deleted["status"]["phase"] == "Terminating"
    if cluster.is_standin:  # a real apiserver may already have moved on
        with pytest.raises(client.ApiException) as info:
            core.create_namespaced_config_map(ns, sample("ConfigMap", "late"))
        assert info.value.status in (403, 404)

    def gone() -> bool:
        try:
            core.read_namespace(ns)
        except client.ApiException as err:
            return err.status == 404
        return False

    cluster.wait_for(gone, timeout=60, what="the namespace to go")
    assert core.list_namespaced_config_map(ns).items == []
    assert core.list_namespaced_pod(ns).items == []
    assert apps.list_namespaced_replica_set(ns).items == []


def test_creating_in_a_terminating_namespace_is_forbidden(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespaced_config_map(ns, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    core.delete_namespace(ns)
    with pytest.raises(client.ApiException) as info:
        core.create_namespaced_config_map(ns, sample("ConfigMap", "late"))
    assert info.value.status == 403
    assert "because it is being terminated" in info.value.body
    assert core.read_namespace(ns).status.phase == "Terminating"
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    cluster.wait_for(
        lambda: not [n for n in core.list_namespace().items if n.metadata.name == ns],
        timeout=60,
        what="the namespace to go",
    )


def test_default_namespaces_and_node_exist(cluster: Cluster) -> None:
    core = client.CoreV1Api(cluster.api_client())
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", "kube-system"} <= names
    assert core.read_namespace("default").metadata.labels["kubernetes.io/metadata.name"] == "default"
    assert core.list_node().items
