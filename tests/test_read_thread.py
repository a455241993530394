"""The read thread: queued calls run in order, in one thread; a forked process gets its own."""

from __future__ import annotations

import os
import threading
import time
from functools import partial

import pytest

from hyscale_tasks.read_thread import ReadThread


def test_calls_run_in_order_in_one_thread_and_errors_reach_the_caller() -> None:
    reads = ReadThread("test-reads")
    seen: list[tuple[int, str]] = []

    def read(number: int) -> int:
        time.sleep(0.01 if number == 0 else 0)  # the first is slowest: order, not speed
        seen.append((number, threading.current_thread().name))
        return number * 10

    futures = [reads.submit(partial(read, n)) for n in range(5)]
    assert [f.result(timeout=5) for f in futures] == [0, 10, 20, 30, 40]
    assert seen == [(n, "test-reads") for n in range(5)]

    def refused() -> int:
        raise ConnectionRefusedError("no")

    with pytest.raises(ConnectionRefusedError):
        reads.call(refused)
    assert reads.call(lambda: threading.current_thread().name) == "test-reads"


def test_a_forked_process_reads_through_a_thread_of_its_own() -> None:
    reads = ReadThread("test-reads")
    assert reads.call(lambda: 1) == 1  # the parent's thread is running
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's outcome is its exit status)
        try:
            answer = reads.submit(lambda: threading.current_thread().name).result(timeout=5)
            os._exit(0 if answer == "test-reads" else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0  # not 2: it did not wait for a thread it lacks
