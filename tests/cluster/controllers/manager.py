"""The controller manager: one background thread that feeds store changes to the controllers.

Changes arrive in resourceVersion order from one store subscription; each controller maps a change
to keys, and each (controller, key) is reconciled once per round however many changes named it.
One thread keeps the controllers simple (no locking between them) and makes the stand-in
deterministic enough for tests; ``wait_idle`` lets a test wait until everything has settled.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any

from ..errors import ApiError
from ..store import Change
from .autoscaler import AutoscalerController
from .common import Controller, ControllerContext, Key
from .deployment import DeploymentController
from .garbage import GarbageCollector
from .namespace import NamespaceController
from .node import NodeController
from .replicaset import ReplicaSetController
from .scheduler import Scheduler
from .services import ServiceController
from .statefulset import StatefulSetController
from .volumes import VolumeBinder

RESYNC_SECONDS = 1.0
TICK_SECONDS = 0.1
RETRY = object()


class ControllerManager:
    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.controllers: list[Controller] = [
            NamespaceController(ctx),
            GarbageCollector(ctx),
            DeploymentController(ctx),
            ReplicaSetController(ctx),
            StatefulSetController(ctx),
            VolumeBinder(ctx),
            Scheduler(ctx),
            NodeController(ctx),
            ServiceController(ctx),
            AutoscalerController(ctx),
        ]
        self._sub, _ = ctx.api.store.subscribe()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._busy = True
        self._thread = threading.Thread(target=self._run, name="standin-controllers", daemon=True)
        self.errors: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._sub.interrupt()
        self._thread.join(timeout=5)
        self._sub.close()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """True once no change is pending and no key is being reconciled (the cluster has settled)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy or not self._sub.empty():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(min(remaining, 0.05))
        return True

    def _run(self) -> None:
        for c in self.controllers:
            self._guard(c, None, c.start)
        work: dict[tuple[int, Key], None] = {}
        last_resync = last_tick = time.monotonic()
        while not self._stop.is_set():
            change = self._sub.get(timeout=TICK_SECONDS if not work else 0)
            if change is not None:
                with self._idle:
                    self._busy = True  # before the queue looks empty to wait_idle
            while change is not None:
                self._collect(change, work)
                change = self._sub.get(timeout=0)
            now = time.monotonic()
            if now - last_resync >= RESYNC_SECONDS:
                last_resync = now
                for i, c in enumerate(self.controllers):
                    for key in self._keys(c, c.resync):
                        work[(i, key)] = None
            if now - last_tick >= TICK_SECONDS:
                last_tick = now
                self._guard(None, None, self.ctx.kubelet.tick)
            if not work:
                with self._idle:
                    self._busy = not self._sub.empty()
                    self._idle.notify_all()
                continue
            with self._idle:
                self._busy = True
            batch, work = work, {}
            for i, key in batch:
                c = self.controllers[i]
                if self._guard(c, key, lambda c=c, key=key: c.sync(key)) is RETRY:
                    work[(i, key)] = None

    def _collect(self, change: Change, work: dict[tuple[int, Key], None]) -> None:
        for i, c in enumerate(self.controllers):
            for key in self._keys(c, lambda c=c: c.keys_for(change)):
                work[(i, key)] = None

    def _keys(self, controller: Controller, fn: Any) -> list[Key]:
        result = self._guard(controller, None, lambda: list(fn()))
        return result if isinstance(result, list) else []

    def _guard(self, controller: Controller | None, key: Key | None, fn: Any) -> Any:
        try:
            return fn()
        except ApiError as err:
            if err.code == 409:  # someone else wrote first: reconcile again from the new state
                return RETRY
            self._report(controller, key, f"{err}")
        except Exception:
            self._report(controller, key, traceback.format_exc())
        return None

    def _report(self, controller: Controller | None, key: Key | None, text: str) -> None:
        name = type(controller).__name__ if controller else "kubelet"
        line = f"stand-in controller {name} {key}: {text}"
        self.errors.append(line)
        print(line, file=sys.stderr)
