"""Which pods of a service run its current revision: the label that says so, read once.

A Deployment's pods carry the ``pod-template-hash`` of their ReplicaSet, and the ReplicaSet of
the current revision is the one whose ``deployment.kubernetes.io/revision`` annotation is the
Deployment's; a StatefulSet's carry the ``controller-revision-hash`` of its ``updateRevision``.
The dev loop follows the logs of, and forwards a port to, these pods only: after a rollout, the
old ReplicaSet's pods are leaving and say nothing about the new code.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.pods import TEMPLATE_HASH, newest_replica_set, selector
from hyscale_tasks.cluster.reads import Reads
from hyscale_tasks.cluster.status import find_workload

STATEFUL_REVISION = "controller-revision-hash"


def current_selector(api: client.ApiClient, namespace: str, app: str, service: str) -> str:
    """The label selector of the service's current pods (all of its pods when the revision
    cannot be told yet, or the service is not deployed)."""
    base = selector(app, service)
    workload = find_workload(api, namespace, app, service)
    if workload is None:
        return base
    if workload.kind == "StatefulSet":
        revision = workload.status.update_revision if workload.status else None
        return f"{base},{STATEFUL_REVISION}={revision}" if revision else base
    template_hash = _template_hash(api, namespace, app, service, workload)
    return f"{base},{TEMPLATE_HASH}={template_hash}" if template_hash else base


def _template_hash(api: client.ApiClient, namespace: str, app: str, service: str,
                   workload: Any) -> str | None:
    newest = newest_replica_set(Reads(api), namespace, app, service, workload)
    value = (newest.metadata.labels or {}).get(TEMPLATE_HASH) if newest is not None else None
    return str(value) if value else None
