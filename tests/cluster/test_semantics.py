"""Smaller apiserver semantics: dry run, generateName, 410 Gone on an expired watch, Recreate,
PVC retention, pod image updates, pod validation on update."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from tests.cluster.api import Api
from tests.cluster.builders import deployment, sample, statefulset
from tests.cluster.fixtures import Cluster
from tests.cluster.resources import Registry
from tests.cluster.store import Store, TooOldError
from tests.cluster.watch import watch


def test_dry_run_create_persists_nothing(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    answer = core.create_namespaced_config_map(ns, sample("ConfigMap", "c"), dry_run="All")
    assert answer.metadata.uid
    assert core.list_namespaced_config_map(ns, label_selector="app=c").items == []


def test_generate_name(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    made = core.create_namespaced_config_map(ns, {"metadata": {"generateName": "job-"}})
    assert made.metadata.name.startswith("job-") and len(made.metadata.name) == len("job-") + 5


def test_expired_watch_is_410_gone() -> None:
    store = Store(history=3)
    api = Api(store, Registry.with_builtins())
    rt = api.rt("v1", "Namespace")
    for i in range(6):
        api.create(rt, None, {"metadata": {"name": f"ns-{i}"}})
    with pytest.raises(TooOldError):
        store.subscribe(since=1)
    sent: list[bytes] = []
    watch(api, rt, None, {"resourceVersion": "1"}, sent.append, lambda: True)
    event = json.loads(sent[0])
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"


def test_recreate_strategy_replaces_all_pods_at_once(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps, core = client.AppsV1Api(cluster.api_client()), client.CoreV1Api(cluster.api_client())
    body = deployment("web", image=cluster.image, replicas=2)
    body["spec"]["strategy"] = {"type": "Recreate"}
    apps.create_namespaced_deployment(ns, body)
    cluster.wait_for(lambda: apps.read_namespaced_deployment("web", ns).status.ready_replicas == 2)
    env = [{"name": "RELEASE", "value": "2"}]
    apps.patch_namespaced_deployment(
        "web", ns, {"spec": {"template": {"spec": {"containers": [{"name": "web", "env": env}]}}}}
    )

    def rolled() -> bool:
        pods = core.list_namespaced_pod(ns).items
        return len(pods) == 2 and all(p.spec.containers[0].env and p.status.phase == "Running" for p in pods)

    cluster.wait_for(rolled, timeout=120, what="the Recreate rollout")
    assert apps.read_namespaced_deployment("web", ns).spec.strategy.rolling_update is None


def test_statefulset_claims_go_with_it_when_the_policy_says_delete(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps, core = client.AppsV1Api(cluster.api_client()), client.CoreV1Api(cluster.api_client())
    body = statefulset("db", replicas=1, image=cluster.image)
    body["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Delete", "whenScaled": "Retain"}
    apps.create_namespaced_stateful_set(ns, body)
    cluster.wait_for(lambda: core.list_namespaced_persistent_volume_claim(ns).items, what="the claim")
    apps.delete_namespaced_stateful_set("db", ns)
    cluster.wait_for(
        lambda: not core.list_namespaced_persistent_volume_claim(ns).items,
        timeout=120,
        what="the claim to go",
    )


def test_pod_updates_may_change_only_images(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespaced_pod(ns, sample("Pod", "p"))
    with pytest.raises(client.ApiException) as info:
        core.patch_namespaced_pod("p", ns, {"spec": {"containers": [{"name": "main", "command": ["sh"]}]}})
    assert info.value.status == 422 and "pod updates may not change fields" in info.value.body
    updated = core.patch_namespaced_pod(
        "p", ns, {"spec": {"containers": [{"name": "main", "image": "registry.local/app:2"}]}}
    )
    assert updated.spec.containers[0].image == "registry.local/app:2"
    if cluster.is_standin:  # the scripted kubelet restarts the container with the new image
        cluster.settle()
        status = core.read_namespaced_pod("p", ns).status.container_statuses[0]
        assert status.image == "registry.local/app:2" and status.restart_count == 1


def test_pull_secret_must_be_valid_docker_config(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    bad = {"metadata": {"name": "pull"}, "type": "kubernetes.io/dockerconfigjson", "data": {"x": "eA=="}}
    with pytest.raises(client.ApiException) as info:
        core.create_namespaced_secret(ns, bad)
    assert info.value.status == 422 and "data[.dockerconfigjson]" in info.value.body
    good = {
        "metadata": {"name": "pull"},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": json.dumps({"auths": {"registry.local": {"auth": "dTpw"}}})},
    }
    assert core.create_namespaced_secret(ns, good).data[".dockerconfigjson"]
