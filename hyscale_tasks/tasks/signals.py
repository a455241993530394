"""Ctrl-C and SIGTERM end a ``doit`` run cleanly: one line, no traceback, no process left behind.

doit saves the records of the tasks that finished when a KeyboardInterrupt unwinds its runner, and
with ``-n N`` it then terminates its workers; but the KeyboardInterrupt itself reaches the top of
``doit`` and Python prints it as an 80-line traceback. SIGTERM (a CI job cancelled, ``kill``) is
worse: its default ends the main process at once, saves nothing and leaves the workers blocked on
their job queue for ever (doit-notes §5). So, when the tasks are loaded:

* SIGTERM raises KeyboardInterrupt, like Ctrl-C. The workers are forked after this, so they
  inherit it: the SIGTERM doit sends them on the way out unwinds them as well. A worker that
  is already unwinding (a terminal's Ctrl-C reached it too) ends at once on the next signal:
  raised again, it would interrupt multiprocessing's own exit and print its traceback;
* a KeyboardInterrupt that reaches the top of the process is printed as one line. Python then
  ends the process as interrupted (status 130 in a shell), as it does for any Ctrl-C.

The ``hyscale`` command catches KeyboardInterrupt itself (cli/__init__.py); this only makes
sure plain ``doit`` behaves as well.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType, TracebackType

from hyscale_tasks import lines

INTERRUPTED = ("Interrupted{by}: the tasks that finished are recorded; run the same command "
               "again to continue from there.")
_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


def _interrupt(signum: int, frame: FrameType | None) -> None:
    pid = os.getpid()
    if pid != _main_pid and pid in _interrupted:
        os._exit(128 + signum)  # its task's records are the main process's to keep, not its
    _interrupted.add(pid)
    raise KeyboardInterrupt(_NAMES.get(signal.Signals(signum), f"signal {signum}"))


def _report(kind: type[BaseException], value: BaseException,
            traceback: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        by = f" ({value.args[0]})" if value.args and value.args[0] in _NAMES.values() else ""
        lines.error(INTERRUPTED.format(by=by))
        return
    _previous_hook(kind, value, traceback)


_previous_hook = sys.excepthook
_main_pid = 0  # the process that loaded the tasks; the others are its workers
_interrupted: set[int] = set()


def install() -> None:
    """Install the handlers in this process (once; only from the main thread, the only one that
    may; a signal the parent set to be ignored stays ignored)."""
    global _previous_hook, _main_pid
    if threading.current_thread() is not threading.main_thread() or sys.excepthook is _report:
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
    _main_pid = os.getpid()
    _previous_hook = sys.excepthook
    sys.excepthook = _report
