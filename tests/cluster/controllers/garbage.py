"""The garbage collector: ownerReferences, cascading deletion and the foreground/orphan finalizers.

* A dependent whose owners are all gone is deleted (background cascade). One whose owners partly
  remain loses the dangling references.
* An owner deleted with ``propagationPolicy=Foreground`` carries the ``foregroundDeletion``
  finalizer: its dependents are deleted (in the foreground too, so a Deployment waits for its
  ReplicaSets, which wait for their pods) and the finalizer is removed once none is left.
* ``Orphan``: the dependents lose their reference to the owner, then the ``orphan`` finalizer goes.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..api import DeleteOptions
from ..errors import ApiError
from ..resources import ResourceType
from ..store import Change, Obj, TypeKey
from .common import Controller, Key


class GarbageCollector(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        meta = change.obj["metadata"]
        if change.type == "DELETED":
            yield ("owner-gone", meta["uid"])
            for ref in meta.get("ownerReferences") or []:  # a foreground owner may now be free to go
                yield ("finalize", ref["uid"])
            return
        if meta.get("deletionTimestamp") and {"foregroundDeletion", "orphan"} & set(
            meta.get("finalizers") or []
        ):
            yield ("finalize", meta["uid"])
        if change.type == "ADDED" and meta.get("ownerReferences"):
            yield ("check", meta["uid"])

    def resync(self) -> Iterable[Key]:
        for key in self.api.store.type_keys():
            for obj in self.api.store.select(key):
                meta = obj["metadata"]
                if meta.get("deletionTimestamp") and {"foregroundDeletion", "orphan"} & set(
                    meta.get("finalizers") or []
                ):
                    yield ("finalize", meta["uid"])

    def sync(self, key: Key) -> None:
        what, uid = key
        if what == "owner-gone":
            for dep_key, dep in self.api.store.dependents(uid):
                self._collect_if_orphaned(dep_key, dep)
        elif what == "check":
            found = self.api.store.find_uid(uid)
            if found is not None:
                self._collect_if_orphaned(*found)
        elif what == "finalize":
            found = self.api.store.find_uid(uid)
            if found is not None:
                self._finalize(*found)

    def _rt(self, key: TypeKey) -> ResourceType | None:
        for rt in self.api.registry.stored():
            if rt.key == key:
                return rt
        return None

    def _collect_if_orphaned(self, key: TypeKey, obj: Obj) -> None:
        rt = self._rt(key)
        meta = obj["metadata"]
        if rt is None or meta.get("deletionTimestamp"):
            return
        refs = meta.get("ownerReferences") or []
        alive = [r for r in refs if self.api.store.find_uid(r["uid"]) is not None]
        if len(alive) == len(refs):
            return
        if alive:
            alive_uids = {r["uid"] for r in alive}

            def drop(o: Obj) -> None:
                o["metadata"]["ownerReferences"] = [
                    r for r in o["metadata"].get("ownerReferences") or [] if r["uid"] in alive_uids
                ]

            self.api.mutate(rt, meta.get("namespace"), meta["name"], drop)
            return
        self._delete(rt, obj, "Background")

    def _delete(self, rt: ResourceType, obj: Obj, propagation: str) -> None:
        meta = obj["metadata"]
        try:
            self.api.delete(
                rt,
                meta.get("namespace"),
                meta["name"],
                DeleteOptions(propagation=propagation, uid=meta["uid"]),
            )
        except ApiError as err:
            if err.code not in (404, 409):
                raise

    def _finalize(self, key: TypeKey, owner: Obj) -> None:
        rt = self._rt(key)
        meta = owner["metadata"]
        finalizers = meta.get("finalizers") or []
        if rt is None or not meta.get("deletionTimestamp"):
            return
        uid = meta["uid"]
        dependents = self.api.store.dependents(uid)
        if "orphan" in finalizers:
            for dep_key, dep in dependents:
                dep_rt = self._rt(dep_key)
                if dep_rt is None:
                    continue

                def unown(o: Obj) -> None:
                    o["metadata"]["ownerReferences"] = [
                        r for r in o["metadata"].get("ownerReferences") or [] if r["uid"] != uid
                    ]
                    if not o["metadata"]["ownerReferences"]:
                        del o["metadata"]["ownerReferences"]

                self.api.mutate(dep_rt, dep["metadata"].get("namespace"), dep["metadata"]["name"], unown)
            self._drop_finalizer(rt, owner, "orphan")
            return
        if "foregroundDeletion" in finalizers:
            waiting = False
            for dep_key, dep in dependents:
                dep_rt = self._rt(dep_key)
                if dep_rt is None:
                    continue
                waiting = True
                if not dep["metadata"].get("deletionTimestamp"):
                    self._delete(dep_rt, dep, "Foreground")
            if not waiting:
                self._drop_finalizer(rt, owner, "foregroundDeletion")

    def _drop_finalizer(self, rt: ResourceType, obj: Obj, name: str) -> None:
        def drop(o: Obj) -> None:
            o["metadata"]["finalizers"] = [f for f in o["metadata"].get("finalizers") or [] if f != name]
            if not o["metadata"]["finalizers"]:
                del o["metadata"]["finalizers"]

        self.api.mutate(rt, obj["metadata"].get("namespace"), obj["metadata"]["name"], drop)
