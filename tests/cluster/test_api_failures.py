"""The Kubernetes API failing in the middle of an apply: a transient fault is retried, one that
persists is a clear error (no traceback, non-zero exit), nothing live is ever deleted for it,
and the next run converges. The failures are injected at the network boundary by a proxy
in front of the real API server (testing/proxy.py); the tool's kubeconfig names the proxy,
and whatever the proxy does not spoil reaches the API server and is in its audit log."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from testing.audit import applies
from testing.cluster import Cluster
from testing.deploy_app import assert_converges
from testing.proxy import FaultProxy
from testing.workspace import NewApp, Workspace, assert_failed_cleanly

CONFLICT = ('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
            "please apply your changes to the latest version and try again")
SERVER_TIMEOUT = "Timeout: request did not complete within requested timeout - context deadline exceeded"


@pytest.fixture
def proxied(new_app: NewApp, cluster: Cluster, fault_proxy: FaultProxy, tmp_path: Path) -> Workspace:
    """An app (web: props and secrets) whose doit runs reach the cluster through the proxy."""
    app = new_app("api", kubeconfig=fault_proxy.kubeconfig(cluster.kubeconfig, tmp_path / "proxied"))
    app.web(props={"GREETING": "hi"}, secrets={"TOKEN": "api-failure-secret"})
    return app


def _deletes(seen: list[dict[str, Any]]) -> list[str]:
    return [f"{r['resource']} {r['name']}" for r in seen if r["verb"] == "DELETE"]


def test_one_transient_error_on_an_apply_is_retried(proxied: Workspace, cluster: Cluster,
                                                    fault_proxy: FaultProxy) -> None:
    proxied.deploy("web")
    uid = client.AppsV1Api(cluster.api_client()).read_namespaced_deployment(
        "web", proxied.namespace).metadata.uid
    proxied.edit_spec("web", props={"GREETING": "hello again"})
    fault_proxy.answer("PATCH", r"/deployments/web$", 500, "etcdserver: leader changed")

    mark = len(cluster.audit())
    result = proxied.deploy("web")
    seen = cluster.audit()[mark:]

    assert [f.kind for f in fault_proxy.fired] == ["answer"]
    assert _deletes(seen) == [], "a transient error deleted a live object"
    assert "[ERROR]" not in result.stderr and "replaced" not in result.stderr, result.stderr
    live = client.AppsV1Api(cluster.api_client()).read_namespaced_deployment("web", proxied.namespace)
    assert live.metadata.uid == uid
    assert_converges(proxied, cluster.api_client(), rerun=False)


def test_an_error_that_persists_fails_clearly_and_deletes_nothing(
        proxied: Workspace, cluster: Cluster, fault_proxy: FaultProxy) -> None:
    """Retried a bounded number of times with back-off, then the deploy fails with the API's
    answer; what runs keeps running."""
    proxied.deploy("web")
    apps = client.AppsV1Api(cluster.api_client())
    before = apps.read_namespaced_deployment("web", proxied.namespace)
    proxied.edit_spec("web", props={"GREETING": "changed"})
    fault_proxy.answer("PATCH", r"/deployments/web$", 504, SERVER_TIMEOUT, times=20)

    mark = len(cluster.audit())
    result = proxied.deploy("web", check=False)
    seen = cluster.audit()[mark:]

    assert_failed_cleanly(result, "Kubernetes refused to apply Deployment web: HTTP 504", SERVER_TIMEOUT)
    assert 2 <= len(fault_proxy.fired) < 20, "retried, a bounded number of times"
    assert _deletes(seen) == [], "a transient error deleted a live object"
    after = apps.read_namespaced_deployment("web", proxied.namespace)
    assert (after.metadata.uid, after.metadata.generation) == \
        (before.metadata.uid, before.metadata.generation)
    assert after.status.ready_replicas == 1
    fault_proxy.clear()
    assert_converges(proxied, cluster.api_client())


def test_a_refused_apply_fails_clearly_and_deletes_nothing(proxied: Workspace, cluster: Cluster,
                                                           fault_proxy: FaultProxy) -> None:
    """A refusal that is not "this field cannot change in place" (here a 409 no apply should
    get) is an error; never a reason to delete and re-create (HyScale's fallback did)."""
    proxied.deploy("web")
    proxied.edit_spec("web", props={"GREETING": "hello again"})
    fault_proxy.answer("PATCH", r"/deployments/web$", 409, CONFLICT)

    mark = len(cluster.audit())
    result = proxied.deploy("web", check=False)
    seen = cluster.audit()[mark:]

    assert_failed_cleanly(result, "Kubernetes refused to apply Deployment web: HTTP 409")
    assert [f.kind for f in fault_proxy.fired] == ["answer"]  # a 409 is not retried
    assert _deletes(seen) == []
    assert_converges(proxied, cluster.api_client())


def test_a_dropped_connection_is_retried(proxied: Workspace, cluster: Cluster,
                                         fault_proxy: FaultProxy) -> None:
    proxied.deploy("web")
    proxied.edit_spec("web", props={"GREETING": "changed"})
    fault_proxy.drop("PATCH", r"/configmaps/[^/]+$", after=0)

    mark = len(cluster.audit())
    proxied.deploy("web")
    seen = cluster.audit()[mark:]

    assert [f.kind for f in fault_proxy.fired] == ["drop"]
    assert _deletes(seen) == []
    configmap = client.CoreV1Api(cluster.api_client()).read_namespaced_config_map(
        f"{proxied.name}-web", proxied.namespace)
    assert configmap.data == {"GREETING": "changed"}
    assert_converges(proxied, cluster.api_client(), rerun=False)


def test_a_500_on_a_read_during_the_rollout_wait_is_retried(
        proxied: Workspace, cluster: Cluster, fault_proxy: FaultProxy) -> None:
    fault_proxy.answer("GET", r"/namespaces/[^/]+/pods$", 500, "etcdserver: request timed out")

    result = proxied.deploy("web")

    assert [f.kind for f in fault_proxy.fired] == ["answer"]
    assert "[ERROR]" not in result.stderr
    assert proxied.deploy_record("web")["ready"] is True


def test_the_same_object_applied_meanwhile_is_no_error(proxied: Workspace, cluster: Cluster,
                                                       fault_proxy: FaultProxy) -> None:
    """Parallel deploys of sibling services (`doit -n 2`), or of two apps, apply the same image
    pull secret: an apply is idempotent, whoever comes first."""
    fault_proxy.race("PATCH", r"/secrets/[^/]+$")

    mark = len(cluster.audit())
    result = proxied.deploy("web")
    seen = cluster.audit()[mark:]

    assert [f.kind for f in fault_proxy.fired] == ["race"]
    assert [code for resource, code in applies(seen) if resource == "secrets"][:2] == [201, 200]
    assert "[ERROR]" not in result.stdout + result.stderr
    assert_converges(proxied, cluster.api_client(), rerun=False)


def test_a_slow_api_is_waited_for(proxied: Workspace, cluster: Cluster, fault_proxy: FaultProxy) -> None:
    fault_proxy.delay("GET", r"/namespaces/[^/]+$", 1.0)
    fault_proxy.delay("PATCH", r"/configmaps/[^/]+$", 1.0)
    fault_proxy.delay("PATCH", r"/deployments/[^/]+$", 1.0)

    proxied.deploy("web")

    assert sorted(f.method for f in fault_proxy.fired) == ["GET", "PATCH", "PATCH"]
    assert proxied.deploy_record("web")["ready"] is True


def test_an_unreachable_cluster_fails_clearly(new_app: NewApp, cluster: Cluster, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    document = yaml.safe_load(cluster.kubeconfig.read_text())
    document["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{port}"
    kubeconfig = tmp_path / "unreachable"
    kubeconfig.write_text(yaml.safe_dump(document))
    app = new_app("down", kubeconfig=kubeconfig)
    app.web()

    started = time.monotonic()
    result = app.deploy("web", check=False)

    assert_failed_cleanly(result, "Cannot reach the cluster", str(kubeconfig))
    assert time.monotonic() - started < 30
    status = app.run("status:web", check=False)
    assert_failed_cleanly(status, "Cannot reach the cluster")
