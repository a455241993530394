"""What the tool writes on every object it applies, and the order it applies them in.

Each object carries, besides HyScale's own annotations, the digest of the manifest it came from
(``hyscale.io/manifest-digest``), and the deploy record keeps the version the object had once
applied (:func:`object_version`): checking that the cluster still holds what was deployed needs
no diff, only a listing.
The last-applied configuration of a Secret records digests of its values, never the values.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

LAST_APPLIED = "hyscale.io/last-applied-configuration"
MANIFEST_DIGEST = "hyscale.io/manifest-digest"
SERVICE_DIGEST = "hyscale.io/service-manifests-digest"
APPLIED_KINDS = "hyscale.io/applied-kinds"
LAST_UPDATED = "hyscale.io/last-updated-at"
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
    generation = metadata.get("generation")
    if generation:
        return f"generation {generation}"
    content = {key: value for key, value in live.items()
               if key not in ("status", "kind", "apiVersion", "metadata")}
    content["metadata"] = {key: value for key, value in metadata.items()
                           if key not in _BOOKKEEPING}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return "content sha256:" + hashlib.sha256(text.encode()).hexdigest()


# Metadata the API server rewrites on every write, whatever changed.
_BOOKKEEPING = frozenset({"resourceVersion", "managedFields", "generation"})


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


def redacted(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as it may be shown: Secret values replaced by their digests."""
    if manifest.get("kind") != "Secret":
        return manifest
    shown = copy.deepcopy(manifest)
    for field in ("data", "stringData"):
        values = shown.get(field)
        if isinstance(values, dict):
            shown[field] = {key: "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
                            for key, value in values.items()}
    return shown


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
    shown = redacted(body)
    annotations[LAST_APPLIED] = json.dumps(shown, sort_keys=True)
    return body


def without_stamp(body: dict[str, Any]) -> dict[str, Any]:
    """The object without its last-updated time (also inside its last-applied configuration):
    what to compare to tell whether applying it would change anything."""
    annotations = (body.get("metadata") or {}).get("annotations")
    if not isinstance(annotations, dict) or LAST_UPDATED not in annotations:
        return body
    stripped = copy.deepcopy(body)
    kept = stripped["metadata"]["annotations"]
    del kept[LAST_UPDATED]
    last = last_applied(stripped)
    if last is not None:
        ((last.get("metadata") or {}).get("annotations") or {}).pop(LAST_UPDATED, None)
        kept[LAST_APPLIED] = json.dumps(last, sort_keys=True)
    return stripped


def last_applied(live: dict[str, Any]) -> dict[str, Any] | None:
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
