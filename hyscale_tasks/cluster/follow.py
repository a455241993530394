"""Following the logs of every pod of a service's current revision, as they come and go.

``hyscale get service logs -t`` follows one container of one pod; the dev loop wants all of
them, for as long as it runs: every replica, every container, each line prefixed with
``<pod>/<container> |``, and the new ones when pods are replaced (a rollout, a restart, a pod
deleted by hand). So a thread per service lists the current pods every few seconds
(:mod:`.revision` says which are current) and opens a following log stream, in a thread of its
own, for each container instance it has not followed yet: a container that restarts is a new
instance (its restart count), whose log is followed from its start.

Lines are handed to ``write`` whole, one call per line: several services' followers and the loop
share the terminal.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.client import Cluster
from hyscale_tasks.cluster.revision import current_selector

POLL_SECONDS = 2.0
TAIL_LINES = 100  # a pod that ran before the loop attached shows its last lines, not all
# Connect within 10 s; then wait up to a day for the next line (a quiet service; the client
# takes no "for ever").
STREAM_TIMEOUT = (10, 24 * 3600)


class LogFollower:
    """The followed logs of one service; :meth:`refresh` after each deploy, :meth:`stop` once."""

    def __init__(self, cluster: Cluster, namespace: str, app: str, service: str,
                 write: Callable[[str], None], warn: Callable[[str], None]) -> None:
        self.cluster = cluster
        self.namespace, self.app, self.service = namespace, app, service
        self.write, self.warn = write, warn
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._selector: str | None = None
        self._followed: set[tuple[str, str, int]] = set()  # (pod uid, container, restarts)
        self._streams: list[Any] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def refresh(self) -> None:
        """The service was deployed: follow its current revision's pods from now on. The
        revision is read here, before the caller starts another deploy: read later, it could be
        the next one's, which may fail."""
        try:
            self._selector = current_selector(self.cluster.api, self.namespace, self.app,
                                              self.service)
        except Exception:  # the follower's thread tries again, and says so if it fails
            self._selector = None
        self._wake.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, daemon=True,
                                            name=f"logs of {self.service}")
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            _close(stream)

    def _watch(self) -> None:
        core = client.CoreV1Api(self.cluster.api)
        failing = False
        while not self._stop.is_set():
            try:
                if self._selector is None:
                    self._selector = current_selector(self.cluster.api, self.namespace, self.app,
                                                      self.service)
                pods = core.list_namespaced_pod(self.namespace,
                                                label_selector=self._selector).items
                failing = False
            except Exception as exc:  # the cluster is away for now: say so once, try again
                if not failing:
                    self.warn(f"{self.service}: cannot list its pods to follow their logs ({exc}); "
                              "trying again")
                failing = True
                pods = []
            for pod in pods:
                self._attach_new(core, pod)
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _attach_new(self, core: client.CoreV1Api, pod: Any) -> None:
        if pod.metadata.deletion_timestamp:
            return
        for status in (pod.status.container_statuses or []) if pod.status else []:
            state = status.state
            if state is None or not (state.running or state.terminated):
                continue  # nothing to read yet (waiting to start, or to be restarted)
            key = (str(pod.metadata.uid), str(status.name), int(status.restart_count or 0))
            if key in self._followed:
                continue
            self._followed.add(key)
            threading.Thread(target=self._follow, args=(core, str(pod.metadata.name),
                                                        str(status.name)),
                             daemon=True, name=f"log of {pod.metadata.name}").start()

    def _follow(self, core: client.CoreV1Api, pod: str, container: str) -> None:
        prefix = f"{pod}/{container} | "
        try:
            stream: Any = core.read_namespaced_pod_log(
                pod, self.namespace, container=container, follow=True, tail_lines=TAIL_LINES,
                _preload_content=False, _request_timeout=STREAM_TIMEOUT)
        except Exception:  # gone already, or not started after all: the next listing tells
            return
        with self._lock:
            self._streams.append(stream)
        pending = b""
        try:
            for chunk in stream.stream(4096):
                if self._stop.is_set():
                    return
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    self.write(prefix + line.decode("utf-8", "replace"))
            if pending and not self._stop.is_set():
                self.write(prefix + pending.decode("utf-8", "replace"))
        except Exception:  # the stream was cut (stopped, or the pod went away)
            return
        finally:
            with self._lock:
                if stream in self._streams:
                    self._streams.remove(stream)
            _close(stream)


def _close(stream: Any) -> None:
    """End a log stream, also one blocked waiting for its next line (urllib3 2.3's shutdown)."""
    with contextlib.suppress(Exception):
        shutdown = getattr(stream, "shutdown", None)
        if shutdown is not None:
            shutdown()
        stream.close()
