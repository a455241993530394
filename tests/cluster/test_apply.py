"""How the deploy stage applies a service: namespace, dependency order, annotations, server-side
apply under the tool's field manager, pruning, replacement where Kubernetes allows no change.
Seen through the real API server's audit log (and, for what is on the wire, the fault proxy)
and its objects; the prebuilt test image."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from hyscale_tasks.spec.names import normalize
from testing.audit import actions, applies, is_dry_run, writes
from testing.cluster import Cluster
from testing.proxy import FaultProxy
from testing.registry import Registry, write_docker_config
from testing.workspace import NewApp, Workspace

APP_LABEL = "hyscale.io/app-name"
OUR_ANNOTATIONS = {"hyscale.io/manifest-digest", "hyscale.io/service-manifests-digest",
                   "hyscale.io/applied-kinds", "hyscale.io/last-updated-at",
                   "deployment.kubernetes.io/revision"}
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
LB = {"provider": "nginx", "className": "nginx", "host": "web.example.com",
      "mapping": [{"port": "8080/http", "contextPaths": ["/"]}]}


def _live(cluster: Cluster, app: Workspace, kind: str, api_version: str, name: str) -> dict[str, Any]:
    resource = cluster.dynamic_client().resources.get(api_version=api_version, kind=kind)
    return dict(resource.get(name=name, namespace=app.namespace).to_dict())


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    return dict(obj["metadata"].get("annotations") or {})


def _posts(seen: list[dict[str, Any]]) -> list[str]:
    """The resource (plural) of each create, in order."""
    return [str(r["resource"]) for r in seen if r["verb"] == "POST"]


def _manifests(app: Workspace, service: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The rendered manifests of a service, by (kind, name)."""
    found = {}
    for path in app.paths(service).manifests.glob("*.yaml"):
        manifest = yaml.safe_load(path.read_text())
        found[(manifest["kind"], manifest["metadata"]["name"])] = manifest
    return found


def _managers(obj: dict[str, Any]) -> set[tuple[str, str]]:
    return {(entry["manager"], entry["operation"]) for entry in obj["metadata"]["managedFields"]}


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

    assert _posts(seen) == ["namespaces"]  # every object is a server-side apply
    assert applies(seen) == [("secrets", 201), ("configmaps", 201), ("secrets", 201),
                             ("deployments", 201), ("services", 201),
                             ("horizontalpodautoscalers", 201), ("ingresses", 201)]
    applying = [line.split("Applying ", 1)[1] for line in result.stderr.splitlines() if "Applying " in line]
    assert applying == [f"Secret {app.pull_secret}", f"ConfigMap {app.name}-web", f"Secret {app.name}-web",
                        "Deployment web", "Service web", f"HorizontalPodAutoscaler {app.name}-web",
                        "Ingress dev-web-ingress"]

    mark = len(cluster.audit())
    app.deploy("api")
    seen = cluster.audit()[mark:]
    assert actions(seen, "namespaces") == ["get"], "the namespace exists: read, not created again"
    # the shared pull secret is as api's manifests say: a dry run finds nothing to change
    assert applies(seen) == [("configmaps", 201), ("deployments", 201), ("services", 201),
                             ("networkpolicies", 201)]

    record = app.deploy_record("web")
    manifests = _manifests(app, "web")
    digests = []
    for ref in record["objects"]:
        live = _live(cluster, app, ref["kind"], ref["apiVersion"], ref["name"])
        notes = _annotations(live)
        manifest = manifests[(ref["kind"], ref["name"])]
        assert notes["hyscale.io/manifest-digest"] == ref["digest"], ref
        assert DIGEST.match(ref["digest"]), ref
        digests.append(ref["digest"])
        # no copy of the manifest in annotations: the API server tracks the fields we set
        assert set(notes) - set(manifest["metadata"].get("annotations") or {}) <= OUR_ANNOTATIONS, notes
        assert ("hyscale", "Apply") in _managers(live), ref
        for field in ("data", "spec"):
            if field in manifest and ref["kind"] != "Secret":
                assert _contains(live[field], manifest[field]), (ref, field)
    assert len(set(digests)) == len(digests)
    assert "order-secret" not in json.dumps([_annotations(_live(cluster, app, r["kind"], r["apiVersion"],
                                                                r["name"])) for r in record["objects"]])
    workload = _live(cluster, app, "Deployment", "apps/v1", "web")
    notes = _annotations(workload)
    assert notes["hyscale.io/service-manifests-digest"] == record["serviceDigest"]
    assert DIGEST.match(record["serviceDigest"])
    assert notes["hyscale.io/applied-kinds"] == \
        "[Secret:v1, Deployment:apps/v1, ConfigMap:v1, Service:v1, " \
        "HorizontalPodAutoscaler:autoscaling/v2, Ingress:networking.k8s.io/v1]"
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", notes["hyscale.io/last-updated-at"])


def _contains(live: Any, wanted: Any) -> bool:
    """Every field of ``wanted`` is in ``live`` with its value (the API server adds defaults)."""
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(
            _contains(live.get(key), value) or (key not in live and value in ({}, [], False, None))
            for key, value in wanted.items())
    if isinstance(wanted, list):
        return isinstance(live, list) and len(live) == len(wanted) and \
            all(_contains(a, b) for a, b in zip(live, wanted, strict=True))
    return bool(live == wanted) or str(live) == str(wanted)


def test_a_change_is_applied_server_side(
        new_app: NewApp, cluster: Cluster, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    """Server-side apply with the tool's field manager: a prop removed from the spec is removed
    from the ConfigMap, what someone else added to the object (another tool's annotation)
    stays, and a value of ours changed by hand is put back. The proxy shows the request as sent."""
    app = new_app("patch", kubeconfig=fault_proxy.kubeconfig(cluster.kubeconfig, tmp_path / "proxied"))
    app.web(props={"GREETING": "hi", "COLOR": "blue", "SIZE": "L"})
    app.deploy("web")
    before = {ref["kind"]: ref["digest"] for ref in app.deploy_record("web")["objects"]}
    name = f"{app.name}-web"
    client.CoreV1Api(cluster.api_client()).patch_namespaced_config_map(
        name, app.namespace, {"metadata": {"annotations": {"example.com/owner": "team-a"}},
                              "data": {"GREETING": "changed by hand"}})

    app.edit_spec("web", props={"GREETING": "hi", "COLOR": "green"})
    mark, sent = len(cluster.audit()), len(fault_proxy.requests)
    app.deploy("web")
    seen = cluster.audit()[mark:]

    patches = [r for r in seen if r["verb"] == "PATCH" and r.get("resource") == "configmaps"]
    assert [(p["name"], p["code"]) for p in patches] == [(name, 200)]
    assert not [line for line in writes(seen) if line.startswith(("POST", "DELETE"))], writes(seen)
    wire = [r for r in fault_proxy.requests[sent:]
            if r.method == "PATCH" and r.path.endswith(f"/configmaps/{name}")]
    assert len(wire) == 1
    assert wire[0].content_type.startswith("application/apply-patch+yaml"), wire[0].content_type
    assert {"fieldManager=hyscale", "force=true"} <= set(wire[0].query.split("&")), wire[0].query
    assert wire[0].json()["data"] == {"GREETING": "hi", "COLOR": "green"}  # the whole object
    live = _live(cluster, app, "ConfigMap", "v1", name)
    assert live["data"] == {"GREETING": "hi", "COLOR": "green"}
    assert _annotations(live)["example.com/owner"] == "team-a"
    after = {ref["kind"]: ref["digest"] for ref in app.deploy_record("web")["objects"]}
    # the ConfigMap changed, and so did the Deployment (its pod-template checksum); not the rest
    assert after["ConfigMap"] != before["ConfigMap"] and after["Deployment"] != before["Deployment"]
    assert after["Service"] == before["Service"] and after["Secret"] == before["Secret"]


def test_a_config_map_of_nearly_a_mebibyte_deploys_and_redeploys(new_app: NewApp,
                                                                 cluster: Cluster) -> None:
    """Annotations hold 256 KiB; a ConfigMap holds 1 MiB. Nothing of the data is copied into an
    annotation, so the ConfigMap can use what Kubernetes allows, and a change to it is applied
    in place (never deleted and re-created)."""
    app = new_app("bigprops")
    page = app.folder / "big.txt"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("x" * (900 * 1024))
    app.web(props={"GREETING": "hi", "PAGE": "file(big.txt)"})
    app.deploy("web")
    name = f"{app.name}-web"
    uid = _live(cluster, app, "ConfigMap", "v1", name)["metadata"]["uid"]

    page.write_text("y" * (900 * 1024))
    mark = len(cluster.audit())
    app.deploy("web")
    seen = cluster.audit()[mark:]

    live = _live(cluster, app, "ConfigMap", "v1", name)
    assert live["metadata"]["uid"] == uid and not actions(seen, "configmaps", name).count("delete")
    assert base64.b64decode(live["binaryData"]["PAGE"]) == b"y" * (900 * 1024)  # file props
    assert len(json.dumps(_annotations(live))) < 2048
    assert app.deploy("web").executed == []


def test_deploying_what_runs_from_another_machine_writes_nothing(
        new_app: NewApp, cluster: Cluster, tmp_path: Path) -> None:
    """A CI runner (another HYSCALE_HOME, no deploy record) deploys manifests the cluster
    already runs: every object is read and found as the manifests say, including the fields the
    API server leaves out when empty or false (a ConfigMap's empty binaryData, a volume mount's
    readOnly: false), so nothing is written."""
    app = new_app("again")
    app.extra_env["HYS_LB_READY_TIMEOUT"] = "0"
    app.web(props={"GREETING": "hi"}, secrets={"TOKEN": "again-secret"}, external=True,
            replicas={"min": 1, "max": 2, "cpuThreshold": "70%"}, loadBalancer=LB)
    app.stateful("store", volumes=[{"name": "data", "path": "/data", "size": "1Gi"},
                                   {"name": "logs", "path": "/logs", "size": "1Gi"}])
    app.edit_spec("store", allowTraffic=[{"ports": [6379], "from": ["web"]}])
    app.deploy()
    ci = dataclasses.replace(app, home=tmp_path / "ci-home", results=[])

    mark = len(cluster.audit())
    result = ci.deploy()
    seen = cluster.audit()[mark:]

    assert sorted(t for t in result.executed if t.startswith("deploy")) == ["deploy:store", "deploy:web"]
    assert f"Applying ConfigMap {app.name}-web" in result.stderr
    assert result.stderr.count("The cluster already runs these manifests: nothing was written") == 2
    assert writes(seen) == [], "objects the cluster holds as the manifests say were written again"
    assert all(is_dry_run(r) for r in seen if r["action"] not in ("get", "list", "watch")), seen
    # the premise: the manifests hold such values, the API server dropped them
    assert app.manifest_of("web", "configmap.yaml")["binaryData"] == {}
    assert "binaryData" not in _live(cluster, app, "ConfigMap", "v1", f"{app.name}-web")
    def mounts(statefulset: dict[str, Any]) -> list[dict[str, Any]]:
        return list(statefulset["spec"]["template"]["spec"]["containers"][0]["volumeMounts"])

    assert {m.get("readOnly") for m in mounts(app.manifest_of("store", "statefulset.yaml"))} == {False}
    assert all("readOnly" not in m for m in mounts(_live(cluster, app, "StatefulSet", "apps/v1", "store")))


def test_objects_no_longer_generated_are_pruned(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("prune")
    app.web(props={"GREETING": "hi"}, secrets={"TOKEN": "prune-secret"})
    app.deploy("web")
    core = client.CoreV1Api(cluster.api_client())

    app.edit_spec("web", props=None, secrets=None)
    result = app.deploy("web")

    assert f"Deleting stale ConfigMap {app.name}-web" in result.stderr
    assert f"Deleting stale Secret {app.name}-web" in result.stderr
    # gone by the time the deploy ends (the API server's own kube-root-ca.crt stays, of course)
    for read in (core.read_namespaced_config_map, core.read_namespaced_secret):
        with pytest.raises(client.ApiException) as gone:
            read(f"{app.name}-web", app.namespace)
        assert gone.value.status == 404
    assert not core.list_namespaced_config_map(app.namespace, label_selector=APP_LABEL).items
    assert [s.metadata.name for s in core.list_namespaced_secret(app.namespace).items] == [app.pull_secret]
    notes = _annotations(_live(cluster, app, "Deployment", "apps/v1", "web"))
    assert notes["hyscale.io/applied-kinds"] == "[Secret:v1, Deployment:apps/v1, Service:v1]"


def test_the_pull_secret_is_not_pruned_when_a_service_moves_registry(
        new_app: NewApp, cluster: Cluster, registry: Registry) -> None:
    """Other services of the app pull with it too (HyScale never deletes it either). The
    service moves to the same registry under another name (localhost), with a login of its own,
    so that its pods really pull from there."""
    app = new_app("keeppull")
    app.web()
    app.deploy("web")
    core = client.CoreV1Api(cluster.api_client())
    elsewhere = f"localhost:{registry.port}"
    write_docker_config(app.docker_config, {registry.host: (registry.user, registry.password),
                                            elsewhere: (registry.user, registry.password)})

    app.edit_spec("web", image={**app.spec("web")["image"], "registry": elsewhere})
    result = app.deploy("web")

    assert "Deleting stale Secret" not in result.stderr
    assert core.read_namespaced_secret(app.pull_secret, app.namespace).type == \
        "kubernetes.io/dockerconfigjson"
    live = client.AppsV1Api(cluster.api_client()).read_namespaced_deployment("web", app.namespace)
    assert live.spec.template.spec.containers[0].image.startswith(f"{elsewhere}/")
    assert [s.name for s in live.spec.template.spec.image_pull_secrets] == [normalize(elsewhere)]
    assert live.status.ready_replicas == 1


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

    assert "Deleting stale StatefulSet store" in result.stderr
    assert not apps.list_namespaced_stateful_set(app.namespace).items
    assert apps.read_namespaced_deployment("store", app.namespace).status.ready_replicas == 1
    assert not [line for line in writes(seen) if "persistentvolumeclaims" in line]
    assert [c.metadata.name for c in core.list_namespaced_persistent_volume_claim(app.namespace).items] \
        == ["data-store-0"]


def test_a_change_kubernetes_cannot_make_in_place_replaces_the_object(new_app: NewApp,
                                                                      cluster: Cluster) -> None:
    """A StatefulSet's volume claim templates are immutable: the API server refuses the apply
    (422), and only then the tool deletes the StatefulSet and creates it again, saying why. The
    volume claim of its pod is not the StatefulSet's to delete: it stays, and the new pod mounts
    it again."""
    app = new_app("resize")
    app.stateful("store")
    app.deploy("store")
    core, apps = client.CoreV1Api(cluster.api_client()), client.AppsV1Api(cluster.api_client())
    before = apps.read_namespaced_stateful_set("store", app.namespace)
    claim = core.read_namespaced_persistent_volume_claim("data-store-0", app.namespace)

    app.edit_spec("store", volumes=[{"name": "data", "path": "/data", "size": "2Gi"}])
    mark = len(cluster.audit())
    result = app.deploy("store")
    seen = cluster.audit()[mark:]

    done = [(r["action"], r["code"]) for r in seen if r["resource"] == "statefulsets"
            and not r["subresource"] and r["verb"] in ("POST", "PATCH", "DELETE")]
    assert done == [("patch", 422), ("delete", 200), ("patch", 201)], done
    assert "StatefulSet store replaced: its volume claim templates changed" in result.stderr, result.stderr
    after = apps.read_namespaced_stateful_set("store", app.namespace)
    assert after.metadata.uid != before.metadata.uid
    assert after.spec.volume_claim_templates[0].spec.resources.requests["storage"] == "2Gi"
    assert after.status.ready_replicas == 1
    assert core.read_namespaced_persistent_volume_claim("data-store-0", app.namespace).metadata.uid \
        == claim.metadata.uid
    assert app.deploy("store").executed == []


def test_ingress_service_does_not_wait_for_an_ip(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("ingress")
    app.extra_env["HYS_LB_READY_TIMEOUT"] = "2000"  # ms: a deploy that waits for an IP gives up soon
    app.web(external=True, loadBalancer=LB)

    mark = len(cluster.audit())
    result = app.deploy("web")
    seen = cluster.audit()[mark:]

    assert "Service URL : web.example.com" in result.stderr
    service_reads = [r for r in seen if r["verb"] == "GET" and r.get("resource") == "services"]
    # one before the apply (whose is it?), at most two for the address
    assert len(service_reads) <= 3, \
        f"{len(service_reads)} reads of Service web: it was polled for a load-balancer IP"


def test_ctrl_c_during_a_replacement_leaves_the_new_object(new_app: NewApp, cluster: Cluster,
                                                           fault_proxy: FaultProxy,
                                                           tmp_path: Path) -> None:
    """Ctrl-C between the delete and the create of a replacement is held until the create is
    sent: the cluster is left with the old object or the new one, never with neither."""
    app = new_app("replaceint", kubeconfig=fault_proxy.kubeconfig(cluster.kubeconfig,
                                                                  tmp_path / "proxied"))
    app.stateful("store")
    app.deploy("store")
    apps = client.AppsV1Api(cluster.api_client())
    before = apps.read_namespaced_stateful_set("store", app.namespace).metadata.uid
    app.edit_spec("store", volumes=[{"name": "data", "path": "/data", "size": "2Gi"}])
    fault_proxy.delay("DELETE", r"/statefulsets/store$", 2.0)

    process = app.start(f"app={app.name}", "deploy:store")
    cluster.wait_for(lambda: bool(fault_proxy.fired), timeout=60,
                     what="the replacement to delete the StatefulSet")
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole process group
    result = app.wait(process, check=False)

    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    after = apps.read_namespaced_stateful_set("store", app.namespace)  # a 404 if none was left
    assert after.metadata.uid != before
    assert "Stopping once StatefulSet store is created again" in result.stderr, result.stderr
    assert after.spec.volume_claim_templates[0].spec.resources.requests["storage"] == "2Gi"
    fault_proxy.clear()
    assert "deploy:store" in app.deploy("store").executed  # the wait it missed
    assert app.deploy("store").executed == []
