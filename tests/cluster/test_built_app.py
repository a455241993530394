"""The whole chain of an app, with images built on the Docker engine and pushed to the test
registry: spec -> dockerfile -> build -> push -> manifests -> deploy, then in sync, drift, a prop
change, undeploy; and an artifact change. The real kubelet pulls the pushed images (with the
app's image-pull Secret) and runs them: the tests ask the pods what they serve and what they got.

Needs the services (scripts/test starts them): without the HYSCALE_TEST_* variables these tests
FAIL with the command to run.
"""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from testing.audit import actions, reads, sync_listings, writes
from testing.cluster import Cluster, http_get
from testing.deploy_app import current_pods, exec_in
from testing.workspace import NewApp, Workspace, status_rows

pytestmark = pytest.mark.docker
TOKEN = "built-app-token-Z3"


def _push_record(app: Workspace, service: str) -> dict[str, Any]:
    import json

    return dict(json.loads(app.paths(service).push_record.read_text()))


def _env_of_running_pod(cluster: Cluster, namespace: str, service: str, name: str) -> str:
    """``name``'s value in the environment of the service's (one, current) pod."""
    pods = current_pods(cluster.api_client(), namespace, service)
    assert len(pods) == 1, pods
    return exec_in(cluster.api_client(), namespace, pods[0], service, f'echo "${name}"').strip()


def test_built_app_deploys_stays_in_sync_and_follows_changes(new_app: NewApp, cluster: Cluster,
                                                             registry: Any) -> None:
    app = new_app("built", built=True)
    app.web(built=True, props={"GREETING": "hello"}, secrets={"TOKEN": TOKEN}, external=True)
    app.stateful("store", built=True)
    core, apps = client.CoreV1Api(cluster.api_client()), client.AppsV1Api(cluster.api_client())
    ns = app.namespace

    # 1. the first deploy runs the whole chain and both services become ready
    first = app.deploy()
    for stage in ("spec", "dockerfile", "build", "push", "manifests", "deploy"):
        for service in ("web", "store"):
            assert f"{stage}:{service}" in first.executed, first.stdout
    web = apps.read_namespaced_deployment("web", ns)
    pushed = _push_record(app, "web")
    assert web.spec.template.spec.containers[0].image == \
        f"{registry.host}/{app.name}/web:1.0@{pushed['digest']}", "deployed by digest"
    assert registry.served_digest(f"{app.name}/web", "1.0") == pushed["digest"]
    assert [s.name for s in web.spec.template.spec.image_pull_secrets] == \
        [registry.host.replace(".", "-").replace(":", "")]
    assert web.status.ready_replicas == 1
    assert apps.read_namespaced_stateful_set("store", ns).status.ready_replicas == 1
    # no load balancer controller on the test cluster: the external Service gets no IP, and the
    # deploy gives its node port instead, which answers with what the built image serves
    node_port = core.read_namespaced_service("web", ns).spec.ports[0].node_port
    address = f"{cluster.node_ip}:{node_port}"
    assert f"Service address : {address}" in first.stderr
    http_get(f"http://{address}/", f"<h1>web of {app.name}</h1>")
    assert _env_of_running_pod(cluster, ns, "web", "GREETING") == "hello"
    assert _env_of_running_pod(cluster, ns, "web", "TOKEN") == TOKEN
    rows = status_rows(app.run("app-status"))
    assert {name: row["Status"] for name, row in rows.items()} == {"store": "Running", "web": "Running"}
    assert app.paths("web").deploy_log.exists() and app.paths("store").deploy_log.exists()

    # 2. nothing changed: nothing runs, nothing is written, one listing per kind
    mark = len(cluster.audit())
    noop = app.deploy()
    seen = cluster.audit()[mark:]
    assert noop.executed == [], noop.stdout
    assert writes(seen) == []
    assert sorted(reads(seen)) == sync_listings(ns, "configmaps", "secrets", "services",
                                                "apps/v1/deployments", "apps/v1/statefulsets",
                                                pull_secret=app.pull_secret)

    # 3. a Deployment deleted by hand is restored, without a build or a push
    apps.delete_namespaced_deployment("web", ns)
    cluster.wait_for(lambda: not apps.list_namespaced_deployment(ns).items, what="web to go")
    restored = app.deploy()
    assert restored.executed == ["deploy:web"], restored.stdout
    assert apps.read_namespaced_deployment("web", ns).spec.template.spec.containers[0].image == \
        web.spec.template.spec.containers[0].image

    # 4. a prop change rolls the pods: new checksum, new ReplicaSet; no build, no push
    checksum = apps.read_namespaced_deployment("web", ns).spec.template.metadata.annotations[
        "hyscale.io/checksum"]
    app.edit_spec("web", props={"GREETING": "bonjour"})
    changed = app.deploy()
    assert sorted(changed.executed) == ["deploy:web", "manifests:web", "spec:web"], changed.stdout
    live = apps.read_namespaced_deployment("web", ns)
    assert live.spec.template.metadata.annotations["hyscale.io/checksum"] != checksum
    assert len(apps.list_namespaced_replica_set(ns, label_selector="hyscale.io/service-name=web").items) == 2
    assert _env_of_running_pod(cluster, ns, "web", "GREETING") == "bonjour"

    # 5. undeploy removes the stateful service's objects and keeps its volume claim
    mark = len(cluster.audit())
    app.run("undeploy:store")
    assert "delete" in actions(cluster.audit()[mark:], "statefulsets", "store")
    assert not apps.list_namespaced_stateful_set(ns).items
    claims = core.list_namespaced_persistent_volume_claim(ns).items
    assert [c.metadata.name for c in claims] == ["data-store-0"]

    # and no secret (the service's, the registry password) in anything the tool printed
    for result in app.results:
        for secret in (TOKEN, registry.password, registry.auth):
            assert secret not in result.stdout + result.stderr


def test_an_artifact_change_deploys_the_new_image_in_the_same_run(new_app: NewApp, cluster: Cluster,
                                                                  registry: Any) -> None:
    app = new_app("artifact", built=True)
    app.web(built=True)
    app.deploy("web")
    first = _push_record(app, "web")["digest"]

    (app.folder / "web-site" / "index.html").write_text("<h1>version 2</h1>\n")
    rebuilt = app.deploy("web")

    digest = _push_record(app, "web")["digest"]
    assert digest != first and registry.served_digest(f"{app.name}/web", "1.0") == digest
    # manifests:web may be judged before the push (a render never waits for Docker); the deploy
    # re-renders with the new digest before applying, so the new image lands in this run.
    assert {"build:web", "deploy:web", "dockerfile:web", "push:web"} <= set(rebuilt.executed), \
        rebuilt.stdout
    assert digest in app.paths("web").manifests.joinpath("deployment.yaml").read_text()
    image = client.AppsV1Api(cluster.api_client()).read_namespaced_deployment(
        "web", app.namespace).spec.template.spec.containers[0].image
    assert image.endswith(digest), f"{image} is still the old image"
    service_ip = client.CoreV1Api(cluster.api_client()).read_namespaced_service(
        "web", app.namespace).spec.cluster_ip
    http_get(f"http://{service_ip}:8080/", "<h1>version 2</h1>")
    assert app.deploy("web").executed == []  # and the re-render left nothing for the next run
