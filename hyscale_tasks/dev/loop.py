"""The dev loop itself: deploy, watch, deploy what a save affects; logs and forwards after.

Threads and who owns what:

* the main thread watches the inputs (watchfiles: a burst of saves is one change set, yielded
  once the files have been quiet for a moment) and queues the services each change affects;
* one worker thread runs the turns (:mod:`.turns`), one at a time: a save during a turn queues
  one more turn, for every service saved meanwhile, never a second deploy of a service at once;
* after a turn, each service that is deployed and ready gets its logs followed
  (:mod:`hyscale_tasks.cluster.follow`) and its first port forwarded
  (:mod:`hyscale_tasks.cluster.forward`), or told to move to the new pods if it had them.

Ctrl-C (or SIGTERM) stops the watch, interrupts a turn in progress (doit records the stages that
finished), closes logs and forwards, and says that the services keep running, or undeploys them
(``--undeploy-on-exit``). The exit code is then 0: stopping is how a dev loop ends.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import watchfiles

from hyscale_tasks import lines
from hyscale_tasks.dev.inputs import ALL, Graph, Inputs, inputs_of
from hyscale_tasks.dev.turns import Outcome, Turn
from hyscale_tasks.errors import layout
from hyscale_tasks.paths import service_paths
from hyscale_tasks.stage_records import last_deploy_spec
from hyscale_tasks.tasks.names import task_name

STEP_MS = 100  # quiet time that ends a burst of saves
DEBOUNCE_MS = 1600  # the longest a burst is grouped before a turn starts anyway


@dataclass(frozen=True)
class Setup:
    """What a front end (``hyscale dev``, ``doit dev``) hands the loop."""

    app: str
    namespace: str
    home: Path  # HYSCALE_HOME: where the tool writes (never an input)
    load: Callable[[], Graph]  # the task graph and the services, loaded afresh
    turn: Turn
    undeploy_hint: Callable[[list[str]], str]  # the command that removes these services
    undeploy_on_exit: bool = False


class _Queue:
    """Services waiting for a turn, each with the time of its first save not yet deployed."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[float, str]] = {}
        self._ready = threading.Condition()
        self.closed = False

    def put(self, services: set[str], saved: float, why: str) -> None:
        with self._ready:
            for name in services:
                self._pending.setdefault(name, (saved, why))
            self._ready.notify()

    def take(self) -> dict[str, tuple[float, str]]:
        with self._ready:
            while not self._pending and not self.closed:
                self._ready.wait()
            taken, self._pending = self._pending, {}
            return taken

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()


class DevLoop:
    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.queue = _Queue()
        self._lock = threading.Lock()
        self._graph = setup.load()
        self._failed: set[str] = set()
        self.inputs = self._inputs()
        self._rewatch = threading.Event()  # the folders to watch changed: start watching anew
        self._stopping = threading.Event()
        self._followers: dict[str, Any] = {}
        self._forwards: dict[str, Any] = {}
        self._out = threading.Lock()

    @property
    def services(self) -> list[str]:
        return [entry.name for entry in self._graph.entries]

    def run(self) -> int:
        self.queue.put(set(self.services), time.time(), "the start")
        worker = threading.Thread(target=self._work, daemon=True, name="dev turns")
        worker.start()
        with contextlib.suppress(KeyboardInterrupt):
            self._watch()
        self._stop(worker)
        return 0

    # -- watching --------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                inputs = self.inputs
            roots = inputs.roots()
            self._rewatch.clear()
            lines.info(f"Watching {len(roots)} folder(s) for changes: "
                       f"{', '.join(str(root) for root in roots)}")
            for changes in watchfiles.watch(*roots, stop_event=self._rewatch, step=STEP_MS,
                                            debounce=DEBOUNCE_MS, raise_interrupt=True):
                self._changed({Path(path) for _, path in changes})

    def _changed(self, paths: set[Path]) -> None:
        with self._lock:
            inputs = self.inputs
        affected: set[str] = set()
        for path in paths:
            affected |= inputs.affected(path)
        if ALL in affected:  # a new spec or profile: load the services again
            with self._lock:
                self._graph = self.setup.load()
                self.inputs = self._inputs()
            affected = set(self.services)
            self._rewatch.set()
        if affected:
            self.queue.put(affected, _saved_at(paths), "the save")

    def _inputs(self) -> Inputs:
        return inputs_of(self._graph, self.setup.home, self._failed)

    # -- turns -----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            taken = self.queue.take()
            if self.queue.closed:
                return
            names = [name for name in self.services if name in taken]
            if not names:
                continue
            turn = self.setup.turn
            turn.on_done = functools.partial(self._after_turn, taken)
            turn.run(names)
            if self._stopping.is_set():
                return
            self._reload()

    def _after_turn(self, taken: dict[str, tuple[float, str]], outcome: Outcome) -> None:
        self._after(outcome, *taken[outcome.service])

    def _after(self, outcome: Outcome, saved: float, why: str) -> None:
        if self._stopping.is_set():
            return
        name = outcome.service
        seconds = max(time.time() - saved, 0.0)
        if outcome.ready:
            self._failed.discard(name)
            ran = "" if outcome.ran else " (nothing to run: up to date)"
            # Logs and forward move to the new pods first: once "ready" is printed, the next
            # connection to the forwarded port reaches the new revision.
            self._reach(name)
            lines.info(f"{name}: ready in {seconds:.1f} s after {why}{ran}")
        else:
            self._failed.add(name)
            stage = outcome.failed_stage or "deploy"
            lines.error(layout(f"{name}: not deployed, the {stage} stage failed {seconds:.1f} s "
                               f"after {why} (above: why).",
                               "edit the files it names and save; still watching."))

    def _reload(self) -> None:
        """The task graph after a turn: a spec may now name other files."""
        try:
            graph = self.setup.load()
        except Exception as exc:  # e.g. two specs of one service: say so, keep the old one
            lines.error(str(exc))
            return
        with self._lock:
            self._graph = graph
            before = self.inputs.roots()
            self.inputs = self._inputs()
            if self.inputs.roots() != before:
                self._rewatch.set()

    # -- logs and forwards -------------------------------------------------------------------
    def _reach(self, name: str) -> None:
        """Follow the logs of the service's new pods and forward a port to them."""
        try:
            # here: the first turn starts before the loop pays for importing kubernetes
            from hyscale_tasks.cluster.client import connect
            from hyscale_tasks.cluster.follow import LogFollower
            from hyscale_tasks.cluster.forward import PortForward

            cluster = connect()
            follower = self._followers.get(name)
            if follower is None:
                follower = LogFollower(cluster, self.setup.namespace, self.setup.app, name,
                                       self._log_line, self._warn)
                self._followers[name] = follower
            follower.refresh()
            port = _first_port(service_paths(self.setup.home / "apps" / self.setup.app, name))
            forward = self._forwards.get(name)
            if forward is not None and forward.port != port:
                forward.stop()
                forward = None
                del self._forwards[name]
            if forward is None and port is not None:
                forward = PortForward(cluster, self.setup.namespace, self.setup.app, name, port,
                                      self._warn)
                self._forwards[name] = forward
                lines.info(f"{name}: {forward.url} forwards to its port {port} (through the "
                           "API server, to a ready pod, whichever is current)")
            elif forward is not None:
                forward.refresh()
        except Exception as exc:  # logs and forwards are a help: never end the loop
            lines.warn(f"{name}: cannot follow its logs or forward a port: {exc}")

    # The followers' and forwards' threads write through these two, and stop writing before
    # the loop ends: a daemon thread caught in a write at interpreter exit aborts the process.
    def _log_line(self, line: str) -> None:
        with self._out:
            if not self._stopping.is_set():
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

    def _warn(self, message: str) -> None:
        with self._out:
            if not self._stopping.is_set():
                lines.warn(message)

    # -- stopping ------------------------------------------------------------------------------
    def _stop(self, worker: threading.Thread) -> None:
        self._stopping.set()
        self._rewatch.set()
        self.queue.close()
        self.setup.turn.interrupt()
        worker.join(60)
        for follower in self._followers.values():
            follower.stop()
        for forward in self._forwards.values():
            forward.stop()
        with self._out:  # a line being written is written whole; no other comes after
            sys.stdout.flush()
        services = self.services
        if self.setup.undeploy_on_exit:
            lines.info(f"Stopped watching; undeploying {', '.join(services)} (--undeploy-on-exit)")
            self.setup.turn.reopen()
            self.setup.turn.run_tasks([task_name("undeploy", name) for name in services])
            self.setup.turn.close()
            return
        lines.info(f"Stopped watching. {', '.join(services)} keep running in namespace "
                   f"{self.setup.namespace}; to remove them: {self.setup.undeploy_hint(services)}")


def _saved_at(paths: set[Path]) -> float:
    """When the burst was saved: its newest file's modification time (not when the watch
    noticed it), never later than now; now for a burst of deletions."""
    now = time.time()
    times = []
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    return min(max(times), now) if times else now


def _first_port(paths: Any) -> int | None:
    """The first port of the deployed spec (the deploy-spec record), if it has one."""
    record = last_deploy_spec(paths.deploy_spec)
    if record is None:
        return None
    try:
        ports = record["spec"].get("ports") or []
        text = str(ports[0]["port"]) if ports else ""
        return int(text.split("/", 1)[0]) if text else None
    except (ValueError, KeyError, TypeError, IndexError):  # a port the spec stage let through
        return None
