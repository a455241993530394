"""Operations on a deployed service: logs, undeploy, scale (HyScale §7.7, §7.8, §7.10)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from kubernetes import client
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from hyscale_tasks.cluster.apply import delete_object, dynamic
from hyscale_tasks.cluster.client import Cluster, ClusterError, api_errors
from hyscale_tasks.cluster.objects import ObjectRef
from hyscale_tasks.cluster.operation_checks import ZERO_REPLICAS, scale_problem
from hyscale_tasks.cluster.pods import aggregated_status, list_pods, selector
from hyscale_tasks.cluster.reads import WORKLOAD_PATHS, Reads
from hyscale_tasks.cluster.status import age, find_workload, state_of
from hyscale_tasks.files import write_if_changed
from hyscale_tasks.labels import APP_LABEL, APPLIED_KINDS, VOLUME_LABEL
from hyscale_tasks.lines import say

Report = Callable[[str], None]
SCALE_TIMEOUT = 120


def _not_deployed(namespace: str, app: str, service: str) -> ClusterError:
    return ClusterError(f"{service} is not deployed in namespace {namespace} under app {app}",
                        f"deploy it first (doit app={app} deploy:{service}), or check the "
                        "namespace and kube context.")


def service_logs(cluster: Cluster, namespace: str, app: str, service: str, lines: int,
                 follow: bool, replica: str | None, save_to: Path, out: TextIO = sys.stdout) -> None:
    """The service container's log of one replica; saved to ``save_to`` unless following."""
    reads = Reads(cluster.api)
    pods = [p for p in list_pods(reads, namespace, app, service) if not p.metadata.deletion_timestamp]
    if replica is not None:
        chosen = next((p for p in pods if p.metadata.name == replica), None)
        if chosen is None:
            names = ", ".join(p.metadata.name for p in pods) or "none"
            raise ClusterError(f'Cannot find replica "{replica}". Available replicas {names}')
    elif not pods:
        if find_workload(cluster.api, namespace, app, service) is None:
            raise ClusterError("Service is not created. Check service status for more information")
        raise ClusterError(ZERO_REPLICAS)
    else:
        chosen = max(pods, key=lambda p: str(p.metadata.creation_timestamp or ""))
    name = chosen.metadata.name
    say(f"Service Logs from {name}")
    if follow:
        with api_errors(f"read the log of {name}"):
            stream: Any = client.CoreV1Api(cluster.api).read_namespaced_pod_log(
                name, namespace, container=service, follow=True, tail_lines=lines,
                _preload_content=False, _request_timeout=(10, 7200))
            for chunk in stream.stream():
                out.write(chunk.decode("utf-8", "replace"))
                out.flush()
        return
    text = reads.text("/api/v1/namespaces/{namespace}/pods/{name}/log",
                      f"read the log of {name}", [("container", service), ("tailLines", str(lines))],
                      namespace=namespace, name=name)
    write_if_changed(save_to, text)
    out.write(text)


def replica_status(cluster: Cluster, namespace: str, app: str, service: str) -> list[list[str]]:
    return [[p.metadata.name, aggregated_status(p),
             age(p.status.start_time if p.status else None)]
            for p in list_pods(Reads(cluster.api), namespace, app, service)]


def undeploy_service(cluster: Cluster, namespace: str, app: str, service: str,
                     report: Report, keep_volumes: bool = True) -> int:
    """Delete everything the service applied (its applied kinds, by its labels); the volume
    claims stay unless asked, and the ones that stay are named with how to delete them (as
    HyScale does). Returns how many objects were deleted."""
    workload = find_workload(cluster.api, namespace, app, service)
    kinds = _applied_kinds(workload) if workload is not None else []
    claims = _claims(cluster, namespace, app, service)
    if not keep_volumes and claims:
        # also once the workload is gone: `undeploy --delete-volumes` after a plain undeploy
        # removes the claims it left
        kinds.append(("PersistentVolumeClaim", "v1"))
    if not kinds:
        report("No resources to undeploy")
        if claims:
            report(retained_claims(namespace, service, claims))
        return 0
    dyn = dynamic(cluster)
    deleted = 0
    for kind, api_version in kinds:
        try:
            with api_errors(f"find {kind} ({api_version}) in the API discovery"):
                resource = dyn.resources.get(api_version=api_version, kind=kind)
        except (ResourceNotFoundError, NotFoundError):
            continue  # a kind the cluster no longer serves holds nothing left to delete
        with api_errors(f"list {kind} of {service}"):
            items = resource.get(namespace=namespace, label_selector=selector(app, service)).items
        for item in items:
            report(f"Deleting {kind} {item.metadata.name}")
            if delete_object(dyn, ObjectRef(kind, api_version, item.metadata.name, ""), namespace):
                deleted += 1
    if keep_volumes and claims:
        report(retained_claims(namespace, service, claims))
    return deleted


def _claims(cluster: Cluster, namespace: str, app: str, service: str) -> list[Any]:
    """The service's volume claims that are not being deleted."""
    return [claim for claim in Reads(cluster.api).items(
        "/api/v1/namespaces/{namespace}/persistentvolumeclaims",
        f"list the volume claims of {service}", [("labelSelector", selector(app, service))],
        namespace=namespace) if not claim.metadata.deletion_timestamp]


def retained_claims(namespace: str, service: str, claims: list[Any]) -> str:
    """HyScale's message about the claims an undeploy leaves, and how to delete them."""
    names = sorted(str(claim.metadata.name) for claim in claims)
    volumes = sorted({str((claim.metadata.labels or {}).get(VOLUME_LABEL) or claim.metadata.name)
                      for claim in claims})
    return (f"These volumes [{', '.join(volumes)}] are no longer in use. They are retained in "
            f"your namespace {namespace} as pvc [{', '.join(names)}] for review and manual "
            f"deletion. To reattach them to service {service}, use the same volume name.\n"
            f"  to delete them (and their data): kubectl delete pvc -n {namespace} "
            f"{' '.join(names)}, or undeploy {service} again with --delete-volumes")


def _applied_kinds(workload: Any) -> list[tuple[str, str]]:
    text = (workload.metadata.annotations or {}).get(APPLIED_KINDS, "")
    pairs = []
    for item in text.strip("[]").split(","):
        kind, _, api_version = item.strip().partition(":")
        if kind and api_version and kind != "PersistentVolumeClaim":
            pairs.append((kind, api_version))
    workload_kind = (workload.kind, "apps/v1")
    # The workload last: deleting it first would orphan nothing, but its pods would restart.
    return [pair for pair in pairs if pair != workload_kind] + [workload_kind]


def undeploy_app(cluster: Cluster, namespace: str, app: str, services: list[str],
                 report: Report, keep_volumes: bool = True) -> int:
    """Undeploy every service, then the image pull secrets they used that nothing else in the
    namespace pulls with: the secret is named after the registry and shared by every app of the
    namespace that uses it."""
    used = _pull_secrets(cluster, namespace, f"{APP_LABEL}={app}")
    deleted = sum(undeploy_service(cluster, namespace, app, name, report, keep_volumes)
                  for name in services)
    still_used = _pull_secrets(cluster, namespace, None)
    dyn = dynamic(cluster)
    for name in sorted(used):
        if name in still_used:
            report(f"Keeping Secret {name}: other services in namespace {namespace} pull with it")
            continue
        report(f"Deleting Secret {name}")
        deleted += delete_object(dyn, ObjectRef("Secret", "v1", name, ""), namespace)
    return deleted


def _pull_secrets(cluster: Cluster, namespace: str, labels: str | None) -> set[str]:
    """The image pull secrets that the workloads and pods (those ``labels`` select, or all)
    of the namespace name."""
    reads = Reads(cluster.api)
    query = [("labelSelector", labels)] if labels else []
    doing = f"list the workloads in namespace {namespace}"
    templates = [w.spec.template for path in WORKLOAD_PATHS.values()
                 for w in reads.items(path, doing, query, namespace=namespace) if w.spec]
    pods = [p for p in reads.items("/api/v1/namespaces/{namespace}/pods", doing, query,
                                   namespace=namespace)
            if p.metadata and not p.metadata.deletion_timestamp]
    specs = [t.spec for t in templates if t.spec] + [p.spec for p in pods if p.spec]
    return {ref.name for spec in specs for ref in spec.image_pull_secrets or [] if ref.name}


def scale_service(cluster: Cluster, namespace: str, app: str, service: str, *, up: int | None,
                  down: int | None, to: int | None, report: Report) -> int:
    """Scale to a replica count, through the workload's scale subresource: the count is then the
    tool's own (field manager ``hyscale-tasks``), kept by later deploys of a spec that sets no
    ``replicas``, and put back to the spec's by a deploy of one that does (as HyScale does)."""
    problem = scale_problem(up, down, to)
    if problem is not None:
        raise ClusterError(problem)
    workload = find_workload(cluster.api, namespace, app, service)
    if workload is None:
        raise _not_deployed(namespace, app, service)
    current = workload.spec.replicas if workload.spec.replicas is not None else 1
    wanted = to if to is not None else current + (up or 0) - (down or 0)
    wanted = max(wanted, 0)
    _check_hpa(cluster, namespace, app, service, wanted, report)
    if current != wanted:
        apps = client.AppsV1Api(cluster.api)
        scale = {"spec": {"replicas": wanted}}
        with api_errors(f"scale {service}"):
            if workload.kind == "StatefulSet":
                apps.patch_namespaced_stateful_set_scale(service, namespace, scale)
            else:
                apps.patch_namespaced_deployment_scale(service, namespace, scale)
    report(f"Scaling {service} to {wanted} replica(s)")
    deadline = time.monotonic() + SCALE_TIMEOUT
    while time.monotonic() < deadline:
        workload = find_workload(cluster.api, namespace, app, service)
        if workload is not None and state_of(workload) in ("Running", "Not Running") and \
                (workload.status.ready_replicas or 0) == wanted and \
                (workload.status.replicas or 0) == wanted:
            return wanted
        time.sleep(1)
    raise ClusterError(f"Failed to scale {service} of application {app} in {namespace} namespace:"
                       f" Timedout while waiting for {service} to be scaled")


def _check_hpa(cluster: Cluster, namespace: str, app: str, service: str, wanted: int,
               report: Report) -> None:
    autoscaling = client.AutoscalingV2Api(cluster.api)
    with api_errors(f"read the autoscaler of {service}"):
        hpas = autoscaling.list_namespaced_horizontal_pod_autoscaler(
            namespace, label_selector=selector(app, service)).items
    for hpa in hpas:
        low, high = hpa.spec.min_replicas or 1, hpa.spec.max_replicas
        if wanted != 0 and not low <= wanted <= high:
            raise ClusterError(f"Operation involves scaling out of the autoscaling range "
                               f"[{low}-{high}] configured")
        report("HPA has been enabled on this service , so the requested scale operation may not "
               "result expected replicas. Check existing replicas using 'hyscale get replica "
               "status' command")
