"""How a pod worker talks to the API: the kubelet's events, its pod's status and annotation.

Writes go to this pod only, never to a namesake that replaced it: a StatefulSet pod comes back with
the same name and a new uid while the old pod's worker may still be finishing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ApiError, conflict
from ..kubelet import ContainerView, KubeletContext, build_pod_status
from .containers import PORTS_ANNOTATION

Obj = dict[str, Any]


class PodApi:
    def __init__(self, ctx: KubeletContext, pod: Obj) -> None:
        self.ctx = ctx
        self.pod = pod  # the latest the worker got: events name its resourceVersion
        meta = pod["metadata"]
        self.uid, self.namespace, self.name = meta["uid"], meta["namespace"], meta["name"]
        self._written: Obj | None = None

    def event(self, type_: str, reason: str, message: str, container: str | None = None) -> None:
        path = f"spec.containers{{{container}}}" if container is not None else None
        self.ctx.recorder.record(self.pod, type_, reason, message, path)

    def mutate(self, change: Callable[[Obj], None], subresource: str | None = None) -> Obj | None:
        api = self.ctx.api

        def guarded(obj: Obj) -> None:
            if obj["metadata"].get("uid") != self.uid:
                raise conflict("", "pods", self.name)
            change(obj)

        try:
            return api.mutate(
                api.rt("v1", "Pod"), self.namespace, self.name, guarded, subresource=subresource
            )
        except ApiError:
            return None

    def annotate_ports(self, ports: Mapping[str, int]) -> None:
        text = json.dumps(dict(ports), sort_keys=True)
        self.mutate(
            lambda obj: obj["metadata"].setdefault("annotations", {}).__setitem__(PORTS_ANNOTATION, text)
        )

    def publish(self, views: Mapping[str, ContainerView]) -> None:
        """Write the status these views make, when it differs from the last one written."""
        api = self.ctx.api
        fresh = api.find(api.rt("v1", "Pod"), self.namespace, self.name)
        meta = (fresh or {}).get("metadata") or {}
        if fresh is None or meta.get("uid") != self.uid or meta.get("deletionTimestamp"):
            return
        status = build_pod_status(
            fresh, [views[c["name"]] for c in fresh["spec"]["containers"] if c["name"] in views]
        )
        status["qosClass"] = (fresh.get("status") or {}).get("qosClass", status.get("qosClass"))
        if status == self._written:
            return

        def put(obj: Obj) -> None:
            obj["status"] = status

        if self.mutate(put, subresource="status") is not None:
            self._written = status

    def finish_deletion(self) -> None:
        self.ctx.finish_deletion(self.pod)
