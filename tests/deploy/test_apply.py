"""How the deploy stage applies a service (HyScale §7.2): namespace, dependency order, annotations,
JSON patches from the last-applied configuration, pruning. Seen through the stand-in's audit log
and its objects; prebuilt images, scripted kubelet."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from kubernetes import client

from tests.cluster.fixtures import Cluster
from tests.deploy.apps import PREBUILT_REGISTRY, DeployApp, actions, writes
from tests.deploy.conftest import NewApp

PULL_SECRET = PREBUILT_REGISTRY.replace(".", "-")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
LB = {"provider": "nginx", "className": "nginx", "host": "web.example.com",
      "mapping": [{"port": "8080/http", "contextPaths": ["/"]}]}


def _live(cluster: Cluster, app: DeployApp, kind: str, api_version: str, name: str) -> dict[str, Any]:
    resource = cluster.dynamic_client().resources.get(api_version=api_version, kind=kind)
    return dict(resource.get(name=name, namespace=app.namespace).to_dict())


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    return dict(obj["metadata"].get("annotations") or {})


def _posts(seen: list[dict[str, Any]]) -> list[str]:
    """The resource (plural) of each create, in order."""
    return [str(r["resource"]) for r in seen if r["verb"] == "POST"]


def _manifests(app: DeployApp, service: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The rendered manifests of a service, by (kind, name)."""
    found = {}
    for path in app.paths(service).manifests.glob("*.yaml"):
        manifest = yaml.safe_load(path.read_text())
        found[(manifest["kind"], manifest["metadata"]["name"])] = manifest
    return found


def _without_annotations(obj: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(obj))
    copy["metadata"].pop("annotations", None)
    return dict(copy)


def test_service_is_applied_in_dependency_order_with_its_annotations(new_app: NewApp,
                                                                     cluster: Cluster) -> None:
    app = new_app("order")
    app.extra_env["HYS_LB_READY_TIMEOUT"] = "0"  # see test_ingress_service_does_not_wait_for_an_ip
    app.web(props={"GREETING": "hi"}, secrets={"TOKEN": "order-secret"}, external=True,
            replicas={"min": 1, "max": 3, "cpuThreshold": "70%"}, loadBalancer=LB)
    app.web("api", props={"B": "2"}, allowTraffic=[{"ports": [8080], "from": ["web"]}])

    mark = len(cluster.audit())
    result = app.deploy("web")
    seen = cluster.audit()[mark:]

    assert _posts(seen) == ["namespaces", "secrets", "configmaps", "secrets", "deployments", "services",
                            "horizontalpodautoscalers", "ingresses"]
    applying = [line.split("Applying ", 1)[1] for line in result.stderr.splitlines() if "Applying " in line]
    assert applying == [f"Secret {PULL_SECRET}", f"ConfigMap {app.name}-web", f"Secret {app.name}-web",
                        "Deployment web", "Service web", f"HorizontalPodAutoscaler {app.name}-web",
                        "Ingress dev-web-ingress"]

    mark = len(cluster.audit())
    app.deploy("api")
    seen = cluster.audit()[mark:]
    assert actions(seen, "namespaces") == ["get"], "the namespace exists: read, not created again"
    assert _posts(seen) == ["configmaps", "deployments", "services", "networkpolicies"]

    record = app.deploy_record("web")
    manifests = _manifests(app, "web")
    digests = []
    for ref in record["objects"]:
        live = _live(cluster, app, ref["kind"], ref["apiVersion"], ref["name"])
        notes = _annotations(live)
        assert notes["hyscale.io/manifest-digest"] == ref["digest"], ref
        assert DIGEST.match(ref["digest"]), ref
        digests.append(ref["digest"])
        applied = json.loads(notes["hyscale.io/last-applied-configuration"])
        manifest = manifests[(ref["kind"], ref["name"])]
        assert "hyscale.io/last-applied-configuration" not in applied["metadata"]["annotations"]
        if ref["kind"] == "Secret":  # values are never in an annotation: digests of them
            assert applied["data"].keys() == manifest["data"].keys()
            assert all(DIGEST.match(value) for value in applied["data"].values())
            assert applied["data"] != manifest["data"]
        else:
            assert _without_annotations(applied) == _without_annotations(manifest), ref
    assert len(set(digests)) == len(digests)
    workload = _live(cluster, app, "Deployment", "apps/v1", "web")
    notes = _annotations(workload)
    assert notes["hyscale.io/service-manifests-digest"] == record["serviceDigest"]
    assert DIGEST.match(record["serviceDigest"])
    assert notes["hyscale.io/applied-kinds"] == \
        "[Secret:v1, Deployment:apps/v1, ConfigMap:v1, Service:v1, " \
        "HorizontalPodAutoscaler:autoscaling/v2, Ingress:networking.k8s.io/v1]"
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", notes["hyscale.io/last-updated-at"])


def test_a_change_patches_from_the_last_applied_configuration(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("patch")
    app.web(props={"GREETING": "hi", "COLOR": "blue"})
    app.deploy("web")
    before = {ref["kind"]: ref["digest"] for ref in app.deploy_record("web")["objects"]}

    app.edit_spec("web", props={"GREETING": "hi", "COLOR": "green"})
    mark = len(cluster.audit())
    app.deploy("web")
    seen = cluster.audit()[mark:]

    patches = [r for r in seen if r["verb"] == "PATCH" and r.get("resource") == "configmaps"]
    assert len(patches) == 1
    assert patches[0]["contentType"].startswith("application/json-patch+json")
    assert not [line for line in writes(seen) if line.startswith(("POST", "DELETE"))], writes(seen)
    live = _live(cluster, app, "ConfigMap", "v1", f"{app.name}-web")
    assert live["data"] == {"GREETING": "hi", "COLOR": "green"}
    assert json.loads(_annotations(live)["hyscale.io/last-applied-configuration"])["data"]["COLOR"] == "green"
    after = {ref["kind"]: ref["digest"] for ref in app.deploy_record("web")["objects"]}
    # the ConfigMap changed, and so did the Deployment (its pod-template checksum); not the rest
    assert after["ConfigMap"] != before["ConfigMap"] and after["Deployment"] != before["Deployment"]
    assert after["Service"] == before["Service"] and after["Secret"] == before["Secret"]


def test_objects_no_longer_generated_are_pruned(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("prune")
    app.web(props={"GREETING": "hi"}, secrets={"TOKEN": "prune-secret"})
    app.deploy("web")
    core = client.CoreV1Api(cluster.api_client())

    app.edit_spec("web", props=None, secrets=None)
    result = app.deploy("web")

    assert f"Deleting stale ConfigMap {app.name}-web" in result.stderr
    assert f"Deleting stale Secret {app.name}-web" in result.stderr
    assert not core.list_namespaced_config_map(app.namespace).items
    assert [s.metadata.name for s in core.list_namespaced_secret(app.namespace).items] == [PULL_SECRET]
    notes = _annotations(_live(cluster, app, "Deployment", "apps/v1", "web"))
    assert notes["hyscale.io/applied-kinds"] == "[Secret:v1, Deployment:apps/v1, Service:v1]"


def test_the_pull_secret_is_not_pruned_when_a_service_moves_registry(new_app: NewApp,
                                                                    cluster: Cluster) -> None:
    """Other services of the app pull with it too (HyScale never deletes it either)."""
    app = new_app("keeppull")
    app.web()
    app.deploy("web")
    core = client.CoreV1Api(cluster.api_client())

    app.edit_spec("web", image={"registry": "elsewhere.example", "name": f"{app.name}/web",
                                "tag": "1.0"})
    result = app.deploy("web")

    assert "Deleting stale Secret" not in result.stderr
    assert core.read_namespaced_secret(PULL_SECRET, app.namespace).type == \
        "kubernetes.io/dockerconfigjson"


def test_a_stateful_service_turned_stateless_keeps_its_volume_claims(new_app: NewApp,
                                                                       cluster: Cluster) -> None:
    app = new_app("tostateless")
    app.stateful("store")
    app.deploy("store")
    core, apps = client.CoreV1Api(cluster.api_client()), client.AppsV1Api(cluster.api_client())
    assert [c.metadata.name for c in core.list_namespaced_persistent_volume_claim(app.namespace).items] \
        == ["data-store-0"]

    spec = app.spec("store")
    spec.pop("volumes")
    app.write_spec(spec)
    mark = len(cluster.audit())
    result = app.deploy("store")
    seen = cluster.audit()[mark:]
    cluster.settle()

    assert "Deleting stale StatefulSet store" in result.stderr
    assert not apps.list_namespaced_stateful_set(app.namespace).items
    assert apps.read_namespaced_deployment("store", app.namespace).status.ready_replicas == 1
    assert not [line for line in writes(seen) if "persistentvolumeclaims" in line]
    assert [c.metadata.name for c in core.list_namespaced_persistent_volume_claim(app.namespace).items] \
        == ["data-store-0"]


def test_ingress_service_does_not_wait_for_an_ip(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("ingress")
    app.extra_env["HYS_LB_READY_TIMEOUT"] = "2000"  # ms: keeps the test short while the bug lasts
    app.web(external=True, loadBalancer=LB)

    mark = len(cluster.audit())
    result = app.deploy("web")
    seen = cluster.audit()[mark:]

    assert "Service URL : web.example.com" in result.stderr
    service_reads = [r for r in seen if r["verb"] == "GET" and r.get("resource") == "services"]
    assert len(service_reads) <= 2, \
        f"{len(service_reads)} reads of Service web: it was polled for a load-balancer IP"
