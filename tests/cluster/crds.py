"""CustomResourceDefinitions: the resource types a CRD adds, and the status the apiserver gives it."""

from __future__ import annotations

from typing import Any

from .clock import stamp
from .resources import ResourceType


def crd_types(crd: dict[str, Any]) -> list[ResourceType]:
    spec = crd["spec"]
    names = spec["names"]
    types = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        subresources = tuple(k for k in ("status", "scale") if k in (version.get("subresources") or {}))
        types.append(
            ResourceType(
                group=spec["group"],
                version=version["name"],
                kind=names["kind"],
                plural=names["plural"],
                namespaced=spec.get("scope") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=subresources,
                generation=True,
                patch_schema=None,
                builtin=False,
                singular_override=names.get("singular") or names["kind"].lower(),
            )
        )
    return types


def crd_status(crd: dict[str, Any]) -> dict[str, Any]:
    at = stamp()
    names = dict(crd["spec"]["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    return {
        "acceptedNames": names,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
                "lastTransitionTime": at,
            },
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
                "lastTransitionTime": at,
            },
        ],
        "storedVersions": [v["name"] for v in crd["spec"].get("versions") or [] if v.get("storage")],
    }
