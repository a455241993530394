"""Importing the cluster code ahead of the deploy, while the Docker engine builds.

A deploy's first step is importing the official kubernetes client and what it pulls in (about
0.3 s of CPU here), and the stage before it, a build, spends about a second waiting for the
engine with the CPU idle. So the build starts that import in a thread of its own, in whichever
process runs it: ``doit`` without ``-n`` runs every stage in the doit process, ``-n 1`` in its one
worker, so the deploy finds the import done. Under ``-n N`` the deploy may run in another worker;
that worker imports the client itself, as it would have anyway, and the import here cost only
CPU the build left idle (a worker that runs a build of a first deploy runs deploys too).

Without a build (a prop changed), the deploy's worker first validates the spec and renders the
manifests, then waits while the doit process checks the other services' stages: the spec stage
starts the import too, when the run deploys (:func:`expect_deploy`: the reporter says so
before any stage runs and before doit forks its workers), so the wait is spent on it. A render
(``doit``, ``doit manifests``) imports nothing.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterable

from hyscale_tasks.tasks.names import split_task_name

CLUSTER_CODE = "hyscale_tasks.cluster.deploy"
DEPLOY = "deploy"
_started: set[str] = set()
_deploying: list[bool] = []


def expect_deploy(selected_tasks: Iterable[str]) -> None:
    """Note whether this run's tasks include a deploy (``deploy``, ``deploy:web``)."""
    _deploying[:] = [any(split_task_name(name)[0] == DEPLOY for name in selected_tasks)]


def import_if_deploying() -> None:
    """:func:`import_cluster_code` when the run deploys (module doc)."""
    if any(_deploying):
        import_cluster_code()


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
