"""Can the cluster provision a service's volumes? Checked before anything of the service is
applied (HyScale's VolumeValidator), so a spec naming a storage class the cluster does not have
fails at once, with the classes it does have, instead of a rollout that waits on a Pending claim
and a StatefulSet left half-deployed.

The claims are read from the manifests (a StatefulSet's ``volumeClaimTemplates``, and any
PersistentVolumeClaim a k8s snippet adds), so a snippet that sets ``storageClassName`` is judged
as it will be applied. One listing of the cluster's StorageClasses, only for services with
volumes. Unlike HyScale, two default classes are not an error: since Kubernetes 1.26 the newest
default one is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hyscale_tasks.cluster.client import ClusterError
from hyscale_tasks.cluster.reads import ReadRefusedError, Reads

STORAGE_CLASSES = "/apis/storage.k8s.io/v1/storageclasses"
DEFAULT_CLASS = ("storageclass.kubernetes.io/is-default-class",
                 "storageclass.beta.kubernetes.io/is-default-class")
FORBIDDEN = 403


def claims(manifests: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(volume name, storage class or None for the default) of every claim the manifests make."""
    found: list[tuple[str, str | None]] = []
    for manifest in manifests:
        kind = manifest.get("kind")
        templates = ((manifest.get("spec") or {}).get("volumeClaimTemplates") or []
                     if kind == "StatefulSet" else [manifest] if kind == "PersistentVolumeClaim"
                     else [])
        for claim in templates:
            name = str((claim.get("metadata") or {}).get("name") or "")
            storage_class = (claim.get("spec") or {}).get("storageClassName")
            found.append((name, None if storage_class is None else str(storage_class)))
    return found


def is_default(storage_class: dict[str, Any]) -> bool:
    annotations = (storage_class.get("metadata") or {}).get("annotations") or {}
    return any(str(annotations.get(key, "")).lower() == "true" for key in DEFAULT_CLASS)


def problem(service: str, wanted: list[tuple[str, str | None]],
            classes: list[dict[str, Any]]) -> str | None:
    """HyScale's message (and our fix) when ``classes`` (the cluster's StorageClasses) cannot
    provision the ``wanted`` claims; None when they can."""
    found = _unprovisioned(service, wanted, classes)
    return str(found) if found is not None else None


def _unprovisioned(service: str, wanted: list[tuple[str, str | None]],
                   classes: list[dict[str, Any]]) -> ClusterError | None:
    names = sorted(str((c.get("metadata") or {}).get("name")) for c in classes)
    allowed = ", ".join(names)
    if not classes:
        return ClusterError("Volume validation failed. Error No storage class defined in your "
                            "kubernetes cluster. Please contact your cluster administrator",
                            f"the volumes of {service} need a StorageClass to provision them: "
                            "ask your cluster administrator for one (kind and minikube come with "
                            "'standard'), then deploy again.")
    unknown = sorted({c for _, c in wanted if c and c not in names})
    if unknown:
        volumes = ", ".join(v for v, c in wanted if c in unknown)
        return ClusterError(f"Volume validation failed. Error Storage class "
                            f"{', '.join(unknown)} in your hspec is found to be invalid , allowed "
                            f"values from your cluster are [{allowed}]",
                            f"set storageClass of volume {volumes} in {service}'s spec (or its "
                            f"profile) to one of: {allowed}; or leave it out to use the cluster's "
                            "default class.")
    plain = [volume for volume, storage_class in wanted if storage_class is None]
    if plain and not any(is_default(c) for c in classes):
        return ClusterError("Volume validation failed. Error Missing default storage class from "
                            "the cluster so kindly define storage class in your hspec volumes "
                            f"[{', '.join(plain)}] , allowed values are : [{allowed}]",
                            f"set storageClass of volume {', '.join(plain)} in {service}'s spec "
                            f"to one of: {allowed} (the cluster has no default StorageClass).")
    return None


def check_storage(reads: Reads, service: str, manifests: list[dict[str, Any]],
                  warn: Callable[[str], None]) -> None:
    """Raise :class:`ClusterError` before any apply when the service's volumes cannot be
    provisioned."""
    wanted = claims(manifests)
    if not wanted:
        return
    try:
        classes = reads.items(STORAGE_CLASSES, "list the cluster's StorageClasses")
    except ReadRefusedError as exc:
        if exc.status != FORBIDDEN:
            raise
        # A user bound to a namespace may not list cluster-wide objects; the rollout wait
        # still names a claim that stays Pending.
        warn(f"The storage classes of {service}'s volumes are not checked: this user may not "
             "list StorageClasses (HTTP 403).")
        return
    found = _unprovisioned(service, wanted, [dict(c) for c in classes])
    if found is not None:
        raise found
