"""The Docker kubelet: the :class:`tests.cluster.kubelet.Kubelet` interface over pod workers.

``sync_pod`` and ``pod_removed`` run on the controller thread, so they only hand the pod to its
worker thread (:mod:`.worker`), which does the Docker work. ``logs`` reads ``docker logs`` of the
container the pod status names, as the kubelet picks it (previous: ``lastState``'s container).
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker.errors

from ..kubelet import Kubelet, KubeletContext, LogOptions, check_log_status, ready_node_status
from .engine import ENGINE_ERRORS, Engine
from .worker import PodWorker

Obj = dict[str, Any]
TIME_SCALE_ENV = "HYSCALE_STANDIN_TIME_SCALE"


def time_scale_from_env(default: float = 1.0) -> float:
    raw = os.environ.get(TIME_SCALE_ENV, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{TIME_SCALE_ENV}={raw!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{TIME_SCALE_ENV} must be positive, not {raw}")
    return value


class DockerKubelet(Kubelet):
    """Pods as containers on the local Docker engine.

    ``time_scale`` multiplies every kubelet timer: probe delays, periods and timeouts, restart and
    pull back-offs, termination grace periods. 1.0 is a real node; tests use ~0.05 so that a probe
    with ``initialDelaySeconds: 10, periodSeconds: 30`` first runs after 0.5 s and then every 1.5 s.
    Default: ``$HYSCALE_STANDIN_TIME_SCALE`` or 1.0.
    """

    def __init__(self, *, time_scale: float | None = None, pause_image: str | None = None) -> None:
        self.time_scale = time_scale if time_scale is not None else time_scale_from_env()
        if self.time_scale <= 0:
            raise ValueError(f"the time scale must be positive, not {self.time_scale}")
        self.instance = secrets.token_hex(6)
        self.engine = Engine(self.instance)
        self.pause_image = pause_image or self.engine.ensure_pause_image()
        self.root = Path(tempfile.mkdtemp(prefix=f"hyscale-standin-{self.instance}-"))
        self.closing = threading.Event()
        info = self.engine.info
        self.capacity = {
            "cpu": str(info.get("NCPU") or 2),
            "memory": f"{int(info.get('MemTotal') or 8 * 2**30) // 1024}Ki",
            "pods": "110",
            "ephemeral-storage": "100Gi",
        }
        self._ctx: KubeletContext | None = None
        self._workers: dict[str, PodWorker] = {}
        self._lock = threading.Lock()
        self._stop_events: Callable[[], None] | None = None

    # ----- Kubelet -------------------------------------------------------------------------------

    @property
    def ctx(self) -> KubeletContext:
        if self._ctx is None:
            raise RuntimeError("the Docker kubelet is not attached to a stand-in")
        return self._ctx

    def attach(self, ctx: KubeletContext) -> None:
        self._ctx = ctx
        self._stop_events = self.engine.watch_events(self._container_event, threading.Event())

    def node_status(self) -> Obj:
        info = self.engine.info
        status = ready_node_status(dict(self.capacity), f"docker://{info.get('ServerVersion', '')}")
        status["nodeInfo"].update(
            {
                "kernelVersion": str(info.get("KernelVersion", "")),
                "osImage": str(info.get("OperatingSystem", "")),
            }
        )
        return status

    def sync_pod(self, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        with self._lock:
            worker = self._workers.get(uid)
            if worker is None:
                if self.closing.is_set():
                    return
                if pod["metadata"].get("deletionTimestamp"):
                    # never started here (or already torn down): nothing to stop
                    self.ctx.finish_deletion(pod)
                    return
                worker = self._workers[uid] = PodWorker(self, pod)
                worker.start()
                return
        worker.update(pod)

    def pod_removed(self, pod: Obj) -> None:
        with self._lock:
            worker = self._workers.get(pod["metadata"]["uid"])
        if worker is not None:
            worker.removed()

    def worker_done(self, uid: str) -> None:
        with self._lock:
            self._workers.pop(uid, None)

    def logs(self, pod: Obj, options: LogOptions, stopping: Callable[[], bool]) -> Iterator[bytes]:
        check_log_status(pod, options.container, options.previous)
        container_id = log_container_id(pod, options.container, options.previous)
        if not container_id:
            return
        query: Obj = {
            "stdout": True,
            "stderr": True,
            "timestamps": options.timestamps,
            "tail": "all" if options.tail_lines is None else max(options.tail_lines, 0),
        }
        if options.since_seconds is not None:
            query["since"] = max(time.time() - options.since_seconds, 0.000001)
        budget = options.limit_bytes
        if not options.follow or options.previous:
            try:
                data: bytes = self.engine.api.logs(container_id, **query)
            except docker.errors.APIError as exc:
                if exc.status_code in (404, 409):  # removed, or being removed: nothing left to read
                    return
                raise
            yield data[:budget] if budget is not None else data
            return
        yield from self._follow(container_id, query, budget, stopping)

    def _follow(
        self, container_id: str, query: Obj, budget: int | None, stopping: Callable[[], bool]
    ) -> Iterator[bytes]:
        """``docker logs --follow`` read on a helper thread, so that a client that went away (or the
        stand-in stopping) ends the stream even while the container prints nothing."""
        try:
            stream = self.engine.api.logs(container_id, stream=True, follow=True, **query)
        except docker.errors.APIError as exc:
            if exc.status_code in (404, 409):
                return
            raise
        chunks: queue.Queue[bytes | None] = queue.Queue()

        def pump() -> None:
            try:
                for chunk in stream:
                    chunks.put(chunk)
            except ENGINE_ERRORS:
                pass
            finally:
                chunks.put(None)

        threading.Thread(target=pump, name="standin-log-follow", daemon=True).start()
        sent = 0
        try:
            while not stopping() and not self.closing.is_set():
                try:
                    chunk = chunks.get(timeout=0.25)
                except queue.Empty:
                    continue
                if chunk is None:
                    return
                if budget is not None and sent + len(chunk) >= budget:
                    yield chunk[: budget - sent]
                    return
                sent += len(chunk)
                yield chunk
        finally:
            with contextlib.suppress(*ENGINE_ERRORS):
                stream.close()

    def shutdown(self) -> None:
        """Remove every container and volume this kubelet created (labelled with its instance id)."""
        self.closing.set()
        if self._stop_events is not None:
            self._stop_events()
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.removed()
        for worker in workers:
            worker.join(20)
        try:
            self.engine.sweep()  # anything a worker did not get to, and the PVC volumes
        except ENGINE_ERRORS as exc:
            print(f"stand-in docker kubelet: cleaning up: {exc}", file=sys.stderr)
        shutil.rmtree(self.root, ignore_errors=True)

    # ----- for the workers ---------------------------------------------------------------------------

    def lookup(self, kind: str, namespace: str, name: str) -> Obj | None:
        api = self.ctx.api
        return api.find(api.rt("v1", kind), namespace, name)

    def _container_event(self, container_id: str) -> None:
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.container_event(container_id)


def log_container_id(pod: Obj, container: str, previous: bool) -> str | None:
    """The Docker id of the container instance whose log a ``pods/log`` request means, picked from the
    pod status as the kubelet does (``validateContainerLogStatus``)."""
    statuses = {s["name"]: s for s in (pod.get("status") or {}).get("containerStatuses") or []}
    status = statuses.get(container) or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    state = status.get("state") or {}
    if previous:
        found = last.get("containerID")
    elif "running" in state or "terminated" in state:
        found = (state.get("terminated") or {}).get("containerID") or status.get("containerID")
    else:
        found = last.get("containerID")
    text = str(found or "")
    return text.split("://", 1)[1] if "://" in text else text or None
