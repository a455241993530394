"""The object store: versioned JSON objects, one global resourceVersion, and a change feed.

Every write takes the next resourceVersion (a counter shared by all kinds, as etcd's revision is)
and publishes a ``Change`` to the subscribers (watch streams, the controller manager) while the
lock is held, so every subscriber sees changes in resourceVersion order. A bounded history lets a
watch resume from a resourceVersion; older ones are 410 Gone, as on a real server.

The store knows nothing about Kubernetes semantics; ``api.Api`` does.
"""

from __future__ import annotations

import copy
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
TypeKey = tuple[str, str]  # (group, plural)


@dataclass(frozen=True)
class Change:
    type: str  # ADDED, MODIFIED, DELETED
    key: TypeKey
    namespace: str
    name: str
    obj: Obj  # shared between subscribers: never mutate
    old: Obj | None
    rv: int


class TooOldError(Exception):
    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")


class Subscription:
    def __init__(self, store: Store, predicate: Callable[[Change], bool] | None) -> None:
        self._store = store
        self._predicate = predicate
        self._queue: queue.SimpleQueue[Change | None] = queue.SimpleQueue()

    def offer(self, change: Change) -> None:
        if self._predicate is None or self._predicate(change):
            self._queue.put(change)

    def interrupt(self) -> None:
        """Wake a blocked ``get`` (it returns None), e.g. so a consumer sees it should stop."""
        self._queue.put(None)

    def get(self, timeout: float | None) -> Change | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def empty(self) -> bool:
        return self._queue.empty()

    def close(self) -> None:
        self._store.unsubscribe(self)


class Store:
    def __init__(self, history: int = 20000) -> None:
        self.lock = threading.RLock()
        self._objects: dict[TypeKey, dict[tuple[str, str], Obj]] = {}
        self._uids: dict[str, tuple[TypeKey, str, str]] = {}
        self._rv = 0
        self._history: deque[Change] = deque(maxlen=history)
        self._subs: list[Subscription] = []

    @property
    def resource_version(self) -> int:
        with self.lock:
            return self._rv

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock across a read-check-write so concurrent requests cannot interleave."""
        with self.lock:
            yield

    # ----- reads (copies, so callers may mutate what they get) ----------------------------------

    def get(self, key: TypeKey, namespace: str, name: str) -> Obj | None:
        with self.lock:
            obj = self._objects.get(key, {}).get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def select(self, key: TypeKey, namespace: str | None = None) -> list[Obj]:
        with self.lock:
            table = self._objects.get(key, {})
            keys = sorted(k for k in table if namespace is None or k[0] == namespace)
            return [copy.deepcopy(table[k]) for k in keys]

    def find_uid(self, uid: str) -> tuple[TypeKey, Obj] | None:
        with self.lock:
            where = self._uids.get(uid)
            if where is None:
                return None
            key, ns, name = where
            return key, copy.deepcopy(self._objects[key][(ns, name)])

    def dependents(self, owner_uid: str) -> list[tuple[TypeKey, Obj]]:
        """Objects whose ownerReferences name ``owner_uid``."""
        with self.lock:
            found = []
            for key, table in self._objects.items():
                for obj in table.values():
                    refs = obj.get("metadata", {}).get("ownerReferences") or []
                    if any(r.get("uid") == owner_uid for r in refs):
                        found.append((key, copy.deepcopy(obj)))
            return found

    def type_keys(self) -> list[TypeKey]:
        with self.lock:
            return list(self._objects)

    # ----- writes -------------------------------------------------------------------------------

    def put(self, key: TypeKey, obj: Obj) -> Obj:
        """Create or replace; sets metadata.resourceVersion and publishes ADDED or MODIFIED."""
        meta = obj["metadata"]
        ident = (meta.get("namespace", ""), meta["name"])
        with self.lock:
            table = self._objects.setdefault(key, {})
            old = table.get(ident)
            self._rv += 1
            stored = copy.deepcopy(obj)
            stored["metadata"]["resourceVersion"] = str(self._rv)
            table[ident] = stored
            self._uids[meta["uid"]] = (key, *ident)
            self._publish(
                Change(
                    "MODIFIED" if old else "ADDED",
                    key,
                    ident[0],
                    ident[1],
                    copy.deepcopy(stored),
                    old,
                    self._rv,
                )
            )
            return copy.deepcopy(stored)

    def remove(self, key: TypeKey, namespace: str, name: str) -> Obj | None:
        with self.lock:
            table = self._objects.get(key, {})
            old = table.pop((namespace, name), None)
            if old is None:
                return None
            self._uids.pop(old["metadata"]["uid"], None)
            self._rv += 1
            gone = copy.deepcopy(old)
            gone["metadata"]["resourceVersion"] = str(self._rv)
            self._publish(Change("DELETED", key, namespace, name, gone, old, self._rv))
            return copy.deepcopy(gone)

    def _publish(self, change: Change) -> None:
        self._history.append(change)
        for sub in list(self._subs):
            sub.offer(change)

    # ----- change feed --------------------------------------------------------------------------

    def subscribe(
        self, predicate: Callable[[Change], bool] | None = None, since: int | None = None
    ) -> tuple[Subscription, list[Change]]:
        """Subscribe; with ``since``, also return the recorded changes after that resourceVersion.

        Both happen under the lock, so no change falls between the replay and the live feed.
        """
        with self.lock:
            replay: list[Change] = []
            if since is not None and since < self._rv:
                oldest = self._history[0].rv if self._history else self._rv + 1
                if since + 1 < oldest:
                    raise TooOldError(since, oldest - 1)
                replay = [c for c in self._history if c.rv > since and (predicate is None or predicate(c))]
            sub = Subscription(self, predicate)
            self._subs.append(sub)
            return sub, replay

    def unsubscribe(self, sub: Subscription) -> None:
        with self.lock:
            if sub in self._subs:
                self._subs.remove(sub)
