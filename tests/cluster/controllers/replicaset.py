"""ReplicaSet controller: keeps ``spec.replicas`` active pods from the template, reports status."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from ..api import DeleteOptions
from ..errors import ApiError
from ..kubelet import pod_ready
from ..store import Change, Obj
from .common import Controller, Key, controller_ref, owned, owner_ref, pod_active, pod_available, strip_zero

RS = ("apps", "replicasets")


class ReplicaSetController(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == RS:
            yield (change.namespace, change.name)
        elif change.key == ("", "pods"):
            ref = controller_ref(change.obj)
            if ref and ref.get("kind") == "ReplicaSet":
                yield (change.namespace, ref["name"])

    def resync(self) -> Iterable[Key]:
        for rs in self.api.store.select(RS):
            if (rs["spec"].get("minReadySeconds") or 0) > 0:
                yield (rs["metadata"]["namespace"], rs["metadata"]["name"])

    def sync(self, key: Key) -> None:
        ns, name = key
        rs_rt = self.api.rt("apps/v1", "ReplicaSet")
        pod_rt = self.api.rt("v1", "Pod")
        rs = self.api.find(rs_rt, ns, name)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return
        rs = self.api.output(rs_rt, rs)
        pods = owned(self.api.items(pod_rt, ns), rs["metadata"]["uid"])
        active = [p for p in pods if pod_active(p)]
        want = rs["spec"].get("replicas", 1)
        recorder = self.ctx.recorder("replicaset-controller")
        if len(active) < want:
            template = rs["spec"]["template"]
            for _ in range(want - len(active)):
                pod: Obj = {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "generateName": f"{name}-",
                        "namespace": ns,
                        "labels": copy.deepcopy((template.get("metadata") or {}).get("labels") or {}),
                        "annotations": copy.deepcopy(
                            (template.get("metadata") or {}).get("annotations") or {}
                        ),
                        "ownerReferences": [owner_ref(rs)],
                    },
                    "spec": copy.deepcopy(template.get("spec") or {}),
                }
                if not pod["metadata"]["annotations"]:
                    del pod["metadata"]["annotations"]
                try:
                    created = self.api.create(pod_rt, ns, pod)
                except ApiError as err:
                    recorder.record(rs, "Warning", "FailedCreate", f"Error creating: {err.message}")
                    break
                active.append(created)
                recorder.record(
                    rs, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
                )
        elif len(active) > want:
            for victim in sorted(active, key=_deletion_rank)[: len(active) - want]:
                try:
                    self.api.delete(pod_rt, ns, victim["metadata"]["name"], DeleteOptions())
                except ApiError as err:
                    if err.code != 404:
                        raise
                    continue
                active.remove(victim)
                recorder.record(
                    rs, "Normal", "SuccessfulDelete", f"Deleted pod: {victim['metadata']['name']}"
                )
        min_ready = rs["spec"].get("minReadySeconds") or 0
        labels = (rs["spec"]["template"].get("metadata") or {}).get("labels") or {}
        status = strip_zero(
            {
                "replicas": len(active),
                "fullyLabeledReplicas": sum(
                    1
                    for p in active
                    if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
                ),
                "readyReplicas": sum(1 for p in active if pod_ready(p)),
                "availableReplicas": sum(1 for p in active if pod_available(p, min_ready)),
                "observedGeneration": rs["metadata"].get("generation", 1),
            },
            "fullyLabeledReplicas",
            "readyReplicas",
            "availableReplicas",
        )

        def put(obj: Obj) -> None:
            obj["status"] = {
                **status,
                **{k: v for k, v in (obj.get("status") or {}).items() if k == "conditions"},
            }

        self.api.mutate(rs_rt, ns, name, put, subresource="status")


def _deletion_rank(pod: Obj) -> tuple[int, int, int, str]:
    """Which pods go first on scale-down: unscheduled, then pending, then not ready, then the newest."""
    status = pod.get("status") or {}
    scheduled = 1 if (pod.get("spec") or {}).get("nodeName") else 0
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase", "Pending"), 0)
    ready = 1 if pod_ready(pod) else 0
    created = pod["metadata"].get("creationTimestamp", "")
    # newest first: invert the timestamp ordering by negating each character
    return (scheduled, phase, ready, "".join(chr(0x10FFFF - ord(ch)) for ch in created))
