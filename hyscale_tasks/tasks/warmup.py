"""Importing the cluster code ahead of the deploy, while the Docker engine builds.

A deploy's first step is importing the official kubernetes client and what it pulls in (about
0.3 s of CPU here), and the stage before it, a build, spends about a second waiting for the
engine with the CPU idle. So the build starts that import in a thread of its own, in whichever
process runs it: ``doit`` without ``-n`` runs every stage in the doit process, ``-n 1`` in its one
worker, so the deploy finds the import done. Under ``-n N`` the deploy may run in another worker;
that worker imports the client itself, as it would have anyway, and the import here cost only
CPU the build left idle (a worker that runs a build of a first deploy runs deploys too).

A stage does not start while the import runs (:func:`settle`).

Not done without a build (a prop changed), though the deploy's worker then waits while the doit
process checks the other services: started as the spec stage ended, the import moved the apply
of one prop change 20 ms earlier under ``-n 1`` and 0.14 s later under ``-n 4`` (the next stage
in that worker waited for it, the deploy ran in another and imported again; median of 6-8).
"""

from __future__ import annotations

import importlib
import sys
import threading

CLUSTER_CODE = "hyscale_tasks.cluster.deploy"


def import_cluster_code() -> None:
    """Start importing the deploy's modules in the background (once per process)."""
    if CLUSTER_CODE in sys.modules or _threads:
        return
    # Not a daemon: a process that ends before the import is done waits for it rather than
    # tearing it down half-way.
    thread = threading.Thread(target=_import, args=(CLUSTER_CODE,), name="import-cluster-code")
    _threads.append(thread)
    thread.start()


def settle() -> None:
    """Wait until an import started here is done; every stage calls it before it starts.
    Two threads that import packages sharing dependencies can each get the other's
    half-initialized module: a build importing the docker SDK while this imported the kubernetes
    client failed on requests (``cannot import name ... from partially initialized module``).
    So the import runs only while its process does no other import: the rest of the stage that
    started it, which imported what it needs first, and the wait for doit's next job."""
    for thread in _threads:
        if thread is not threading.current_thread():
            thread.join()


_threads: list[threading.Thread] = []


def _import(module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception:  # the deploy imports it again and reports what is wrong, if anything
        sys.modules.pop(module, None)
