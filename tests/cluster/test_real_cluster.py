"""The cluster the tests deploy to is a real Kubernetes, and does what the deploy tests rely on:
a real kube-apiserver and kubectl, a Ready node whose pods run as containerd containers, images
pulled from the authenticated test registry with a pod's imagePullSecret, Service names resolved
in pods (CoreDNS), ClusterIPs and node ports routed (kube-proxy), claims bound by the default
StorageClass, and an audit log of the tool's requests."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from kubernetes import client
from kubernetes.stream import stream

from testing.cluster import Cluster, http_get
from testing.registry import Registry
from testing.testimage import APP_IMAGE_ENV, pull_secret


def _kubectl(cluster: Cluster, *args: str) -> str:
    kubectl = os.environ.get("KUBECTL", "kubectl")
    done = subprocess.run([kubectl, "--kubeconfig", str(cluster.admin_kubeconfig), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"kubectl {' '.join(args)}:\n{done.stderr}"
    return done.stdout


def _app_image() -> str:
    image = os.environ.get(APP_IMAGE_ENV)
    assert image, f"{APP_IMAGE_ENV} is not set: run the tests through scripts/test"
    return image


@pytest.fixture
def web(cluster: Cluster, registry: Registry) -> tuple[str, Any]:
    """A namespace with the test image running behind a NodePort Service ``web`` and a claim."""
    namespace = cluster.namespace("kube")
    secret = cluster.core().create_namespaced_secret(namespace, pull_secret(registry)).metadata.name
    core = cluster.core()
    core.create_namespaced_persistent_volume_claim(namespace, {  # type: ignore[arg-type]
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    core.create_namespaced_pod(namespace, {  # type: ignore[arg-type]
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"imagePullSecrets": [{"name": secret}],
                 "containers": [{"name": "web", "image": _app_image(), "imagePullPolicy": "Always",
                                 "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                 "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}})
    core.create_namespaced_service(namespace, {  # type: ignore[arg-type]
        "metadata": {"name": "web"},
        "spec": {"type": "NodePort", "selector": {"app": "web"},
                 "ports": [{"port": 80, "targetPort": 8080}]}})

    def ready() -> Any:
        pod = core.read_namespaced_pod("web", namespace)
        statuses = pod.status.container_statuses or []
        return pod if statuses and statuses[0].ready else None

    return namespace, cluster.wait_for(ready, timeout=120, what="the test image's pod to be ready")


def test_the_api_server_and_kubectl_are_real_kubernetes(cluster: Cluster) -> None:
    version = json.loads(_kubectl(cluster, "version", "-o", "json"))
    assert version["serverVersion"]["gitVersion"].startswith("v1."), version
    assert version["serverVersion"]["gitVersion"] != "v0.0.0-master+$Format:%H$"
    assert version["clientVersion"]["gitVersion"].startswith("v1.")


def test_the_node_is_ready_and_runs_containerd(cluster: Cluster) -> None:
    nodes = cluster.core().list_node().items
    assert nodes
    for node in nodes:
        assert {c.type: c.status for c in node.status.conditions}["Ready"] == "True"
        assert node.status.node_info.container_runtime_version.startswith("containerd://")


def test_a_pod_pulls_with_its_secret_and_is_reached_through_dns_cluster_ip_and_node_port(
        cluster: Cluster, web: tuple[str, Any]) -> None:
    namespace, pod = web
    assert pod.status.container_statuses[0].container_id.startswith("containerd://")
    service = cluster.core().read_namespaced_service("web", namespace)
    assert http_get(f"http://{service.spec.cluster_ip}/") == "testapp web\n"
    if cluster.env.node_ip:  # the test cluster's node is this machine
        node_port = service.spec.ports[0].node_port
        assert http_get(f"http://{cluster.node_ip}:{node_port}/") == "testapp web\n"
    resolved = stream(cluster.core().connect_get_namespaced_pod_exec, "web", namespace,
                      command=["nslookup", f"web.{namespace}.svc.cluster.local"],
                      stderr=True, stdout=True, stdin=False, tty=False)
    assert service.spec.cluster_ip in resolved, resolved


def test_a_claim_is_bound_by_the_default_storage_class(cluster: Cluster, web: tuple[str, Any]) -> None:
    namespace, _ = web
    claim = cluster.core().read_namespaced_persistent_volume_claim("data", namespace)
    assert claim.status.phase == "Bound"
    classes = client.StorageV1Api(cluster.api_client()).list_storage_class().items
    default = [c.metadata.name for c in classes
               if (c.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
    assert default == [claim.spec.storage_class_name]


def test_a_pod_without_the_pull_secret_cannot_pull_the_test_image(cluster: Cluster) -> None:
    """The registry asks for the login: a pull works only with the pod's secret (nothing is
    cached on the node's side that would make a missing secret go unnoticed)."""
    namespace = cluster.namespace("kube")
    core = cluster.core()
    core.create_namespaced_pod(namespace, {  # type: ignore[arg-type]
        "metadata": {"name": "nosecret"},
        "spec": {"containers": [{"name": "web", "image": _app_image(), "imagePullPolicy": "Always"}]}})

    def waiting_reason() -> str:
        statuses = core.read_namespaced_pod("nosecret", namespace).status.container_statuses or []
        waiting = statuses[0].state.waiting if statuses else None
        return waiting.reason if waiting and waiting.reason in ("ErrImagePull", "ImagePullBackOff") else ""

    assert cluster.wait_for(waiting_reason, timeout=60, what="the pull to fail")


def test_the_tools_requests_are_in_the_audit_log(cluster: Cluster) -> None:
    namespace = cluster.namespace("kube")
    tool = client.CoreV1Api(client.ApiClient(cluster.settings(cluster.kubeconfig)))
    mark = len(cluster.audit())
    tool.create_namespaced_config_map(namespace, {"metadata": {"name": "seen"}})  # type: ignore[arg-type]
    tool.read_namespaced_config_map("seen", namespace)
    cluster.core().read_namespaced_config_map("seen", namespace)  # the tests' own: not counted
    seen = [(r["verb"], r["resource"], r["name"], r["code"]) for r in cluster.audit()[mark:]]
    assert seen == [("POST", "configmaps", "seen", 201), ("GET", "configmaps", "seen", 200)]

