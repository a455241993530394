"""A thread of its own that makes reads one after the other, for callers that queue them before
they need the answers.

The up-to-date checks of a run need a handful of answers from the registry and the cluster, and
doit asks the checks one task at a time: each read was a round trip with the doit process idle.
Queued here ahead of time (tasks/uptodate.py, cluster/insync.py), the reads are made while the
doit process goes on with the checks that read only files. One thread per connection, the reads
one after the other as on one kept connection: a new TLS connection to the API server costs more
(~8 ms here) than three reads on a kept one.

A daemon thread: a run that ends, or fails, with reads still queued does not wait for them. A
process forked from this one (doit's ``-n N`` workers) starts with no thread and an empty queue,
and a read it asks for starts its own thread.
"""

from __future__ import annotations

import os
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class ReadThread:
    """Runs the calls given to :meth:`submit` in order, in one thread of its own."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._reset()
        _ALL.add(self)

    def _reset(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = \
            queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, call: Callable[[], T]) -> Future[T]:
        """Queue ``call``; its answer (or what it raised) comes through the future."""
        future: Future[T] = Future()
        self._queue.put((future, call))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        return future

    def call(self, call: Callable[[], T]) -> T:
        """``call()``, made in this thread (after what is queued before it), its answer here."""
        if threading.current_thread() is self._thread:
            return call()
        return self.submit(call).result()

    def _run(self) -> None:
        while True:
            future, call = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as exc:  # the caller that waits for the answer gets it
                future.set_exception(exc)


_ALL: weakref.WeakSet[ReadThread] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The thread does not exist in the child: calls queued there would wait forever.
    for reads in list(_ALL):
        reads._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
