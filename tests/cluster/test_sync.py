"""Up to date means in sync: what a repeated ``doit deploy`` does, seen on the wire (the audit log).

Prebuilt images (the test image, pulled from the test registry): only the deploy stage runs.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import yaml
from kubernetes import client

from testing.audit import actions, applies, reads, sync_listings, writes
from testing.cluster import Cluster
from testing.workspace import NewApp, Workspace


def _apps(cluster: Cluster) -> client.AppsV1Api:
    return client.AppsV1Api(cluster.api_client())


def _deployed(new_app: NewApp, cluster: Cluster, **web: Any) -> Workspace:
    app = new_app("sync")
    app.web(props={"GREETING": "hello"}, secrets={"TOKEN": "sync-secret-1"}, **web)
    app.deploy("web")
    return app


def test_noop_deploy_executes_nothing_writes_nothing_and_lists_each_kind_once(
        new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("noop")
    app.web(props={"A": "1"}, secrets={"S": "noop-secret"})
    app.web("api", replicas=2)
    app.stateful("store")
    app.deploy()

    mark = len(cluster.audit())
    again = app.deploy()
    seen = cluster.audit()[mark:]

    assert again.executed == [], again.stdout
    assert "deploy:web" in again.skipped and "deploy:store" in again.skipped
    assert writes(seen) == [], "a no-op deploy wrote to the cluster (the shared pull secret too)"
    # three services, five kinds: five listings, each of the app's objects only, and one read
    # of the pull secret the services share with any other app of the namespace
    assert sorted(reads(seen)) == sync_listings(app.namespace, "configmaps", "secrets", "services",
                                                "apps/v1/deployments", "apps/v1/statefulsets",
                                                pull_secret=app.pull_secret)
    assert {urllib.parse.unquote(r.get("query", "")) for r in seen} == \
        {f"labelSelector=hyscale.io/app-name={app.name}", ""}


def test_deleted_deployment_is_restored_by_the_next_deploy(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("restore")
    app.web(props={"GREETING": "hello"})
    app.stateful("store")
    app.deploy()
    _apps(cluster).delete_namespaced_deployment("web", app.namespace)
    cluster.wait_for(lambda: not _apps(cluster).list_namespaced_deployment(app.namespace).items,
                     what="the Deployment to go")

    mark = len(cluster.audit())
    result = app.deploy()
    seen = cluster.audit()[mark:]

    assert result.executed == ["deploy:web"], result.stdout
    assert ("deployments", 201) in applies(seen), "the apply created it again"
    assert set(actions(seen, "statefulsets")) == {"list"}, "store was in sync: no write"
    restored = _apps(cluster).read_namespaced_deployment("web", app.namespace)
    assert restored.metadata.annotations["hyscale.io/service-manifests-digest"] == \
        app.deploy_record("web")["serviceDigest"]
    assert app.deploy().executed == []  # and in sync again


def test_edited_deployment_is_deployed_again(new_app: NewApp, cluster: Cluster) -> None:
    """kubectl edit bumps the generation: the next deploy notices it and runs."""
    app = _deployed(new_app, cluster)
    _apps(cluster).patch_namespaced_deployment("web", app.namespace, {"spec": {"replicas": 3}})

    result = app.deploy("web")
    assert result.executed == ["deploy:web"], result.stdout


def test_edited_deployment_is_put_back_as_the_manifests_say(new_app: NewApp, cluster: Cluster) -> None:
    app = _deployed(new_app, cluster)
    image = _apps(cluster).read_namespaced_deployment("web", app.namespace) \
        .spec.template.spec.containers[0].image
    _apps(cluster).patch_namespaced_deployment("web", app.namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "web", "image": "registry.local/someone/else:6"}]}}}})

    app.deploy("web")
    live = _apps(cluster).read_namespaced_deployment("web", app.namespace)
    assert live.spec.template.spec.containers[0].image == image


def test_configmap_edited_by_hand_is_put_back_by_the_next_deploy(new_app: NewApp,
                                                                cluster: Cluster) -> None:
    app = _deployed(new_app, cluster)
    core = client.CoreV1Api(cluster.api_client())
    name = f"{app.name}-web"
    core.patch_namespaced_config_map(name, app.namespace, {"data": {"GREETING": "edited by hand"}})

    info = app.run("info", "deploy:web", check=False)
    assert info.returncode == 1 and f"ConfigMap {name} was changed in the cluster" in info.stdout
    mark = len(cluster.audit())
    result = app.deploy("web")
    seen = cluster.audit()[mark:]

    assert result.executed == ["deploy:web"], result.stdout
    assert core.read_namespaced_config_map(name, app.namespace).data["GREETING"] == "hello"
    assert "patch" in actions(seen, "configmaps", name)
    # only the drifted object is written: the rest is as the manifests say
    assert {r["resource"] for r in seen if r["verb"] in ("POST", "PUT", "PATCH", "DELETE")} \
        == {"configmaps"}, writes(seen)
    assert app.deploy("web").executed == []


def test_service_or_secret_deleted_by_hand_is_restored_by_the_next_deploy(
        new_app: NewApp, cluster: Cluster) -> None:
    app = _deployed(new_app, cluster)
    core = client.CoreV1Api(cluster.api_client())
    core.delete_namespaced_service("web", app.namespace)
    core.delete_namespaced_secret(f"{app.name}-web", app.namespace)

    result = app.deploy("web")

    assert result.executed == ["deploy:web"], result.stdout
    assert core.read_namespaced_service("web", app.namespace).spec.ports[0].port == 8080
    assert core.read_namespaced_secret(f"{app.name}-web", app.namespace).data
    assert app.deploy("web").executed == []


def test_the_shared_pull_secret_stamped_again_with_the_same_content_is_not_drift(
        new_app: NewApp, cluster: Cluster) -> None:
    """Services deployed at once (``doit -n 4``) each apply the pull Secret they share; when the
    first one made it, the others' applies carry their own last-updated time, a second later.
    The content is the same: the services that applied it before must not redeploy."""
    app = new_app("stamp")
    app.web("one")
    app.web("two")
    app.deploy()
    core = client.CoreV1Api(cluster.api_client())
    core.patch_namespaced_secret(app.pull_secret, app.namespace, {"metadata": {"annotations": {
        "hyscale.io/last-updated-at": "2000-01-01 00:00:00"}}})

    assert app.deploy().executed == []
    core.patch_namespaced_secret(app.pull_secret, app.namespace, {"data": {
        ".dockerconfigjson": "e30="}})  # {}: a login gone is drift
    # (the first service's deploy puts it back, and the second then finds it in sync)
    assert app.deploy().executed == ["deploy:one"]
    assert core.read_namespaced_secret(app.pull_secret, app.namespace).data[
        ".dockerconfigjson"] != "e30="
    assert app.deploy().executed == []


def test_an_unrelated_object_of_the_namespace_is_not_drift(new_app: NewApp, cluster: Cluster) -> None:
    """Other tools' objects in the namespace, and other apps', are none of the check's business."""
    app = _deployed(new_app, cluster)
    client.CoreV1Api(cluster.api_client()).create_namespaced_config_map(app.namespace, {  # type: ignore[arg-type]
        "metadata": {"name": "someone-elses"}, "data": {"A": "1"}})

    assert app.deploy("web").executed == []


def test_prop_change_rolls_the_pods_and_runs_only_the_deploy_half(
        new_app: NewApp, cluster: Cluster) -> None:
    app = _deployed(new_app, cluster)
    apps = _apps(cluster)
    before = apps.read_namespaced_deployment("web", app.namespace)
    checksum = before.spec.template.metadata.annotations["hyscale.io/checksum"]

    app.edit_spec("web", props={"GREETING": "bonjour"})
    mark = len(cluster.audit())
    result = app.deploy("web")
    seen = cluster.audit()[mark:]

    assert sorted(result.executed) == ["deploy:web", "manifests:web", "spec:web"], result.stdout
    assert "patch" in actions(seen, "configmaps") and "delete" not in actions(seen, "deployments")
    after = apps.read_namespaced_deployment("web", app.namespace)
    assert after.spec.template.metadata.annotations["hyscale.io/checksum"] != checksum
    assert after.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    sets = apps.list_namespaced_replica_set(
        app.namespace, label_selector="hyscale.io/service-name=web").items
    assert len(sets) == 2, "a new ReplicaSet for the new pod template"
    newest = max(sets, key=lambda rs: int(rs.metadata.annotations["deployment.kubernetes.io/revision"]))
    assert newest.spec.replicas == 1 and newest.status.ready_replicas == 1
    pods = client.CoreV1Api(cluster.api_client()).list_namespaced_pod(
        app.namespace, label_selector="hyscale.io/service-name=web").items
    hashes = {p.metadata.labels["pod-template-hash"] for p in pods if not p.metadata.deletion_timestamp}
    assert hashes == {newest.metadata.labels["pod-template-hash"]}
    configmap = client.CoreV1Api(cluster.api_client()).read_namespaced_config_map(
        f"{app.name}-web", app.namespace)
    assert configmap.data["GREETING"] == "bonjour"


def test_another_namespace_deploys_again_and_leaves_the_first(new_app: NewApp, cluster: Cluster) -> None:
    app = _deployed(new_app, cluster)
    other = cluster.track(f"{app.name}-b")  # deleted after the test, as the first one

    result = app.deploy("web", extra=[f"namespace={other}"])
    assert "deploy:web" in result.executed
    assert _apps(cluster).read_namespaced_deployment("web", other).metadata.name == "web"
    assert _apps(cluster).read_namespaced_deployment("web", app.namespace).metadata.name == "web"
    assert app.deploy("web", extra=[f"namespace={other}"]).executed == []
    # and back: the first namespace is deployed to again (its record was replaced)
    assert "deploy:web" in app.deploy("web").executed


def test_another_kube_context_deploys_again(new_app: NewApp, cluster: Cluster) -> None:
    app = _deployed(new_app, cluster)
    assert app.kubeconfig is not None
    document = yaml.safe_load(app.kubeconfig.read_text())
    old = document["current-context"]
    document["contexts"][0]["name"] = document["current-context"] = f"{old}-second"
    second = app.kubeconfig.with_name("kubeconfig-second")
    second.write_text(yaml.safe_dump(document))
    app.kubeconfig = second

    result = app.deploy("web")
    assert result.executed == ["deploy:web"], result.stdout
    assert app.deploy_record("web")["context"] == f"{old}-second"
    assert app.deploy("web").executed == []


def test_scale_is_not_undone_by_a_noop_deploy(new_app: NewApp, cluster: Cluster) -> None:
    app = _deployed(new_app, cluster)
    app.run("scale:web", "--to", "2")

    mark = len(cluster.audit())
    assert app.deploy("web").executed == []
    assert writes(cluster.audit()[mark:]) == []
    assert _apps(cluster).read_namespaced_deployment("web", app.namespace).spec.replicas == 2
