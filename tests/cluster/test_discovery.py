"""Discovery: what the typed client, the dynamic client and kubectl read before anything else."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import yaml
from kubernetes import client

from tests.cluster.builders import KINDS, sample
from tests.cluster.fixtures import Cluster


def test_version_through_the_typed_client(cluster: Cluster) -> None:
    info = client.VersionApi(cluster.api_client()).get_code()
    assert info.major == "1"
    assert info.git_version.startswith("v1.")


def test_core_and_group_discovery(cluster: Cluster) -> None:
    api = cluster.api_client()
    core = client.CoreApi(api).get_api_versions()
    assert core.versions == ["v1"]
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    for name, version in [
        ("apps", "apps/v1"),
        ("autoscaling", "autoscaling/v2"),
        ("networking.k8s.io", "networking.k8s.io/v1"),
        ("apiextensions.k8s.io", "apiextensions.k8s.io/v1"),
    ]:
        assert groups[name].preferred_version.group_version == version
    resources = {r.name: r for r in client.AppsV1Api(api).get_api_resources().resources}
    assert resources["deployments"].kind == "Deployment"
    assert resources["deployments"].namespaced is True
    assert "deploy" in resources["deployments"].short_names
    assert set(resources["deployments"].verbs) >= {
        "create",
        "get",
        "list",
        "watch",
        "patch",
        "update",
        "delete",
    }
    assert resources["deployments/scale"].kind == "Scale"
    assert resources["deployments/status"].verbs == ["get", "patch", "update"]
    core_resources = {r.name: r for r in client.CoreV1Api(api).get_api_resources().resources}
    assert core_resources["namespaces"].namespaced is False
    assert "pods/log" in core_resources


def test_dynamic_client_finds_every_kind(cluster: Cluster) -> None:
    dyn = cluster.dynamic_client()
    for kind in KINDS:
        api_version = sample(kind, "x")["apiVersion"]
        resource = dyn.resources.get(api_version=api_version, kind=kind)
        assert resource.kind == kind
    assert dyn.resources.get(kind="Ingress").group_version == "networking.k8s.io/v1"


def test_istio_kinds_are_unknown_until_installed(cluster: Cluster) -> None:
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    if not cluster.is_standin:
        pytest.skip("a real cluster may have Istio installed")
    dyn = cluster.dynamic_client()
    with pytest.raises(ResourceNotFoundError):
        dyn.resources.get(api_version="networking.istio.io/v1beta1", kind="VirtualService")


def _raw(cluster: Cluster, path: str, token: str | None) -> tuple[int, dict[str, object]]:
    server = yaml.safe_load(cluster.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    request = urllib.request.Request(server + path)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_a_wrong_token_is_401(cluster: Cluster) -> None:
    if not cluster.is_standin:
        pytest.skip("raw HTTP with the stand-in's token")
    code, body = _raw(cluster, "/api/v1/namespaces", "wrong")
    assert code == 401
    assert body["kind"] == "Status" and body["reason"] == "Unauthorized"
    # no credentials at all: served, as kubectl (which never sends a token over plain HTTP) needs
    code, body = _raw(cluster, "/api/v1/namespaces", None)
    assert code == 200 and body["kind"] == "NamespaceList"


def test_unknown_paths_are_404_status(cluster: Cluster) -> None:
    if not cluster.is_standin:
        pytest.skip("raw HTTP with the stand-in's token")
    token = yaml.safe_load(cluster.kubeconfig.read_text())["users"][0]["user"]["token"]
    for path in (
        "/apis/networking.istio.io/v1beta1",
        "/apis/apps/v1/namespaces/default/frobs",
        "/apis/networking.istio.io/v1beta1/namespaces/default/gateways",
    ):
        code, body = _raw(cluster, path, token)
        assert code == 404, path
        assert body["kind"] == "Status" and body["reason"] == "NotFound"
    code, _ = _raw(cluster, "/version", None)
    assert code == 200
