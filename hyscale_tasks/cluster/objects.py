"""What the tool writes on every object it applies, and the order it applies them in.

Each object carries, besides HyScale's own annotations, the digest of the manifest it came from
(``hyscale.io/manifest-digest``), and the deploy record keeps the version the object had once
applied (:func:`object_version`): checking that the cluster still holds what was deployed needs
no diff, only a listing. No manifest data goes into annotations: the API server keeps track of
the fields the tool set (server-side apply), so a ConfigMap may use the whole 1 MiB Kubernetes
allows.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from hyscale_tasks.labels import LAST_APPLIED, LAST_UPDATED, MANIFEST_DIGEST

WORKLOAD_KINDS = ("Deployment", "StatefulSet")

# Dependencies first: what pods mount or read exists before the pods; what routes to pods after.
_ORDER = ["PullSecret", "ConfigMap", "Secret", "PersistentVolumeClaim", "StatefulSet",
          "Deployment", "Service", "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy"]


@dataclass(frozen=True)
class ObjectRef:
    """One applied object, as recorded after a deploy; ``version`` is :func:`object_version` of
    the object as the apply left it; ``shared``: the app's services share it (the pull secret),
    so no service prunes it."""

    kind: str
    api_version: str
    name: str
    digest: str
    version: str = ""
    shared: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "apiVersion": self.api_version,
                                "name": self.name, "digest": self.digest, "version": self.version}
        if self.shared:
            data["shared"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ObjectRef:
        return cls(str(data["kind"]), str(data["apiVersion"]), str(data["name"]),
                   str(data.get("digest", "")), str(data.get("version", "")),
                   bool(data.get("shared", False)))


def object_version(live: dict[str, Any]) -> str:
    """What changes when someone changes the object, and nothing else: its generation where the
    API server keeps one (Deployments, StatefulSets...: their status and controller annotations
    change all the time), else a digest of its content without status and bookkeeping
    (ConfigMaps, Secrets, Services: an edit of data, spec, labels or annotations changes it, a
    load balancer's address in the status does not)."""
    metadata = live.get("metadata") or {}
    # The last-updated time says when, not what: deploys of several services that share an
    # object (the pull Secret), run at once, may each stamp it a second apart with the same
    # content, and that must not make every one of them but the last see drift.
    annotations = {key: value for key, value in (metadata.get("annotations") or {}).items()
                   if key != LAST_UPDATED}
    generation = metadata.get("generation")
    if generation:
        # The generation moves with the spec only; labels and annotations are the tool's too.
        marks = {"labels": metadata.get("labels") or {},
                 "annotations": {key: value for key, value in annotations.items()
                                 if not key.startswith(_CONTROLLER_ANNOTATIONS)}}
        text = json.dumps(marks, sort_keys=True, separators=(",", ":"))
        return f"generation {generation} sha256:" + hashlib.sha256(text.encode()).hexdigest()
    content = {key: value for key, value in live.items()
               if key not in ("status", "kind", "apiVersion", "metadata")}
    content["metadata"] = {key: value for key, value in metadata.items()
                           if key not in _BOOKKEEPING}
    content["metadata"]["annotations"] = annotations
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return "content sha256:" + hashlib.sha256(text.encode()).hexdigest()


# Metadata the API server rewrites on every write, whatever changed.
_BOOKKEEPING = frozenset({"resourceVersion", "managedFields", "generation"})
# Annotations controllers write on the workloads as they roll (the Deployment's revision).
_CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/",)


def manifest_digest(manifest: dict[str, Any]) -> str:
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def service_digest(manifests: list[dict[str, Any]]) -> str:
    """One digest for a service's whole set of manifests (carried by its workload)."""
    return "sha256:" + hashlib.sha256(
        "\n".join(sorted(manifest_digest(m) for m in manifests)).encode()).hexdigest()


def is_pull_secret(manifest: dict[str, Any]) -> bool:
    return manifest.get("kind") == "Secret" and \
        manifest.get("type") == "kubernetes.io/dockerconfigjson"


def apply_order(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def rank(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        index, manifest = item
        kind = "PullSecret" if is_pull_secret(manifest) else str(manifest.get("kind"))
        return (_ORDER.index(kind) if kind in _ORDER else len(_ORDER), index)
    return [manifest for _, manifest in sorted(enumerate(manifests), key=rank)]


def applied_kinds(manifests: list[dict[str, Any]]) -> str:
    """HyScale's applied-kinds annotation: a Java list string of ``Kind:apiVersion``."""
    seen = dict.fromkeys(f"{m['kind']}:{m['apiVersion']}" for m in manifests)
    return "[" + ", ".join(seen) + "]"


def annotated(manifest: dict[str, Any], *, digest: str, extra: dict[str, str]) -> dict[str, Any]:
    """The object as sent: the manifest plus the tool's annotations."""
    body = copy.deepcopy(manifest)
    annotations = body.setdefault("metadata", {}).setdefault("annotations", {})
    annotations.update(extra)
    annotations[MANIFEST_DIGEST] = digest
    return body


def legacy_applied(live: dict[str, Any]) -> bool:
    """Applied by a version of the tool before server-side apply (it kept the manifest in the
    ``hyscale.io/last-applied-configuration`` annotation)."""
    return LAST_APPLIED in ((live.get("metadata") or {}).get("annotations") or {})
