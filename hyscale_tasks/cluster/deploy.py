"""The ``deploy`` stage of one service: apply, wait for the rollout, diagnose, tell the address
(:mod:`~hyscale_tasks.cluster.address`).

The record (``state/deploy.json``, :class:`~hyscale_tasks.stage_records.DeployRecord`) lists
what was applied, each object with its manifest's digest and the version the apply left it at,
plus the namespace and kube context: checking later that the cluster is still in sync is one
listing per kind (:func:`~.insync.drift`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hyscale_tasks.cluster.address import service_address
from hyscale_tasks.cluster.apply import apply_service, dynamic, ensure_namespace
from hyscale_tasks.cluster.client import Cluster, ClusterError, connect
from hyscale_tasks.cluster.insync import forget_listings, remember_versions
from hyscale_tasks.cluster.objects import WORKLOAD_KINDS, ObjectRef, service_digest
from hyscale_tasks.cluster.pods import container_log, list_pods
from hyscale_tasks.cluster.reads import Reads
from hyscale_tasks.cluster.storage import check_storage
from hyscale_tasks.cluster.wait import read_workload, wait_for_rollout
from hyscale_tasks.errors import layout
from hyscale_tasks.files import write_if_changed
from hyscale_tasks.labels import APP_LABEL
from hyscale_tasks.spec.model import ServiceSpec
from hyscale_tasks.stage_records import DeployRecord, last_deploy, write_deploy

__all__ = ["run_deploy", "service_address"]
DEPLOY_LOG_LINES = 100
Report = Callable[[str], None]


def _workload(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    for manifest in manifests:
        if manifest.get("kind") in WORKLOAD_KINDS:
            return manifest
    raise ClusterError("The service has no Deployment or StatefulSet manifest to deploy")


def _previous(record: Path, namespace: str) -> list[ObjectRef]:
    data = last_deploy(record)
    if data is None:
        return []
    if data.get("namespace") != namespace:
        return []  # another namespace: nothing there to prune
    return [ObjectRef.from_json(item) for item in data.get("objects", [])]


def run_deploy(manifests: list[dict[str, Any]], rendered: dict[str, str], namespace: str,
               app: str, service: ServiceSpec, record: Path, log_path: Path,
               report: Report, warn: Report) -> None:
    """``rendered`` maps each manifest file to its sha256: recorded, so that checking later that
    the manifests are still the deployed ones reads no YAML."""
    cluster = connect()
    # Before anything of the service is written, the namespace included: nothing half-deployed.
    check_storage(Reads(cluster.api), service.name, manifests, warn)
    forget_listings()  # what this process listed for in-sync checks is stale once we write
    dyn = dynamic(cluster)
    ensure_namespace(dyn, namespace, report)
    applied = apply_service(dyn, namespace, manifests, _previous(record, namespace), report)
    workload = _workload(manifests)
    kind, name = workload["kind"], workload["metadata"]["name"]
    entry: DeployRecord = {
        "namespace": namespace, "context": cluster.context, "app": app,
        "appLabel": ((workload.get("metadata") or {}).get("labels") or {}).get(APP_LABEL, ""),
        "objects": [ref.to_json() for ref in applied],
        "serviceDigest": service_digest(manifests),
        "rendered": rendered,
        "workload": {"kind": kind, "apiVersion": workload["apiVersion"], "name": name},
        "ready": False,
    }
    write_deploy(record, entry)  # what is applied is recorded even if the wait fails
    failure = wait_for_rollout(cluster.api, namespace, app, kind, name, service, report)
    if failure is not None:
        log = _save_deploy_log(Reads(cluster.api), namespace, app, service.name, log_path,
                               failure)
        tail = "\n".join(f"    {line}" for line in log.splitlines()[-15:])
        shown = f"  last lines of {failure.container or service.name}'s log:\n{tail}" if tail else ""
        raise ClusterError(f"Deployment of {service.name} failed: {failure.reason}.",
                           failure.fix or f"see {log_path}", shown)
    entry["ready"] = True
    write_deploy(record, entry)
    # The user waits for the address, not for the log: the log (a pod listing and a read the
    # API server passes on to the kubelet) is saved in a thread while the address is read.
    # Should the address fail, that error is the one reported.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="deploy-log") as saving:
        saved = saving.submit(_save_deploy_log, Reads(cluster.api), namespace, app,
                              service.name, log_path, None)
        _tell_address(cluster, namespace, app, service, workload, record, report, warn)
        saved.result()


def _tell_address(cluster: Cluster, namespace: str, app: str, service: ServiceSpec,
                  workload: dict[str, Any], record: Path, report: Report, warn: Report) -> None:
    name = workload["metadata"]["name"]
    if _scaled_to_nothing(cluster, namespace, workload):
        warn(layout(f"{name} runs no pods: its replicas were set to 0 in the cluster (a scale), "
                    "and the spec sets no replicas, so the deploy keeps that count (as HyScale "
                    "does).", f"hyscale scale service -s {name} -a {app} -n {namespace} --to 1, "
                    "or set replicas in the spec."))
        return
    for line in service_address(cluster, namespace, app, service, wait=True):
        report(line)
    if service.external and service.load_balancer is None:
        # The cloud wrote the load balancer's address into the Service after the apply: that
        # is the version a later check must expect.
        remember_versions(record, cluster, namespace, [("Service", service.name)])


def _scaled_to_nothing(cluster: Cluster, namespace: str, workload: dict[str, Any]) -> bool:
    """A spec without replicas leaves the count to the cluster; is it 0 there?"""
    if "replicas" in (workload.get("spec") or {}):
        return False
    live = read_workload(Reads(cluster.api), workload["kind"], namespace,
                         workload["metadata"]["name"])
    return live.spec is not None and live.spec.replicas == 0


def _save_deploy_log(reads: Reads, namespace: str, app: str, name: str, path: Path,
                     failure: Any) -> str:
    pods = list_pods(reads, namespace, app, name)
    chosen = next((p for p in pods if failure is not None and p.metadata.name == failure.pod),
                  pods[0] if pods else None)
    if chosen is None:
        return ""
    container = failure.container if failure is not None and failure.container else name
    text = container_log(reads, namespace, chosen.metadata.name, container, DEPLOY_LOG_LINES)
    if not text.strip():
        text = container_log(reads, namespace, chosen.metadata.name, container, DEPLOY_LOG_LINES,
                             previous=True)
    write_if_changed(path, text)
    return text
