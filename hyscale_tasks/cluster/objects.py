"""What the tool writes on every object it applies, and the order it applies them in.

Each object carries, besides HyScale's own annotations, the digest of the manifest it came from
(``hyscale.io/manifest-digest``): checking that the cluster is still in sync is then one read.
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
    """One applied object, as recorded after a deploy."""

    kind: str
    api_version: str
    name: str
    digest: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "apiVersion": self.api_version, "name": self.name,
                "digest": self.digest}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ObjectRef:
        return cls(str(data["kind"]), str(data["apiVersion"]), str(data["name"]),
                   str(data.get("digest", "")))


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


def last_applied(live: dict[str, Any]) -> dict[str, Any] | None:
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
