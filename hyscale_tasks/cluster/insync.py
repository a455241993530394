"""Is a service still deployed as recorded? One read of its workload, nothing else.

Kept apart from the deploy code so that a no-op run imports only what this one read needs.
"""

from __future__ import annotations

from pathlib import Path

from hyscale_tasks.cluster.client import connect, get_json
from hyscale_tasks.cluster.objects import SERVICE_DIGEST
from hyscale_tasks.files import read_json

_PATHS = {"Deployment": "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
          "StatefulSet": "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}"}


def in_sync(record: Path, namespace: str, rendered: dict[str, str]) -> bool:
    """The workload is there, carries the digest of these manifests, and nobody changed its spec
    since (its generation is the one recorded after the apply)."""
    try:
        data = read_json(record)
    except (OSError, ValueError):
        return False
    if not data.get("ready") or data.get("namespace") != namespace or \
            data.get("rendered") != rendered:
        return False
    cluster = connect()
    if data.get("context") != cluster.context:
        return False
    workload = data["workload"]
    live = get_json(cluster, _PATHS[workload["kind"]], namespace=namespace, name=workload["name"])
    if live is None:
        return False
    metadata = live.get("metadata") or {}
    return bool((metadata.get("annotations") or {}).get(SERVICE_DIGEST) == data["serviceDigest"]
                and int(metadata.get("generation") or 0) == int(workload["generation"]))
