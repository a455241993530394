"""CRUD for every kind, server-set metadata, optimistic concurrency and error Status bodies."""

from __future__ import annotations

import base64
import json

import pytest
from kubernetes import client
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

from tests.cluster.builders import KINDS, deployment, sample
from tests.cluster.fixtures import Cluster


def _status(exc: client.ApiException) -> dict[str, object]:
    body = json.loads(exc.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == exc.status
    return dict(body)


@pytest.mark.parametrize("kind", KINDS)
def test_crud_round_trip(cluster: Cluster, kind: str) -> None:
    ns = cluster.namespace()
    dyn = cluster.dynamic_client()
    manifest = sample(kind, "rt")
    if kind == "Event":
        manifest["involvedObject"]["namespace"] = ns
    res = dyn.resources.get(api_version=manifest["apiVersion"], kind=kind)
    created = res.create(body=manifest, namespace=ns)
    meta = created.metadata
    assert meta.uid and meta.resourceVersion and meta.creationTimestamp
    assert meta.namespace == ns
    got = res.get(name="rt", namespace=ns)
    assert got.metadata.uid == meta.uid
    listed = res.get(namespace=ns)
    assert listed.kind == f"{kind}List"
    assert "rt" in [i.metadata.name for i in listed.items]
    # replace with the current resourceVersion works and keeps uid and creationTimestamp; controllers may
    # write status in between, so read-modify-write retries on 409 as any client must
    for _attempt in range(20):
        body = res.get(name="rt", namespace=ns).to_dict()
        body["metadata"].setdefault("labels", {})["touched"] = "yes"
        try:
            replaced = res.replace(body=body, namespace=ns)
            break
        except ConflictError:
            continue
    assert replaced.metadata.uid == meta.uid
    assert replaced.metadata.labels["touched"] == "yes"
    assert replaced.metadata.creationTimestamp == meta.creationTimestamp
    assert int(replaced.metadata.resourceVersion) > int(meta.resourceVersion)
    # a stale resourceVersion is a 409
    with pytest.raises(ConflictError):
        res.replace(body=body, namespace=ns)
    res.delete(name="rt", namespace=ns, body={"gracePeriodSeconds": 0})
    cluster.wait_for(lambda: _gone(res, ns, "rt"), what=f"{kind} deleted")


def _gone(res: object, ns: str, name: str) -> bool:
    try:
        res.get(name=name, namespace=ns)  # type: ignore[attr-defined]
    except NotFoundError:
        return True
    return False


def test_create_twice_is_409_already_exists(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("web"))
    with pytest.raises(client.ApiException) as info:
        apps.create_namespaced_deployment(ns, deployment("web"))
    assert info.value.status == 409
    body = _status(info.value)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'deployments.apps "web" already exists'
    assert body["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


def test_missing_object_is_404_not_found(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_config_map("nope", ns)
    body = _status(info.value)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'configmaps "nope" not found'
    assert body["details"] == {"name": "nope", "kind": "configmaps"}


def test_create_in_a_missing_namespace_is_404(cluster: Cluster) -> None:
    core = client.CoreV1Api(cluster.api_client())
    with pytest.raises(client.ApiException) as info:
        core.create_namespaced_config_map("no-such-ns", sample("ConfigMap", "c"))
    assert info.value.status == 404
    assert _status(info.value)["message"] == 'namespaces "no-such-ns" not found'


def test_invalid_objects_are_422_with_field_causes(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    bad = deployment("web")
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(client.ApiException) as info:
        apps.create_namespaced_deployment(ns, bad)
    body = _status(info.value)
    assert info.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith(
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value'
    )
    assert body["details"]["causes"][0]["field"] == "spec.template.metadata.labels"  # type: ignore[index]
    core = client.CoreV1Api(cluster.api_client())
    with pytest.raises(client.ApiException) as info:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "Bad_Name"}})
    assert info.value.status == 422
    assert "RFC 1123 subdomain" in _status(info.value)["message"]


def test_server_sets_metadata_and_ignores_client_status(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    body = deployment("web")
    body["metadata"].update({"uid": "client-uid", "resourceVersion": "999999", "generation": 7})
    body["status"] = {"replicas": 42}
    created = apps.create_namespaced_deployment(ns, body)
    assert created.metadata.uid != "client-uid"
    assert created.metadata.generation == 1
    assert created.metadata.resource_version != "999999"
    assert created.metadata.creation_timestamp is not None
    assert created.status is None or created.status.replicas != 42
    # defaults a real apiserver fills in
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.revision_history_limit == 10
    assert created.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"
    assert created.spec.template.spec.containers[0].ports[0].protocol == "TCP"


def test_generation_moves_only_with_the_spec(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("web"))
    labelled = apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"tier": "front"}}})
    assert labelled.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 3}})
    assert scaled.metadata.generation == 2
    status = apps.patch_namespaced_deployment_status("web", ns, {"status": {"observedGeneration": 2}})
    assert status.metadata.generation == 2


def test_an_update_that_changes_nothing_writes_nothing(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    first = core.create_namespaced_config_map(ns, sample("ConfigMap", "c"))
    again = core.patch_namespaced_config_map("c", ns, {"data": {"k": "v"}})
    assert again.metadata.resource_version == first.metadata.resource_version


def test_secret_string_data_becomes_data(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    created = core.create_namespaced_secret(ns, sample("Secret", "s"))
    assert created.string_data is None
    assert base64.b64decode(created.data["password"]) == b"s3cret"


def test_service_gets_a_cluster_ip_and_keeps_it_on_replace(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    created = core.create_namespaced_service(ns, sample("Service", "svc"))
    ip = created.spec.cluster_ip
    assert ip and ip != "None"
    body = sample("Service", "svc")  # as a tool re-sends its manifest: without clusterIP
    body["metadata"]["resourceVersion"] = created.metadata.resource_version
    replaced = core.replace_namespaced_service("svc", ns, body)
    assert replaced.spec.cluster_ip == ip


def test_statefulset_spec_outside_the_template_is_immutable(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    from tests.cluster.builders import statefulset

    apps.create_namespaced_stateful_set(ns, statefulset("db", 1))
    with pytest.raises(client.ApiException) as info:
        apps.patch_namespaced_stateful_set("db", ns, {"spec": {"serviceName": "other"}})
    assert info.value.status == 422
    assert "updates to statefulset spec for fields other than" in _status(info.value)["message"]


def test_delete_collection_with_a_label_selector(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    for name, team in (("a", "x"), ("b", "x"), ("c", "y")):
        core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": {"team": team}}})
    core.delete_collection_namespaced_config_map(ns, label_selector="team=x")
    left = [c.metadata.name for c in core.list_namespaced_config_map(ns, label_selector="team").items]
    assert left == ["c"]


def test_list_pagination(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    for i in range(5):
        core.create_namespaced_config_map(ns, {"metadata": {"name": f"cm-{i}", "labels": {"page": "yes"}}})
    first = core.list_namespaced_config_map(ns, limit=2, label_selector="page")
    assert len(first.items) == 2 and first.metadata._continue
    rest = core.list_namespaced_config_map(
        ns, limit=10, label_selector="page", _continue=first.metadata._continue
    )
    assert [c.metadata.name for c in first.items + rest.items] == [f"cm-{i}" for i in range(5)]


def test_delete_returns_a_status_or_the_pending_object(cluster: Cluster) -> None:
    ns = cluster.namespace()
    api = cluster.api_client()
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(ns, sample("ConfigMap", "c"))
    status = json.loads(core.delete_namespaced_config_map("c", ns, _preload_content=False).data)
    assert status["kind"] == "Status" and status["status"] == "Success"
    assert status["details"]["name"] == "c" and status["details"]["kind"] == "configmaps"
    core.create_namespaced_config_map(ns, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    raw = core.delete_namespaced_config_map("held", ns, _preload_content=False)
    pending = json.loads(raw.data)
    assert pending["kind"] == "ConfigMap" and pending["metadata"]["deletionTimestamp"]
    assert core.read_namespaced_config_map("held", ns).metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_config_map("held", ns)
    assert info.value.status == 404
