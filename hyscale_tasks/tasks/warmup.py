"""Importing the docker SDK and the cluster code ahead of their use, while a build waits.

A deploy's first step is importing the official kubernetes client and what it pulls in (about
0.3 s of CPU here), and the stage before it, a build, spends about a second waiting for the
engine with the CPU idle; the build itself needs the docker SDK (~0.1 s) only once it has read
its inputs and asked the registry whether the image is there already. So the build starts both
imports in one thread of its own, the SDK first, in whichever process runs it (``doit`` without
``-n`` runs every stage in the doit process, ``-n N`` a service's stages in one worker:
tasks/workers.py), and the build and the deploy find them done. The build's every use of the
SDK, its lazy imports too, goes through one module (image/engine.py): the thread's import and
the build meet at that module's import lock, never inside the SDK's own packages.

A stage does not start while the import runs (:func:`settle`).

Not done without a build (a prop changed), though the deploy's worker then waits while the doit
process checks the other services: started as the spec stage ended, the import moved the apply
of one prop change 20 ms earlier under ``-n 1`` and 0.14 s later under ``-n 4`` (the next stage
in that worker waited for it, the deploy ran in another and imported again; median of 6-8).
That was measured before a service's stages stayed in one worker (tasks/workers.py), and not
measured again since.
"""

from __future__ import annotations

import importlib
import sys
import threading

IMAGE_CODE = "hyscale_tasks.image.engine"
CLUSTER_CODE = "hyscale_tasks.cluster.deploy"


def import_ahead(*modules: str) -> None:
    """Start importing ``modules``, one after the other, in the background (once per process)."""
    wanted = [module for module in modules if module not in sys.modules]
    if not wanted or _threads:
        return
    # Not a daemon: a process that ends before the import is done waits for it rather than
    # tearing it down half-way.
    thread = threading.Thread(target=_import, args=(wanted,), name="import-ahead")
    _threads.append(thread)
    thread.start()


def settle() -> None:
    """Wait until an import started here is done; every stage calls it before it starts.
    Two threads that import packages sharing dependencies can each get the other's
    half-initialized module: a build importing the docker SDK while this imported the kubernetes
    client failed on requests (``cannot import name ... from partially initialized module``).
    So the import runs only beside the rest of the stage that started it (which imports nothing
    it does not reach through image/engine.py, the module the thread imports first) and beside
    the wait for doit's next job."""
    for thread in _threads:
        if thread is not threading.current_thread():
            thread.join()


_threads: list[threading.Thread] = []


def _import(modules: list[str]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # the stage imports it again and reports what is wrong, if anything
            sys.modules.pop(module, None)
