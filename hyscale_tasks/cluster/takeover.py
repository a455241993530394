"""Taking over objects that versions before server-side apply applied.

Those versions patched objects from a copy of the manifest kept in the annotation
``hyscale.io/last-applied-configuration``, and the API server recorded the fields they set as
owned by the client library's name (``OpenAPI-Generator``, from its User-Agent). Server-side
apply only removes fields its own field manager set, so before the first apply such an object's
fields are handed to the tool's field manager (what ``kubectl``'s client-side to server-side
upgrade does) and the annotation goes: the next apply then removes what the spec no longer sets,
and no manifest data stays in annotations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hyscale_tasks.labels import LAST_APPLIED

LEGACY_MANAGERS = frozenset({"OpenAPI-Generator"})
_ANNOTATION_FIELD = "f:" + LAST_APPLIED


def takeover_patch(live: dict[str, Any], manager: str) -> list[dict[str, Any]]:
    """A JSON patch, guarded by the object's resourceVersion, that gives ``manager`` (as an
    Apply) every field the legacy manager owned and removes the legacy annotation."""
    metadata = live.get("metadata") or {}
    entries = list(metadata.get("managedFields") or [])
    legacy = [e for e in entries
              if e.get("manager") in LEGACY_MANAGERS and e.get("operation") == "Update"]
    ours = [e for e in entries if e.get("manager") == manager and e.get("operation") == "Apply"]
    fields: dict[str, Any] = {}
    for entry in legacy + ours:
        fields = _union(fields, entry.get("fieldsV1") or {})
    annotations = (fields.get("f:metadata") or {}).get("f:annotations")
    if isinstance(annotations, dict):
        annotations.pop(_ANNOTATION_FIELD, None)
    kept = [e for e in entries if e not in legacy and e not in ours]
    entry = {"manager": manager, "operation": "Apply", "apiVersion": live.get("apiVersion"),
             "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "fieldsType": "FieldsV1", "fieldsV1": fields}
    return [{"op": "test", "path": "/metadata/resourceVersion",
             "value": metadata.get("resourceVersion")},
            {"op": "replace", "path": "/metadata/managedFields", "value": [*kept, entry]},
            {"op": "remove", "path": "/metadata/annotations/" + LAST_APPLIED.replace("/", "~1")}]


def _union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two field sets (FieldsV1 tries) as one."""
    merged = dict(a)
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _union(merged[key], value)
        else:
            merged.setdefault(key, value)
    return merged
