"""PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch.

Strategic merge patch needs to know, for each list, whether it is merged by a key or replaced; in
Kubernetes that comes from the Go structs' ``patchStrategy``/``patchMergeKey`` tags. ``SCHEMAS`` holds
those tags for the kinds the stand-in serves (containers by name, ports by containerPort, env by
name, volumes by name, volumeMounts by mountPath, Service ports by port, conditions by type, ...).
Lists not listed there are replaced whole, as the apiserver does. The directives kubectl sends
(``$patch``, ``$retainKeys``, ``$setElementOrder/...``, ``$deleteFromPrimitiveList/...``) are honoured.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import jsonpatch
import jsonpointer

from .errors import ApiError, bad_request, unprocessable_patch

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH, STRATEGIC_PATCH)


# ----- JSON patch ------------------------------------------------------------------------------------


def apply_json_patch(doc: dict[str, Any], ops: Any) -> dict[str, Any]:
    """RFC 6902. A body that is not a list of operations is a 400; an operation that cannot be
    applied (failing ``test``, missing path) is a 422, as the apiserver answers."""
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    for op in ops:
        if op.get("op") not in ("add", "remove", "replace", "move", "copy", "test"):
            raise unprocessable_patch(f"Unexpected kind: {op.get('op')}")
        if "path" not in op:
            raise unprocessable_patch("missing path in patch operation")
    result: Any = doc
    for op in ops:  # one at a time, so an error names the operation that failed
        try:
            result = jsonpatch.JsonPatch([op]).apply(result, in_place=False)
        except jsonpatch.JsonPatchTestFailed:
            raise unprocessable_patch(f"testing value {op['path']} failed: test failed") from None
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
            raise unprocessable_patch(
                f"{op['op']} operation does not apply: doc is missing path: {op['path']}: missing value"
            ) from None
    if not isinstance(result, dict):
        raise unprocessable_patch("the patch replaced the whole object with a non-object")
    return result


# ----- JSON merge patch ------------------------------------------------------------------------------


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, everything else (lists too) replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


# ----- strategic merge patch -------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """How one field of a Go struct merges: its element schema and, for lists, the strategy."""

    schema: str | None = None  # schema name of the value (or of list elements)
    merge_key: str | None = None  # list of objects merged by this key
    primitive_merge: bool = False  # list of scalars merged as a set (finalizers)
    retain_keys: bool = False  # honours $retainKeys (union-type structs such as volumes)


_META = Field("ObjectMeta")
_TEMPLATE = Field("PodTemplateSpec")
_CONDITIONS = Field(None, merge_key="type")
_CONTAINERS = Field("Container", merge_key="name")

SCHEMAS: dict[str, dict[str, Field]] = {
    "Plain": {"metadata": _META},
    "ObjectMeta": {
        "finalizers": Field(primitive_merge=True),
        "ownerReferences": Field(merge_key="uid"),
    },
    "PodTemplateSpec": {"metadata": _META, "spec": Field("PodSpec")},
    "PodSpec": {
        "containers": _CONTAINERS,
        "initContainers": _CONTAINERS,
        "ephemeralContainers": _CONTAINERS,
        "volumes": Field("Volume", merge_key="name", retain_keys=True),
        "imagePullSecrets": Field(merge_key="name"),
        "hostAliases": Field(merge_key="ip"),
        "topologySpreadConstraints": Field(merge_key="topologyKey"),
        "resourceClaims": Field(merge_key="name", retain_keys=True),
        "schedulingGates": Field(merge_key="name"),
    },
    "Volume": {},
    "Container": {
        "ports": Field(merge_key="containerPort"),
        "env": Field(merge_key="name"),
        "volumeMounts": Field(merge_key="mountPath"),
        "volumeDevices": Field(merge_key="devicePath"),
    },
    "Pod": {"metadata": _META, "spec": Field("PodSpec"), "status": Field("PodStatus")},
    "PodStatus": {"conditions": _CONDITIONS},
    "Deployment": {"metadata": _META, "spec": Field("DeploymentSpec"), "status": Field("WorkloadStatus")},
    "DeploymentSpec": {"template": _TEMPLATE, "strategy": Field(retain_keys=True)},
    "StatefulSet": {"metadata": _META, "spec": Field("WorkloadSpec"), "status": Field("WorkloadStatus")},
    "ReplicaSet": {"metadata": _META, "spec": Field("WorkloadSpec"), "status": Field("WorkloadStatus")},
    "WorkloadSpec": {"template": _TEMPLATE},
    "WorkloadStatus": {"conditions": _CONDITIONS},
    "Service": {"metadata": _META, "spec": Field("ServiceSpec")},
    "ServiceSpec": {"ports": Field(merge_key="port")},
    "PersistentVolumeClaim": {"metadata": _META, "status": Field("WorkloadStatus")},
    "Namespace": {"metadata": _META, "status": Field("WorkloadStatus")},
    "Node": {"metadata": _META, "status": Field("NodeStatus")},
    "NodeStatus": {"conditions": _CONDITIONS, "addresses": Field(merge_key="type")},
}


def apply_strategic_merge_patch(doc: dict[str, Any], patch: Any, schema: str) -> dict[str, Any]:
    if not isinstance(patch, dict):
        raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
    result = _merge_map(copy.deepcopy(doc), patch, schema)
    if result is None:
        raise bad_request("the $patch: delete directive cannot delete the whole object")
    return result


def _fields(schema: str | None) -> dict[str, Field]:
    return SCHEMAS.get(schema or "", {})


def _merge_map(original: dict[str, Any], patch: dict[str, Any], schema: str | None) -> dict[str, Any] | None:
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        replaced: dict[str, Any] = _strip_directives({k: v for k, v in patch.items() if k != "$patch"})
        return replaced
    if directive not in (None, "merge"):
        raise bad_request(f"Unknown patch type: {directive}")
    fields = _fields(schema)
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value or []
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            if isinstance(original.get(name), list):
                original[name] = [v for v in original[name] if v not in (value or [])]
            continue
        spec = fields.get(key, Field())
        if value is None:
            original.pop(key, None)
        elif isinstance(value, dict) and isinstance(original.get(key), dict):
            merged = _merge_map(original[key], value, spec.schema)
            if merged is None:
                original.pop(key, None)
            else:
                original[key] = merged
        elif isinstance(value, list) and (spec.merge_key or spec.primitive_merge):
            original[key] = _merge_list(original.get(key) or [], value, spec)
        else:
            cleaned = _strip_directives(value)
            if cleaned is None:  # a new map that carries $patch: delete
                original.pop(key, None)
            else:
                original[key] = cleaned
    for key, order in orders.items():
        if isinstance(original.get(key), list):
            original[key] = _order(original[key], order, fields.get(key, Field()).merge_key)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        for key in [k for k in original if k not in retain]:
            del original[key]
    return original


def _merge_list(original: list[Any], patch: list[Any], spec: Field) -> list[Any]:
    if spec.primitive_merge:
        out = list(original)
        for v in patch:
            if v not in out:
                out.append(v)
        return out
    key = spec.merge_key
    assert key is not None
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [
            _strip_directives(i) for i in patch if not (isinstance(i, dict) and i.get("$patch") == "replace")
        ]
    out = [copy.deepcopy(i) for i in original]
    for item in patch:
        if not isinstance(item, dict):
            raise bad_request(f"unable to merge a non-object into a list merged by key {key!r}")
        if key not in item:
            raise bad_request(f"map: {item} does not contain declared merge key: {key}")
        index = next((i for i, o in enumerate(out) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            out = [o for o in out if not (isinstance(o, dict) and o.get(key) == item[key])]
        elif index is None:
            out.append(_strip_directives(item))
        else:
            merged = _merge_map(out[index], item, spec.schema)
            if merged is None:
                del out[index]
            else:
                out[index] = merged
    return out


def _order(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    """``$setElementOrder``: listed elements first, in the given order; the rest keep their order."""

    def ident(x: Any) -> Any:
        return x.get(key) if key and isinstance(x, dict) else x

    wanted = [ident(o) for o in order]
    listed = sorted((i for i in items if ident(i) in wanted), key=lambda i: wanted.index(ident(i)))
    return listed + [i for i in items if ident(i) not in wanted]


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("$patch") == "delete":
            return None
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value if not (isinstance(v, dict) and v.get("$patch"))]
    return value


def apply_patch(doc: dict[str, Any], content_type: str, body: Any, schema: str | None) -> dict[str, Any]:
    """Dispatch on the Content-Type; ``schema`` None means a custom resource (no strategic merge)."""
    if content_type == JSON_PATCH:
        return apply_json_patch(doc, body)
    if content_type == MERGE_PATCH:
        if not isinstance(body, dict):
            raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        merged: dict[str, Any] = apply_merge_patch(doc, body)
        return merged
    if content_type == STRATEGIC_PATCH and schema is not None:
        return apply_strategic_merge_patch(doc, body, schema)
    accepted = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] + ([STRATEGIC_PATCH] if schema else [])
    raise ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
        {},
    )
