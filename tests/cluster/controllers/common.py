"""Helpers shared by the controllers: owner references, pod-template hashes, pod readiness, conditions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..clock import age_seconds, stamp
from ..kubelet import pod_ready

if TYPE_CHECKING:
    from ..api import Api
    from ..events import EventRecorder
    from ..kubelet import Kubelet
    from ..store import Change

Obj = dict[str, Any]
Key = tuple[str, ...]
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


@dataclass
class ControllerContext:
    api: Api
    kubelet: Kubelet
    recorders: dict[str, EventRecorder]

    def recorder(self, component: str) -> EventRecorder:
        from ..events import EventRecorder

        if component not in self.recorders:
            host = self.kubelet.node_name if component == "kubelet" else None
            self.recorders[component] = EventRecorder(self.api, component, host)
        return self.recorders[component]


class Controller:
    """Level-triggered: ``keys_for`` maps a change to the keys to reconcile, ``sync`` reconciles one key
    from the current state of the store (never from the change itself)."""

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.api = ctx.api

    def keys_for(self, change: Change) -> Iterable[Key]:
        return ()

    def sync(self, key: Key) -> None:
        raise NotImplementedError

    def resync(self) -> Iterable[Key]:
        """Keys to reconcile periodically (time-based conditions), about once a second."""
        return ()

    def start(self) -> None:
        """Called once from the manager thread before the first change."""


def controller_ref(obj: Obj) -> Obj | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def owner_ref(owner: Obj) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned(objs: Iterable[Obj], owner_uid: str) -> list[Obj]:
    return [o for o in objs if (controller_ref(o) or {}).get("uid") == owner_uid]


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def template_hash(template: Obj, collision_count: int = 0) -> str:
    """A pod-template hash shaped like the controller's (``SafeEncodeString`` of an FNV-32a)."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return "".join(ALPHANUMS[ord(ch) % len(ALPHANUMS)] for ch in str(fnv32a(data)))


def pod_active(pod: Obj) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get("phase") not in (
        "Succeeded",
        "Failed",
    )


def pod_available(pod: Obj, min_ready_seconds: int = 0) -> bool:
    if not pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    ready = next(c for c in pod["status"]["conditions"] if c.get("type") == "Ready")
    return age_seconds(ready.get("lastTransitionTime")) >= min_ready_seconds


def set_condition(
    status: Obj, type_: str, value: str, reason: str, message: str, update_time: bool = True
) -> None:
    """Set a workload condition; lastTransitionTime moves only when the status flips."""
    conditions: list[Obj] = status.setdefault("conditions", [])
    at = stamp()
    old = next((c for c in conditions if c.get("type") == type_), None)
    new: Obj = {"type": type_, "status": value}
    if update_time:
        same = old is not None and old.get("reason") == reason and old.get("message") == message
        new["lastUpdateTime"] = old.get("lastUpdateTime", at) if same and old else at
    new["lastTransitionTime"] = old["lastTransitionTime"] if old and old.get("status") == value else at
    new["reason"] = reason
    new["message"] = message
    if old is None:
        conditions.append(new)
    else:
        conditions[conditions.index(old)] = new


def strip_zero(status: Obj, *keys: str) -> Obj:
    """Drop ``omitempty`` counters that are 0, as the Go JSON encoder does."""
    for key in keys:
        if status.get(key) == 0:
            del status[key]
    return status
