"""The node: registers the kubelet's Node object and hands it the pods bound to it."""

from __future__ import annotations

from collections.abc import Iterable

from ..kubelet import KubeletContext, node_object
from ..store import Change, Obj
from .common import Controller, Key


class NodeController(Controller):
    def start(self) -> None:
        kubelet = self.ctx.kubelet
        kubelet.attach(KubeletContext(self.api, self.ctx.recorder("kubelet"), kubelet.node_name))
        node_rt = self.api.rt("v1", "Node")
        if self.api.find(node_rt, None, kubelet.node_name) is None:
            self.api.create(node_rt, None, node_object(kubelet))
        status = kubelet.node_status()

        def put(obj: Obj) -> None:
            obj["status"] = status

        self.api.mutate(node_rt, None, kubelet.node_name, put, subresource="status")

    def keys_for(self, change: Change) -> Iterable[Key]:
        if (
            change.key != ("", "pods")
            or (change.obj.get("spec") or {}).get("nodeName") != self.ctx.kubelet.node_name
        ):
            return
        if change.type == "DELETED":
            self.ctx.kubelet.pod_removed(change.obj)
            return
        yield (change.namespace, change.name)

    def sync(self, key: Key) -> None:
        ns, name = key
        pod_rt = self.api.rt("v1", "Pod")
        pod = self.api.find(pod_rt, ns, name)
        if pod is not None and pod["spec"].get("nodeName") == self.ctx.kubelet.node_name:
            self.ctx.kubelet.sync_pod(self.api.output(pod_rt, pod))
