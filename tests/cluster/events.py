"""Events, recorded and aggregated the way client-go's event recorder does it.

A repeat of the same (object, reason, message, component) bumps ``count`` and ``lastTimestamp`` of
the existing Event instead of creating a new one, so a crash-looping pod yields one ``BackOff``
event with a growing count, as on a real cluster. Event names are ``<object>.<hex nanoseconds>``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from .api import Api
from .clock import stamp
from .errors import ApiError

Obj = dict[str, Any]


class EventRecorder:
    def __init__(self, api: Api, component: str, host: str | None = None) -> None:
        self.api = api
        self.component = component
        self.host = host
        self._seen: dict[tuple[str, str, str, str], str] = {}  # (uid, fieldPath, reason, message) -> name
        self._lock = threading.Lock()

    def record(self, obj: Obj, type_: str, reason: str, message: str, field_path: str | None = None) -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        rt = self.api.registry.by_kind("", "Event")
        assert rt is not None
        key = (meta.get("uid", ""), field_path or "", reason, message)
        at = stamp()
        with self._lock:
            name = self._seen.get(key)
            if name is not None:

                def bump(ev: Obj) -> None:
                    ev["count"] = int(ev.get("count") or 1) + 1
                    ev["lastTimestamp"] = at

                if self.api.mutate(rt, namespace, name, bump) is not None:
                    return
            involved: Obj = {
                "kind": obj.get("kind"),
                "namespace": meta.get("namespace"),
                "name": meta["name"],
                "uid": meta.get("uid"),
                "apiVersion": obj.get("apiVersion"),
                "resourceVersion": meta.get("resourceVersion"),
            }
            if field_path:
                involved["fieldPath"] = field_path
            source: Obj = {"component": self.component}
            if self.host:
                source["host"] = self.host
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{meta['name']}.{time.time_ns():x}", "namespace": namespace},
                "involvedObject": {k: v for k, v in involved.items() if v is not None},
                "reason": reason,
                "message": message,
                "type": type_,
                "source": source,
                "firstTimestamp": at,
                "lastTimestamp": at,
                "count": 1,
                "eventTime": None,
                "reportingComponent": self.component,
                "reportingInstance": self.host or "",
            }
            try:
                created = self.api.create(rt, namespace, event)
            except ApiError:
                return  # e.g. the namespace is terminating: a real recorder drops the event too
            self._seen[key] = created["metadata"]["name"]
