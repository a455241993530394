"""Istio's Gateway, VirtualService and DestinationRule: 404 until their CRDs are installed."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from tests.cluster.builders import ISTIO_KINDS, istio_crd
from tests.cluster.fixtures import Cluster

VS = {
    "apiVersion": "networking.istio.io/v1beta1",
    "kind": "VirtualService",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"hosts": ["web.example.com"], "http": [{"route": [{"destination": {"host": "web"}}]}]},
}


def _install(cluster: Cluster) -> None:
    ext = client.ApiextensionsV1Api(cluster.api_client())
    for kind in ISTIO_KINDS:
        try:
            ext.create_custom_resource_definition(istio_crd(kind))
        except client.ApiException as err:
            if err.status != 409:
                raise

    def established() -> bool:
        crds = {c.metadata.name: c for c in ext.list_custom_resource_definition().items}
        return all(
            any(
                cond.type == "Established" and cond.status == "True"
                for cond in (crds[f"{plural}.networking.istio.io"].status.conditions or [])
            )
            for plural in ISTIO_KINDS.values()
            if f"{plural}.networking.istio.io" in crds
        )

    cluster.wait_for(established, what="the CRDs to be established")


def test_custom_resources_are_404_until_installed(cluster: Cluster) -> None:
    if not cluster.is_standin:
        pytest.skip("a real cluster may have Istio installed")
    ns = cluster.namespace()
    co = client.CustomObjectsApi(cluster.api_client())
    with pytest.raises(client.ApiException) as info:
        co.create_namespaced_custom_object("networking.istio.io", "v1beta1", ns, "virtualservices", VS)
    assert info.value.status == 404
    with pytest.raises(ResourceNotFoundError):
        cluster.dynamic_client().resources.get(api_version="networking.istio.io/v1beta1", kind="Gateway")


def test_installed_custom_resources_support_crud_and_merge_patch(cluster: Cluster) -> None:
    _install(cluster)
    ns = cluster.namespace()
    co = client.CustomObjectsApi(cluster.api_client())
    created = co.create_namespaced_custom_object("networking.istio.io", "v1beta1", ns, "virtualservices", VS)
    assert created["metadata"]["uid"] and created["metadata"]["generation"] == 1
    with pytest.raises(client.ApiException) as info:
        co.create_namespaced_custom_object("networking.istio.io", "v1beta1", ns, "virtualservices", VS)
    assert info.value.status == 409
    # the same object is served under every version of the group
    got = co.get_namespaced_custom_object("networking.istio.io", "v1alpha3", ns, "virtualservices", "web")
    assert got["apiVersion"] == "networking.istio.io/v1alpha3"
    patched = co.patch_namespaced_custom_object(
        "networking.istio.io",
        "v1beta1",
        ns,
        "virtualservices",
        "web",
        {"spec": {"hosts": ["other.example.com"]}},
    )
    assert patched["spec"]["hosts"] == ["other.example.com"]
    assert patched["metadata"]["generation"] == 2
    listed = co.list_namespaced_custom_object(
        "networking.istio.io", "v1beta1", ns, "virtualservices", label_selector="app=web"
    )
    assert listed["kind"] == "VirtualServiceList" and len(listed["items"]) == 1
    dyn = cluster.dynamic_client()
    gw = dyn.resources.get(api_version="networking.istio.io/v1beta1", kind="Gateway")
    gw.create(
        namespace=ns,
        body={
            "apiVersion": "networking.istio.io/v1beta1",
            "kind": "Gateway",
            "metadata": {"name": "gw"},
            "spec": {"selector": {"istio": "ingressgateway"}},
        },
    )
    assert gw.get(namespace=ns, name="gw").spec.selector.istio == "ingressgateway"
    co.delete_namespaced_custom_object("networking.istio.io", "v1beta1", ns, "virtualservices", "web")
    with pytest.raises(client.ApiException):
        co.get_namespaced_custom_object("networking.istio.io", "v1beta1", ns, "virtualservices", "web")


def test_strategic_merge_patch_on_a_custom_resource_is_415(cluster: Cluster) -> None:
    _install(cluster)
    ns = cluster.namespace()
    co = client.CustomObjectsApi(cluster.api_client())
    co.create_namespaced_custom_object("networking.istio.io", "v1beta1", ns, "virtualservices", VS)
    code, _body = cluster.raw(
        "PATCH",
        f"/apis/networking.istio.io/v1beta1/namespaces/{ns}/virtualservices/web",
        {"spec": {"hosts": ["x"]}},
        "application/strategic-merge-patch+json",
    )
    assert code == 415


def test_deleting_the_crd_removes_the_kind(cluster: Cluster) -> None:
    if not cluster.is_standin:
        pytest.skip("would uninstall Istio from a real cluster")
    _install(cluster)
    ns = cluster.namespace()
    co = client.CustomObjectsApi(cluster.api_client())
    co.create_namespaced_custom_object("networking.istio.io", "v1beta1", ns, "virtualservices", VS)
    client.ApiextensionsV1Api(cluster.api_client()).delete_custom_resource_definition(
        "virtualservices.networking.istio.io"
    )
    with pytest.raises(client.ApiException) as info:
        co.list_namespaced_custom_object("networking.istio.io", "v1beta1", ns, "virtualservices")
    assert info.value.status == 404
