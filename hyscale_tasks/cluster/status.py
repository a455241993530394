"""Service and app status (HyScale §7.5), with the troubleshooter's message; their tables
(§1.6) are laid out by cluster/tables.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.address import service_address
from hyscale_tasks.cluster.client import Cluster
from hyscale_tasks.cluster.diagnose import diagnose, not_deployed
from hyscale_tasks.cluster.pods import list_pods, selector
from hyscale_tasks.cluster.reads import WORKLOAD_PATHS, Live, Reads
from hyscale_tasks.cluster.tables import ServiceStatus
from hyscale_tasks.cluster.wait import rolled_out
from hyscale_tasks.labels import APP_LABEL, ENV_LABEL, SERVICE_LABEL, SERVICE_SPEC_ANNOTATION
from hyscale_tasks.spec.model import ServiceSpec, service_from_record

RUNNING, NOT_RUNNING, NOT_DEPLOYED, FAILED, SCALING_DOWN = (
    "Running", "Not Running", "Not Deployed", "Failed", "Scaling Down")
SYSTEM_NAMESPACES = {"kube-system", "kube-public", "kube-node-lease"}


def find_workload(api: client.ApiClient, namespace: str, app: str, service: str) -> Live | None:
    reads = Reads(api)
    for kind, path in WORKLOAD_PATHS.items():
        items = reads.items(path, f"find the workload of {service}",
                            [("labelSelector", selector(app, service))], namespace=namespace)
        if items:
            items[0]["kind"] = kind  # (a list's items do not say their kind)
            return items[0]
    return None


def age(created: datetime | None) -> str:
    """PrettyTime's social form, as HyScale prints it: ``3 minutes ago``."""
    if created is None:
        return ""
    seconds = int((datetime.now(UTC) - created).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "moments ago"


def _spec_of(workload: Any) -> ServiceSpec | None:
    text = (workload.metadata.annotations or {}).get(SERVICE_SPEC_ANNOTATION)
    try:
        return service_from_record(json.loads(text), {}) if text else None
    except (ValueError, KeyError, TypeError):
        return None  # an annotation we cannot read does not stop the status


def state_of(workload: Any) -> str:
    spec, status = workload.spec, workload.status
    if status is None:
        return FAILED
    desired = spec.replicas if spec.replicas is not None else 1
    if desired == 0:
        return NOT_RUNNING
    if rolled_out(workload):
        return RUNNING
    return SCALING_DOWN if desired <= (status.ready_replicas or 0) else NOT_RUNNING


def service_status(cluster: Cluster, namespace: str, app: str, service: str) -> ServiceStatus:
    workload = find_workload(cluster.api, namespace, app, service)
    if workload is None:
        return ServiceStatus(service, NOT_DEPLOYED, "", "", "", str(not_deployed()), "0/0")
    state = state_of(workload)
    spec = _spec_of(workload)
    message = ""
    reads = Reads(cluster.api)
    if state not in (RUNNING, SCALING_DOWN):
        if (workload.spec.replicas or 0) == 0:
            message = "Service deployed in cluster with 0 replicas"
        else:
            message = str(diagnose(reads, namespace, spec, service,
                                   list_pods(reads, namespace, app, service)))
    address, url = "", ""
    if spec is not None:
        for line in service_address(cluster, namespace, app, spec, wait=False):
            if line.startswith("Service URL"):
                url = line.split(":", 1)[1].strip()
            elif line.startswith(("Service IP", "Service address")) and not address:
                address = line.split(":", 1)[1].strip()  # (the lines after it explain)
    desired = workload.spec.replicas if workload.spec.replicas is not None else 1
    ready = (workload.status.ready_replicas or 0) if workload.status else 0
    return ServiceStatus(service, state, age(workload.metadata.creation_timestamp), address, url,
                         message, f"{ready}/{desired}")


def app_services(cluster: Cluster, namespace: str, app: str) -> list[str]:
    reads = Reads(cluster.api)
    names: list[str] = []
    for path in WORKLOAD_PATHS.values():
        for item in reads.items(path, f"list the services of app {app}",
                                [("labelSelector", f"{APP_LABEL}={app}")], namespace=namespace):
            name = (item.metadata.labels or {}).get(SERVICE_LABEL)
            if name and name not in names:
                names.append(name)
    return sorted(names)


def list_apps(cluster: Cluster) -> list[tuple[str, str, str]]:
    """(application, environment, namespace) for every app in the cluster (HyScale §7.9)."""
    reads = Reads(cluster.api)
    found: dict[str, tuple[str, str, str]] = {}
    items = [item for kind in ("deployments", "statefulsets")
             for item in reads.items(f"/apis/apps/v1/{kind}", "list the apps in the cluster",
                                     [("labelSelector", APP_LABEL)])]
    for item in items:
        labels = item.metadata.labels or {}
        namespace = item.metadata.namespace
        if APP_LABEL in labels and namespace not in SYSTEM_NAMESPACES:
            found[namespace] = (labels[APP_LABEL], labels.get(ENV_LABEL, ""),
                                namespace)
    return sorted(found.values())
