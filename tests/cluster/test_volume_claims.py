"""Volumes at both ends of a service's life, on the real cluster (its default StorageClass
``standard`` is the local-path provisioner's):

* before anything of a service with volumes is applied, the cluster must have a storage class
  for them (the one a volume names, or a default one): otherwise HyScale's message and nothing
  written, not a rollout that waits on a Pending claim;
* an undeploy that keeps the claims names them, with how to delete them; ``--delete-volumes``
  deletes them even once the workload is gone.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.storage import problem
from testing.audit import writes
from testing.cluster import Cluster
from testing.workspace import NewApp, assert_failed_cleanly


def _classes(cluster: Cluster) -> list[str]:
    return sorted(c.metadata.name for c in client.StorageV1Api(cluster.api_client())
                  .list_storage_class().items)


def test_a_storage_class_the_cluster_lacks_stops_the_deploy_before_any_write(
        new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("nosc")
    app.stateful("store", volumes=[{"name": "data", "path": "/data", "size": "1Gi",
                                    "storageClass": "no-such-class"}])
    allowed = ", ".join(_classes(cluster))

    mark = len(cluster.audit())
    result = app.deploy("store", check=False)
    seen = cluster.audit()[mark:]

    assert_failed_cleanly(
        result, "Volume validation failed. Error Storage class no-such-class in your hspec is "
        f"found to be invalid , allowed values from your cluster are [{allowed}]",
        f"  fix: set storageClass of volume data in store's spec (or its profile) to one of: "
        f"{allowed}")
    assert writes(seen) == [], "nothing of the service was written, not even its namespace"
    assert not client.CoreV1Api(cluster.api_client()).list_namespace(
        field_selector=f"metadata.name={app.namespace}").items

    # the fix the message gives works: the default class provisions the claim
    app.stateful("store")
    app.deploy("store")
    claims = client.CoreV1Api(cluster.api_client()).list_namespaced_persistent_volume_claim(
        app.namespace).items
    assert [(c.metadata.name, c.status.phase) for c in claims] == [("data-store-0", "Bound")]


def _class(name: str, default: bool = False) -> dict[str, Any]:
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {"metadata": {"name": name, "annotations": annotations}}


def test_a_volume_without_a_class_needs_a_default_one() -> None:
    """The same judgement, for clusters the test cluster is not (it has its default class)."""
    wanted = [("data", None), ("logs", "fast")]
    assert problem("store", wanted, [_class("fast"), _class("slow")]) == (
        "Volume validation failed. Error Missing default storage class from the cluster so kindly "
        "define storage class in your hspec volumes [data] , allowed values are : [fast, slow]\n"
        "  fix: set storageClass of volume data in store's spec to one of: fast, slow (the "
        "cluster has no default StorageClass).")
    assert problem("store", wanted, []).startswith(
        "Volume validation failed. Error No storage class defined in your kubernetes cluster. "
        "Please contact your cluster administrator\n  fix: ")
    assert problem("store", wanted, [_class("fast", default=True)]) is None
    # two defaults: Kubernetes (1.26 and later) takes the newest one, so it is not an error
    assert problem("store", wanted, [_class("fast", True), _class("slow", True)]) is None


def test_undeploy_names_the_claims_it_keeps_and_how_to_delete_them(new_app: NewApp,
                                                                    cluster: Cluster) -> None:
    app = new_app("keptpvc")
    app.stateful("store", volumes=[{"name": "data", "path": "/data", "size": "1Gi"},
                                   {"name": "logs", "path": "/logs", "size": "1Gi"}])
    app.deploy("store")
    core = client.CoreV1Api(cluster.api_client())
    ns = app.namespace

    result = app.run("undeploy:store")

    kept = (f"[INFO]  These volumes [data, logs] are no longer in use. They are retained in your "
            f"namespace {ns} as pvc [data-store-0, logs-store-0] for review and manual deletion. "
            "To reattach them to service store, use the same volume name.")
    assert kept in result.stderr.splitlines(), result.stderr
    assert (f"  to delete them (and their data): kubectl delete pvc -n {ns} data-store-0 "
            "logs-store-0, or undeploy store again with --delete-volumes") in result.stderr
    assert sorted(c.metadata.name for c in core.list_namespaced_persistent_volume_claim(ns).items) \
        == ["data-store-0", "logs-store-0"]

    # the second way it names: the workload is gone, the claims go
    again = app.run("undeploy:store", "--delete-volumes")
    assert "Deleting PersistentVolumeClaim data-store-0" in again.stderr
    assert "These volumes" not in again.stderr
    assert not core.list_namespaced_persistent_volume_claim(ns).items
    assert "No resources to undeploy" in app.run("undeploy:store").stderr
