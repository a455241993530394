"""Controllers: Deployment -> ReplicaSet -> Pods, rolling updates, StatefulSets and their PVCs,
garbage collection through ownerReferences, and the events they record."""

from __future__ import annotations

import json

from kubernetes import client

from tests.cluster.builders import deployment, statefulset
from tests.cluster.fixtures import Cluster
from tests.cluster.kubelet_scripted import not_ready, running


def _ready(apps: client.AppsV1Api, ns: str, name: str, replicas: int) -> client.V1Deployment | None:
    d = apps.read_namespaced_deployment(name, ns)
    s = d.status
    done = (
        s.observed_generation == d.metadata.generation
        and s.updated_replicas == replicas
        and s.ready_replicas == replicas
        and s.available_replicas == replicas
        and s.replicas == replicas
    )
    return d if done else None


def test_deployment_creates_a_replicaset_and_ready_pods(cluster: Cluster) -> None:
    ns = cluster.namespace()
    api = cluster.api_client()
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("web", image=cluster.image, replicas=2))
    d = cluster.wait_for(lambda: _ready(apps, ns, "web", 2), what="the Deployment to be ready")
    conditions = {c.type: c for c in d.status.conditions}
    assert conditions["Available"].status == "True"
    assert conditions["Progressing"].reason == "NewReplicaSetAvailable"
    (rs,) = apps.list_namespaced_replica_set(ns).items
    assert rs.metadata.owner_references[0].kind == "Deployment"
    assert rs.metadata.owner_references[0].uid == d.metadata.uid
    pod_hash = rs.metadata.labels["pod-template-hash"]
    assert rs.metadata.name == f"web-{pod_hash}"
    assert rs.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    pods = core.list_namespaced_pod(ns, label_selector=f"app=web,pod-template-hash={pod_hash}").items
    assert len(pods) == 2
    for pod in pods:
        assert pod.metadata.name.startswith(f"web-{pod_hash}-")
        assert pod.metadata.owner_references[0].name == rs.metadata.name
        assert pod.status.phase == "Running"
        assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"
        assert pod.spec.node_name


def test_deployment_waits_for_scripted_readiness(cluster: Cluster) -> None:
    ns = cluster.namespace()
    kubelet = cluster.kubelet
    kubelet.script(not_ready(), namespace=ns)
    apps, core = client.AppsV1Api(cluster.api_client()), client.CoreV1Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("web", image=cluster.image, replicas=1))
    cluster.settle()
    d = apps.read_namespaced_deployment("web", ns)
    assert not d.status.ready_replicas
    assert {c.type: c.status for c in d.status.conditions}["Available"] == "False"
    (pod,) = core.list_namespaced_pod(ns).items
    assert pod.status.phase == "Running"
    assert pod.status.container_statuses[0].ready is False
    events = core.list_namespaced_event(ns, field_selector=f"involvedObject.name={pod.metadata.name}").items
    assert "Unhealthy" in [e.reason for e in events]
    kubelet.set_state(ns, pod.metadata.name, running())
    cluster.wait_for(lambda: _ready(apps, ns, "web", 1), what="readiness after the probe passes")


def test_pod_template_change_rolls_the_pods(cluster: Cluster) -> None:
    ns = cluster.namespace()
    api = cluster.api_client()
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("web", image=cluster.image, replicas=3))
    cluster.wait_for(lambda: _ready(apps, ns, "web", 3), what="the first rollout")
    old_pods = {p.metadata.name for p in core.list_namespaced_pod(ns).items}
    env = [{"name": "RELEASE", "value": "2"}]
    apps.patch_namespaced_deployment(
        "web", ns, {"spec": {"template": {"spec": {"containers": [{"name": "web", "env": env}]}}}}
    )
    d = cluster.wait_for(lambda: _ready(apps, ns, "web", 3), what="the second rollout")
    assert d.metadata.generation == 2
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    cluster.wait_for(lambda: len(core.list_namespaced_pod(ns).items) == 3, what="old pods to go")
    pods = core.list_namespaced_pod(ns).items
    assert not old_pods & {p.metadata.name for p in pods}
    assert {p.spec.containers[0].env[0].value for p in pods} == {"2"}
    replica_sets = {
        rs.metadata.annotations["deployment.kubernetes.io/revision"]: rs.spec.replicas
        for rs in apps.list_namespaced_replica_set(ns).items
    }
    assert replica_sets == {"1": 0, "2": 3}
    if cluster.is_standin:
        scaling = [
            e.message
            for e in core.list_namespaced_event(ns, field_selector="involvedObject.kind=Deployment").items
            if e.reason == "ScalingReplicaSet"
        ]
        assert any(m.startswith("Scaled down replica set") for m in scaling)


def test_rolling_update_respects_max_unavailable(cluster: Cluster) -> None:
    """With maxUnavailable 0, old pods stay until new ones are ready: a stuck rollout keeps serving."""
    ns = cluster.namespace()
    kubelet = cluster.kubelet
    apps, core = client.AppsV1Api(cluster.api_client()), client.CoreV1Api(cluster.api_client())
    body = deployment("web", replicas=2)
    body["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    apps.create_namespaced_deployment(ns, body)
    cluster.wait_for(lambda: _ready(apps, ns, "web", 2))
    kubelet.script(not_ready(), namespace=ns, image="*:2")
    apps.patch_namespaced_deployment(
        "web",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "registry.local/app:2"}]}}}},
    )
    cluster.settle()
    images = sorted(p.spec.containers[0].image for p in core.list_namespaced_pod(ns).items)
    assert images == ["registry.local/app:1", "registry.local/app:1", "registry.local/app:2"]
    d = apps.read_namespaced_deployment("web", ns)
    assert d.status.available_replicas == 2 and d.status.updated_replicas == 1
    assert {c.type: c.reason for c in d.status.conditions}["Progressing"] == "ReplicaSetUpdated"


def test_scale_subresource(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps, core = client.AppsV1Api(cluster.api_client()), client.CoreV1Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("web", image=cluster.image, replicas=1))
    scale = apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
    assert scale.spec.replicas == 3
    cluster.wait_for(lambda: _ready(apps, ns, "web", 3))
    assert apps.read_namespaced_deployment_scale("web", ns).status.replicas == 3
    apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 1}})
    cluster.wait_for(lambda: len(core.list_namespaced_pod(ns).items) == 1, what="scale-down")


def test_deleting_a_deployment_removes_its_replicasets_and_pods(cluster: Cluster) -> None:
    ns = cluster.namespace()
    api = cluster.api_client()
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("web", image=cluster.image, replicas=2))
    cluster.wait_for(lambda: _ready(apps, ns, "web", 2))
    # foreground, as HyScale deletes: the Deployment stays until its dependents are gone
    pending = json.loads(
        apps.delete_namespaced_deployment(
            "web", ns, propagation_policy="Foreground", _preload_content=False
        ).data
    )
    assert pending["kind"] == "Deployment" and "foregroundDeletion" in pending["metadata"]["finalizers"]

    def all_gone() -> bool:
        return not (
            apps.list_namespaced_deployment(ns).items
            or apps.list_namespaced_replica_set(ns).items
            or core.list_namespaced_pod(ns).items
        )

    cluster.wait_for(all_gone, timeout=60, what="Deployment, ReplicaSet and pods to go")
    # background (the default): the Deployment goes at once, the garbage collector does the rest
    apps.create_namespaced_deployment(ns, deployment("api", image=cluster.image, replicas=1))
    cluster.wait_for(lambda: _ready(apps, ns, "api", 1))
    apps.delete_namespaced_deployment("api", ns)
    cluster.wait_for(all_gone, timeout=60, what="background cascade")


def test_orphan_deletion_keeps_the_dependents(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("web", image=cluster.image, replicas=1))
    cluster.wait_for(lambda: _ready(apps, ns, "web", 1))
    apps.delete_namespaced_deployment("web", ns, propagation_policy="Orphan", _preload_content=False)
    cluster.wait_for(lambda: not apps.list_namespaced_deployment(ns).items, what="the Deployment to go")
    (rs,) = apps.list_namespaced_replica_set(ns).items
    assert not rs.metadata.owner_references


def test_garbage_collection_follows_owner_references(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    owner = core.create_namespaced_config_map(ns, {"metadata": {"name": "owner"}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    core.create_namespaced_config_map(ns, {"metadata": {"name": "dependent", "ownerReferences": [ref]}})
    other = core.create_namespaced_config_map(ns, {"metadata": {"name": "other"}})
    ref2 = {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": other.metadata.uid}
    core.create_namespaced_config_map(ns, {"metadata": {"name": "shared", "ownerReferences": [ref, ref2]}})
    core.delete_namespaced_config_map("owner", ns)
    cluster.wait_for(
        lambda: "dependent" not in [c.metadata.name for c in core.list_namespaced_config_map(ns).items],
        what="the dependent to be collected",
    )
    # an object with another live owner stays, minus the dangling reference
    shared = cluster.wait_for(
        lambda: (lambda s: s if len(s.metadata.owner_references) == 1 else None)(
            core.read_namespaced_config_map("shared", ns)
        ),
        what="the dangling reference to go",
    )
    assert shared.metadata.owner_references[0].name == "other"


def test_statefulset_pods_and_claims(cluster: Cluster) -> None:
    ns = cluster.namespace()
    api = cluster.api_client()
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_stateful_set(ns, statefulset("db", replicas=2, image=cluster.image))

    def ready() -> client.V1StatefulSet | None:
        s = apps.read_namespaced_stateful_set("db", ns)
        return (
            s
            if s.status.ready_replicas == 2 and s.status.current_revision == s.status.update_revision
            else None
        )

    sts = cluster.wait_for(ready, what="the StatefulSet to be ready")
    pods = sorted(core.list_namespaced_pod(ns, label_selector="app=db").items, key=lambda p: p.metadata.name)
    assert [p.metadata.name for p in pods] == ["db-0", "db-1"]
    assert {p.metadata.labels["controller-revision-hash"] for p in pods} == {sts.status.update_revision}
    claims = {c.metadata.name: c for c in core.list_namespaced_persistent_volume_claim(ns).items}
    assert set(claims) == {"data-db-0", "data-db-1"}
    assert all(c.status.phase == "Bound" for c in claims.values())
    assert pods[0].spec.volumes[0].persistent_volume_claim.claim_name == "data-db-0"
    # ordered creation: db-1 was created after db-0 was ready
    assert pods[0].metadata.creation_timestamp <= pods[1].metadata.creation_timestamp
    # a template change rolls the pods one by one to the new revision
    apps.patch_namespaced_stateful_set("db", ns, {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}})
    sts = cluster.wait_for(
        lambda: (
            lambda s: (
                s
                if s.status.updated_replicas == 2
                and s.status.ready_replicas == 2
                and s.status.current_revision == s.status.update_revision
                else None
            )
        )(apps.read_namespaced_stateful_set("db", ns)),
        what="the StatefulSet rolling update",
    )
    assert sts.status.update_revision != pods[0].metadata.labels["controller-revision-hash"]
    # deleting the StatefulSet deletes its pods but keeps the claims
    apps.delete_namespaced_stateful_set("db", ns)
    cluster.wait_for(
        lambda: not core.list_namespaced_pod(ns, label_selector="app=db").items, what="pods to go"
    )
    assert {c.metadata.name for c in core.list_namespaced_persistent_volume_claim(ns).items} == set(claims)


def test_events_for_what_happens(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps, core = client.AppsV1Api(cluster.api_client()), client.CoreV1Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("web", image=cluster.image, replicas=1))
    cluster.wait_for(lambda: _ready(apps, ns, "web", 1))
    cluster.settle()
    events = core.list_namespaced_event(ns).items
    by_kind: dict[str, set[str]] = {}
    for e in events:
        by_kind.setdefault(e.involved_object.kind, set()).add(e.reason)
        assert e.first_timestamp is not None and e.count >= 1 and e.type in ("Normal", "Warning")
    assert "ScalingReplicaSet" in by_kind["Deployment"]
    assert "SuccessfulCreate" in by_kind["ReplicaSet"]
    assert {"Scheduled", "Pulled", "Created", "Started"} <= by_kind["Pod"]


def test_autoscaler_keeps_replicas_within_bounds(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    auto = client.AutoscalingV2Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("web", image=cluster.image, replicas=1))
    from tests.cluster.builders import sample

    hpa = sample("HorizontalPodAutoscaler", "web")
    hpa["spec"]["minReplicas"] = 2
    auto.create_namespaced_horizontal_pod_autoscaler(ns, hpa)
    cluster.wait_for(
        lambda: _ready(apps, ns, "web", 2), timeout=120, what="the HPA to scale up to minReplicas"
    )
    status = cluster.wait_for(
        lambda: auto.read_namespaced_horizontal_pod_autoscaler("web", ns).status.conditions,
        timeout=120,
        what="HPA conditions",
    )
    assert {c.type for c in status} >= {"AbleToScale", "ScalingActive"}
