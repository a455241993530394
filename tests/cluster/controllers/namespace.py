"""Namespace deletion: a terminating namespace loses all its objects, then itself.

As on a real cluster the DELETE only marks the namespace (``Terminating``); this controller deletes
every object in it (pods gracefully, through the kubelet) and removes the ``kubernetes`` finalizer
once nothing is left, which lets the namespace go.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..api import DeleteOptions
from ..errors import ApiError
from ..store import Change
from .common import Controller, Key


class NamespaceController(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == ("", "namespaces"):
            if change.type != "DELETED" and change.obj["metadata"].get("deletionTimestamp"):
                yield (change.name,)
        elif change.type == "DELETED" and change.namespace:
            ns = self.api.store.get(("", "namespaces"), "", change.namespace)
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                yield (change.namespace,)

    def resync(self) -> Iterable[Key]:
        for ns in self.api.store.select(("", "namespaces")):
            if ns["metadata"].get("deletionTimestamp"):
                yield (ns["metadata"]["name"],)

    def sync(self, key: Key) -> None:
        (name,) = key
        ns_rt = self.api.rt("v1", "Namespace")
        ns = self.api.find(ns_rt, None, name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        remaining = 0
        for rt in self.api.registry.stored():
            if not rt.namespaced:
                continue
            for obj in self.api.items(rt, name):
                remaining += 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(
                        rt, name, obj["metadata"]["name"], DeleteOptions(propagation="Background")
                    )
                except ApiError as err:
                    if err.code != 404:
                        raise
        if remaining:
            return  # the DELETED events of what is left bring us back

        def finalize(obj: dict[str, object]) -> None:
            obj["spec"] = {"finalizers": []}

        self.api.mutate(ns_rt, None, name, finalize, system=True)
