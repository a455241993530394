"""Importing the cluster code ahead of the deploy, while the Docker engine builds.

A deploy's first step is importing the official kubernetes client and what it pulls in (about
0.3 s of CPU here), and the stage before it, a build, spends about a second waiting for the
engine with the CPU idle. So the build starts that import in a thread of its own, in whichever
process runs it: ``doit`` without ``-n`` runs every stage in the doit process, ``-n 1`` in its one
worker, so the deploy finds the import done. Under ``-n N`` the deploy may run in another worker;
that worker imports the client itself, as it would have anyway, and the import here cost only
CPU the build left idle (a worker that runs a build of a first deploy runs deploys too).
"""

from __future__ import annotations

import importlib
import sys
import threading

CLUSTER_CODE = "hyscale_tasks.cluster.deploy"
_started: set[str] = set()


def import_cluster_code() -> None:
    """Start importing the deploy's modules in the background (once per process)."""
    if CLUSTER_CODE in sys.modules or CLUSTER_CODE in _started:
        return
    _started.add(CLUSTER_CODE)
    # Not a daemon: a process that ends before the import is done waits for it rather than
    # tearing it down half-way.
    threading.Thread(target=_import, args=(CLUSTER_CODE,), name="import-cluster-code").start()


def _import(module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception:  # the deploy imports it again and reports what is wrong, if anything
        sys.modules.pop(module, None)
