"""A ``doit`` run ends as soon as its exit handlers have run and its output is flushed.

As a Python process ends it runs the cyclic garbage collector over everything still alive, then
clears every module: for a doit run that is every module, task and record loaded, 40-50 ms of a
no-op deploy's ~0.2 s, spent freeing memory the process is about to give back whole. So:

* the collector's last pass is skipped (an exit handler freezes what is alive), in every
  process that loads the tasks;
* when ``doit``'s own entry point (``doit``, ``python -m doit``) exits with the run's status, the
  exit handlers run (the tool log's flush, multiprocessing's joins, temporary folders), the
  standard streams are flushed, and the process ends there with that status (``os._exit``),
  without clearing the modules (~20 ms). Any other ``sys.exit`` (in a command of ours, in a
  library) raises SystemExit as always, so the ``finally`` blocks above it still run. Threads
  still running then are stopped rather than waited for: the read-ahead threads are daemons
  already, and every thread pool of the stages is shut down where it is used.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from typing import Any, NoReturn

_registered: list[bool] = []
_exit = sys.exit
_DOIT_MAIN = os.path.join("doit", "__main__.py")  # doit's entry point: `doit`, `python -m doit`


def install() -> None:
    """Once per process, before any other exit handler of the run is registered."""
    if not _registered:
        _registered.append(True)
        atexit.register(gc.freeze)
        sys.exit = _exit_quickly_from_doit


def _exit_quickly_from_doit(status: Any = None) -> NoReturn:
    caller = sys._getframe(1).f_code
    if caller.co_name != "main" or not caller.co_filename.endswith(_DOIT_MAIN):
        _exit(status)
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:  # what SystemExit does with any other object: print it, status 1
        print(status, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing reaches it
            stream.flush()
    os._exit(code)
