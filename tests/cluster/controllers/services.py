"""Service controller: a LoadBalancer Service gets ``status.loadBalancer.ingress[0].ip`` = 127.0.0.1,
as with ``minikube tunnel`` or kind's cloud provider, so a tool's "wait for the external address"
completes. (Phase 2: the Docker kubelet publishes container ports on loopback.)"""

from __future__ import annotations

from collections.abc import Iterable

from ..store import Change, Obj
from .common import Controller, Key


class ServiceController(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == ("", "services") and change.type != "DELETED":
            yield (change.namespace, change.name)

    def sync(self, key: Key) -> None:
        ns, name = key
        rt = self.api.rt("v1", "Service")
        svc = self.api.find(rt, ns, name)
        if svc is None or svc["metadata"].get("deletionTimestamp"):
            return
        is_lb = svc["spec"].get("type") == "LoadBalancer"
        want: Obj = {"ingress": [{"ip": "127.0.0.1", "ipMode": "VIP"}]} if is_lb else {}
        if (svc.get("status") or {}).get("loadBalancer", {}) == want:
            return
        recorder = self.ctx.recorder("service-controller")
        if is_lb:
            recorder.record(
                self.api.output(rt, svc), "Normal", "EnsuringLoadBalancer", "Ensuring load balancer"
            )

        def put(obj: Obj) -> None:
            obj.setdefault("status", {})["loadBalancer"] = want

        updated = self.api.mutate(rt, ns, name, put, subresource="status")
        if is_lb and updated is not None:
            recorder.record(updated, "Normal", "EnsuredLoadBalancer", "Ensured load balancer")
