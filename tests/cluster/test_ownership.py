"""Whose object is it: another app's same-named service is never changed, the image pull secret
is shared by the apps of a namespace, state (pruning, drift) comes from the cluster as well as
from the local records, and objects an older version of the tool applied are taken over.

Real cluster and registry; the tool's requests read from the API server's audit log.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from kubernetes import client

from testing.audit import writes
from testing.cluster import Cluster
from testing.deploy_app import current_pods
from testing.workspace import NewApp, Workspace

APP_LABEL = "hyscale.io/app-name"
SERVICE_LABEL = "hyscale.io/service-name"


def _apps(cluster: Cluster) -> client.AppsV1Api:
    return client.AppsV1Api(cluster.api_client())


def _core(cluster: Cluster) -> client.CoreV1Api:
    return client.CoreV1Api(cluster.api_client())


def _into(app: Workspace, namespace: str) -> list[str]:
    """doit arguments that deploy ``app`` into ``namespace``."""
    return [f"namespace={namespace}"]


def test_a_same_named_service_of_another_app_is_never_changed(new_app: NewApp,
                                                             cluster: Cluster) -> None:
    first = new_app("owner")
    first.web(props={"GREETING": "first"})
    first.deploy("web")
    before = _apps(cluster).read_namespaced_deployment("web", first.namespace)
    second = new_app("intruder")
    second.web(props={"GREETING": "second"})

    mark = len(cluster.audit())
    result = second.deploy("web", check=False, extra=_into(second, first.namespace))
    seen = cluster.audit()[mark:]

    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"Deployment web in namespace {first.namespace} belongs to service web of app " \
        f"{first.name}, not to service web of app {second.name}; nothing was changed" in result.stderr
    assert "fix: deploy to another namespace" in result.stderr
    assert writes(seen) == [], "the deploy wrote before it found the clash"
    after = _apps(cluster).read_namespaced_deployment("web", first.namespace)
    assert (after.metadata.uid, after.metadata.generation) == \
        (before.metadata.uid, before.metadata.generation)
    assert first.deploy("web").executed == [], "the first app's deploy is still in sync"


def test_two_apps_share_the_pull_secret_without_relabelling_it(new_app: NewApp,
                                                              cluster: Cluster) -> None:
    first = new_app("sharera")
    first.web()
    first.deploy("web")
    second = new_app("sharerb")
    second.web("api")
    second.deploy("api", extra=_into(second, first.namespace))
    secret = _core(cluster).read_namespaced_secret(first.pull_secret, first.namespace)

    mark = len(cluster.audit())
    assert first.deploy("web").executed == []
    assert second.deploy("api", extra=_into(second, first.namespace)).executed == []
    assert writes(cluster.audit()[mark:]) == []
    assert _core(cluster).read_namespaced_secret(first.pull_secret, first.namespace) \
        .metadata.resource_version == secret.metadata.resource_version

    # undeploying one app keeps the secret the other still pulls with
    result = first.run("app-undeploy", f"namespace={first.namespace}")
    assert f"Keeping Secret {first.pull_secret}: other services in namespace " \
        f"{first.namespace} pull with it" in result.stderr
    pod = current_pods(cluster.api_client(), first.namespace, "api")[0]
    _core(cluster).delete_namespaced_pod(pod, first.namespace)  # a new pod pulls again
    cluster.wait_for(lambda: _ready_pods(cluster, first.namespace, "api") == 1, timeout=120,
                     what="api's new pod to pull its image and start")

    # undeploying the last app that uses it removes it
    result = second.run("app-undeploy", f"namespace={first.namespace}")
    assert f"Deleting Secret {first.pull_secret}" in result.stderr
    assert first.pull_secret not in [s.metadata.name for s in
                                     _core(cluster).list_namespaced_secret(first.namespace).items]


def _ready_pods(cluster: Cluster, namespace: str, service: str) -> int:
    pods = _core(cluster).list_namespaced_pod(
        namespace, label_selector=f"{SERVICE_LABEL}={service}").items
    return sum(1 for p in pods if not p.metadata.deletion_timestamp and p.status.container_statuses
               and all(c.ready for c in p.status.container_statuses))


def test_an_empty_hyscale_home_prunes_what_the_spec_no_longer_has(new_app: NewApp, cluster: Cluster,
                                                                  tmp_path: Path) -> None:
    """A CI runner has no records of earlier deploys: what to prune comes from the cluster (the
    objects labelled as the service's), so a Secret removed from the spec does not stay behind
    with its value."""
    app = new_app("prunefresh")
    app.web(props={"GREETING": "hi"}, secrets={"TOKEN": "prune-fresh-secret"})
    app.deploy("web")
    ci = dataclasses.replace(app, home=tmp_path / "ci-home", results=[])

    ci.edit_spec("web", secrets=None)
    result = ci.deploy("web")

    assert f"Deleting stale Secret {app.name}-web" in result.stderr
    names = [s.metadata.name for s in _core(cluster).list_namespaced_secret(app.namespace).items]
    assert names == [app.pull_secret]


def test_labels_and_annotations_removed_by_hand_are_drift(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("unlabel")
    app.web()
    app.deploy("web")
    _apps(cluster).patch_namespaced_deployment("web", app.namespace, [
        {"op": "remove", "path": "/metadata/labels/hyscale.io~1service-name"},
        {"op": "remove", "path": "/metadata/annotations/hyscale.io~1service-manifests-digest"}])

    result = app.deploy("web")

    assert result.executed == ["deploy:web"], "a hand edit of the tool's labels went unnoticed"
    live = _apps(cluster).read_namespaced_deployment("web", app.namespace)
    assert live.metadata.labels[SERVICE_LABEL] == "web"
    assert "hyscale.io/service-manifests-digest" in live.metadata.annotations
    assert app.deploy("web").executed == []
    assert "Running" in app.run("status:web").stdout


def test_a_workload_scaled_to_nothing_by_hand_is_reported(new_app: NewApp, cluster: Cluster) -> None:
    """The spec sets no replicas, so the deploy keeps the cluster's count (as HyScale does), and
    says so instead of reporting a ready service that has no pods."""
    app = new_app("scalezero")
    app.web()
    app.deploy("web")
    _apps(cluster).patch_namespaced_deployment_scale("web", app.namespace, {"spec": {"replicas": 0}})

    result = app.deploy("web")

    assert result.executed == ["deploy:web"]
    assert "[WARN]  web runs no pods: its replicas were set to 0 in the cluster" in result.stderr
    assert "Service address" not in result.stderr
    assert _apps(cluster).read_namespaced_deployment("web", app.namespace).spec.replicas == 0


def test_an_autoscaled_replica_count_is_left_to_the_autoscaler(new_app: NewApp,
                                                                cluster: Cluster) -> None:
    """Once the workload exists, its replica count is the autoscaler's: a deploy of a change
    does not put it back to the spec's minimum."""
    app = new_app("hpa")
    app.web(props={"GREETING": "hi"}, replicas={"min": 1, "max": 3, "cpuThreshold": "70%"})
    app.deploy("web")
    # what the HorizontalPodAutoscaler controller does: a write to the scale subresource
    _apps(cluster).patch_namespaced_deployment_scale("web", app.namespace, {"spec": {"replicas": 2}})

    app.edit_spec("web", props={"GREETING": "changed"})
    app.deploy("web")

    assert _apps(cluster).read_namespaced_deployment("web", app.namespace).spec.replicas == 2


def test_objects_an_older_version_applied_are_taken_over(new_app: NewApp, cluster: Cluster) -> None:
    """Versions before server-side apply kept the manifest in an annotation and patched with
    the client library's field manager. The first deploy hands those fields to the tool's field
    manager and drops the annotation, so what the spec no longer sets is removed."""
    app = new_app("legacy")
    app.web(props={"GREETING": "hi"})
    app.deploy("web")
    name = f"{app.name}-web"
    core = _core(cluster)
    old: dict[str, Any] = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {APP_LABEL: app.name, SERVICE_LABEL: "web"}},
        "data": {"GREETING": "hi", "GONE": "since removed from the spec"}}
    core.delete_namespaced_config_map(name, app.namespace)
    # as the old versions did: a create by the python client (field manager OpenAPI-Generator),
    # carrying the last-applied annotation
    core.create_namespaced_config_map(app.namespace, {**old, "metadata": {  # type: ignore[arg-type]
        **old["metadata"], "annotations": {"hyscale.io/last-applied-configuration": json.dumps(old)}}})

    app.edit_spec("web", props={"GREETING": "hello"})
    app.deploy("web")

    live = core.read_namespaced_config_map(name, app.namespace)
    assert live.data == {"GREETING": "hello"}
    assert "hyscale.io/last-applied-configuration" not in (live.metadata.annotations or {})
    assert {m.manager for m in live.metadata.managed_fields} == {"hyscale"}
    assert app.deploy("web").executed == []
