"""The Kubernetes API failing in the middle of an apply: a clear error (no traceback, non-zero
exit), and the next run converges. The failures are injected at the network boundary by a proxy
in front of the real API server (tests/deploy/proxy.py); the tool's kubeconfig names the proxy,
and whatever the proxy does not spoil reaches the API server and is in its audit log."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from tests.deploy.apps import DeployApp, actions, assert_converges, assert_failed_cleanly
from tests.deploy.conftest import NewApp
from tests.deploy.proxy import FaultProxy
from tests.kube.cluster import Cluster

CONFLICT = ('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
            "please apply your changes to the latest version and try again")
SERVER_TIMEOUT = "Timeout: request did not complete within requested timeout - context deadline exceeded"


@pytest.fixture
def proxied(new_app: NewApp, cluster: Cluster, fault_proxy: FaultProxy, tmp_path: Path) -> DeployApp:
    """An app (web: props and secrets) whose doit runs reach the cluster through the proxy."""
    app = new_app("api", kubeconfig=fault_proxy.kubeconfig(cluster.kubeconfig, tmp_path / "proxied"))
    app.web(props={"GREETING": "hi"}, secrets={"TOKEN": "api-failure-secret"})
    return app


def test_500_on_create_fails_clearly_then_converges(proxied: DeployApp, cluster: Cluster,
                                                     fault_proxy: FaultProxy) -> None:
    fault_proxy.answer("POST", r"/deployments$", 500, "etcdserver: leader changed")

    result = proxied.deploy("web", check=False)

    assert_failed_cleanly(result, "[ERROR]  Kubernetes refused to create Deployment web: HTTP 500",
            "etcdserver: leader changed")
    assert [f.kind for f in fault_proxy.fired] == ["answer"]
    assert_converges(proxied, cluster.api_client())


def test_server_side_timeout_fails_clearly_then_converges(proxied: DeployApp, cluster: Cluster,
                                                          fault_proxy: FaultProxy) -> None:
    fault_proxy.answer("POST", r"/services$", 504, SERVER_TIMEOUT)

    result = proxied.deploy("web", check=False)

    assert_failed_cleanly(result, "Kubernetes refused to create Service web: HTTP 504", SERVER_TIMEOUT)
    assert_converges(proxied, cluster.api_client())


def test_an_object_created_meanwhile_is_updated_not_an_error(proxied: DeployApp, cluster: Cluster,
                                                             fault_proxy: FaultProxy) -> None:
    """Parallel deploys of sibling services (`doit -n 2`) apply the same image pull secret: the
    one that finds it absent, then loses the create, takes the other's object and goes on."""
    fault_proxy.race("POST", r"/configmaps$")

    mark = len(cluster.audit())
    result = proxied.deploy("web")
    seen = cluster.audit()[mark:]

    assert [f.kind for f in fault_proxy.fired] == ["race"]
    configmaps = [(r["action"], r["code"]) for r in seen
                  if r.get("resource") == "configmaps" and not r.get("subresource")]
    # the object found is the one this deploy meant to create: nothing to patch
    assert configmaps == [("get", 404), ("create", 201), ("create", 409), ("get", 200)], configmaps
    assert "[ERROR]" not in result.stdout + result.stderr
    assert_converges(proxied, cluster.api_client(), rerun=False)


def test_409_on_patch_replaces_the_object_as_hyscale_does(proxied: DeployApp, cluster: Cluster,
                                                          fault_proxy: FaultProxy) -> None:
    """HyScale's fallback (§7.2): a patch that is refused becomes delete + create (the patch the
    API server itself refuses is in test_apply.py)."""
    proxied.deploy("web")
    proxied.edit_spec("web", props={"GREETING": "hello again"})
    fault_proxy.answer("PATCH", r"/deployments/web$", 409, CONFLICT)

    mark = len(cluster.audit())
    result = proxied.deploy("web")
    seen = cluster.audit()[mark:]

    assert [f.kind for f in fault_proxy.fired] == ["answer"]
    done = [a for a in actions(seen, "deployments", "web") if a not in ("get", "list", "watch")]
    assert done == ["delete", "create"], done  # the refused patch never reached the API server
    assert "Replacing Deployment web (delete, then create): Kubernetes refused to patch " \
        "Deployment web: HTTP 409" in result.stderr, result.stderr
    assert_converges(proxied, cluster.api_client(), rerun=False)


def test_refused_patch_and_refused_delete_fail_clearly_then_converge(
        proxied: DeployApp, cluster: Cluster, fault_proxy: FaultProxy) -> None:
    proxied.deploy("web")
    proxied.edit_spec("web", props={"GREETING": "changed"})
    fault_proxy.answer("PATCH", r"/configmaps/[^/]+$", 500)
    fault_proxy.answer("DELETE", r"/configmaps/[^/]+$", 500)

    result = proxied.deploy("web", check=False)

    assert_failed_cleanly(result, f"Kubernetes refused to delete ConfigMap {proxied.name}-web: HTTP 500")
    assert_converges(proxied, cluster.api_client())
    configmap = client.CoreV1Api(cluster.api_client()).read_namespaced_config_map(
        f"{proxied.name}-web", proxied.namespace)
    assert configmap.data == {"GREETING": "changed"}


def test_a_slow_api_is_waited_for(proxied: DeployApp, cluster: Cluster, fault_proxy: FaultProxy) -> None:
    fault_proxy.delay("GET", r"/namespaces/[^/]+$", 1.0)
    fault_proxy.delay("POST", r"/configmaps$", 1.0)
    fault_proxy.delay("POST", r"/deployments$", 1.0)

    proxied.deploy("web")

    assert sorted(f.method for f in fault_proxy.fired) == ["GET", "POST", "POST"]
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
