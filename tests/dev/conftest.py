"""Fixtures of the dev-loop tests: the loop run as a user runs it, a subprocess, on the real cluster.

* ``new_app``, ``cluster`` (testing/fixtures.py): an app of the test's own and the cluster.
* ``dev``: ``dev(app, *args, doit=False)`` starts ``hyscale dev -f <the app's specs> -a <app>
  -n <app> ARGS`` (``doit=True``: ``doit apps=... app=<app> dev ARGS``) and returns a
  :class:`~testing.dev.DevRun`, which reads its output as it comes and waits for lines; every loop a test
  started is interrupted and waited for afterwards, and no process of it may be left.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testing.dev import DevRun, StartDev, start_dev
from testing.fixtures import _remove_run_images as _remove_run_images
from testing.fixtures import cluster as cluster
from testing.fixtures import kube_env as kube_env
from testing.fixtures import new_deploy_app as new_deploy_app
from testing.workspace import Workspace


@pytest.fixture
def dev() -> Iterator[StartDev]:
    started: list[DevRun] = []

    def start(app: Workspace, *args: str, doit: bool = False) -> DevRun:
        run = start_dev(app, *args, doit=doit)
        started.append(run)
        return run

    yield start
    for run in started:
        run.stop()
        assert not run.leftovers(), run.leftovers()
