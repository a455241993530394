"""A one-node scheduler: binds pods to the kubelet's node, or says why not, as kube-scheduler does.

A pod stays Pending with ``PodScheduled=False/Unschedulable`` and a ``FailedScheduling`` event
(message in the real scheduler's words) when its PVC is missing or unbound, or when its requests do
not fit the node's allocatable resources next to the pods already there. Tests can shrink the node
by patching the Node's ``status.allocatable``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ..clock import stamp
from ..quantity import parse_quantity
from ..store import Change, Obj
from .common import Controller, Key, pod_active

PREEMPT_NOT_HELPFUL = "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
PREEMPT_NO_VICTIMS = "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."


def pod_requests(pod: Obj) -> dict[str, Decimal]:
    """Effective requests: the sum over containers, or the largest init container if that is more."""
    spec = pod.get("spec") or {}
    total: dict[str, Decimal] = {}
    for c in spec.get("containers") or []:
        for name, qty in ((c.get("resources") or {}).get("requests") or {}).items():
            total[name] = total.get(name, Decimal(0)) + (parse_quantity(qty) or Decimal(0))
    for c in spec.get("initContainers") or []:
        for name, qty in ((c.get("resources") or {}).get("requests") or {}).items():
            total[name] = max(total.get(name, Decimal(0)), parse_quantity(qty) or Decimal(0))
    return total


class Scheduler(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        if (
            change.key == ("", "pods")
            and change.type != "DELETED"
            and not (change.obj.get("spec") or {}).get("nodeName")
        ):
            yield (change.namespace, change.name)
        elif change.key in (("", "persistentvolumeclaims"), ("", "nodes")) or (
            change.key == ("", "pods") and change.type == "DELETED"
        ):
            yield from self._pending()

    def resync(self) -> Iterable[Key]:
        return self._pending()

    def _pending(self) -> list[Key]:
        return [
            (p["metadata"]["namespace"], p["metadata"]["name"])
            for p in self.api.store.select(("", "pods"))
            if not (p.get("spec") or {}).get("nodeName") and not p["metadata"].get("deletionTimestamp")
        ]

    def sync(self, key: Key) -> None:
        ns, name = key
        pod_rt = self.api.rt("v1", "Pod")
        pod = self.api.find(pod_rt, ns, name)
        if pod is None or pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            return
        pod = self.api.output(pod_rt, pod)
        node_name = self.ctx.kubelet.node_name
        reason = self._unschedulable(pod, node_name)
        recorder = self.ctx.recorder("default-scheduler")
        if reason is None:

            def bind(obj: Obj) -> None:  # the pods/binding subresource
                obj["spec"]["nodeName"] = node_name

            bound = self.api.mutate(pod_rt, ns, name, bind, system=True)
            if bound is None:
                return
            self._set_scheduled(ns, name, "True", None, None)
            recorder.record(bound, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node_name}")
            return
        old: Obj = next(
            (c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "PodScheduled"),
            {},
        )
        if old.get("message") != reason:
            self._set_scheduled(ns, name, "False", "Unschedulable", reason)
            recorder.record(pod, "Warning", "FailedScheduling", reason)

    def _set_scheduled(self, ns: str, name: str, value: str, reason: str | None, message: str | None) -> None:
        def put(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            conds = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            cond: Obj = {
                "type": "PodScheduled",
                "status": value,
                "lastProbeTime": None,
                "lastTransitionTime": stamp(),
            }
            if reason:
                cond["reason"] = reason
            if message:
                cond["message"] = message
            status["conditions"] = [*conds, cond]

        self.api.mutate(self.api.rt("v1", "Pod"), ns, name, put, subresource="status")

    def _unschedulable(self, pod: Obj, node_name: str) -> str | None:
        ns = pod["metadata"]["namespace"]
        pvc_rt = self.api.rt("v1", "PersistentVolumeClaim")
        for vol in pod["spec"].get("volumes") or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.api.find(pvc_rt, ns, claim)
            if pvc is None:
                why = f'persistentvolumeclaim "{claim}" not found'
                return f"0/1 nodes are available: {why}. {PREEMPT_NOT_HELPFUL}"
            if (pvc.get("status") or {}).get("phase") != "Bound":
                why = "pod has unbound immediate PersistentVolumeClaims"
                return f"0/1 nodes are available: {why}. {PREEMPT_NOT_HELPFUL}"
        node = self.api.find(self.api.rt("v1", "Node"), None, node_name)
        if node is None:
            return "no nodes available to schedule pods"
        allocatable = {
            k: parse_quantity(v) or Decimal(0)
            for k, v in ((node.get("status") or {}).get("allocatable") or {}).items()
        }
        on_node = [
            p
            for p in self.api.store.select(("", "pods"))
            if (p.get("spec") or {}).get("nodeName") == node_name and pod_active(p)
        ]
        used: dict[str, Decimal] = {}
        for p in on_node:
            for k, v in pod_requests(p).items():
                used[k] = used.get(k, Decimal(0)) + v
        missing = [
            name
            for name, want in sorted(pod_requests(pod).items())
            if name in allocatable and used.get(name, Decimal(0)) + want > allocatable[name]
        ]
        if "pods" in allocatable and len(on_node) + 1 > allocatable["pods"]:
            missing.append("pods")
        if missing:
            text = ", ".join("1 Too many pods" if m == "pods" else f"1 Insufficient {m}" for m in missing)
            return f"0/1 nodes are available: {text}. {PREEMPT_NO_VICTIMS}"
        return None
