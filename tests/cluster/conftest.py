"""Fixtures of the deploy tests: the real cluster, apps pointed at it, a fault proxy.

* ``cluster``, ``new_app(word, built=False, kubeconfig=None)``: one test's view of the test
  cluster, and empty apps deploying to it (testing/fixtures.py).
* ``shared_cluster``: a module-scoped view, for read-only tests of one deployed app.
* ``fault_proxy``: a :class:`~testing.proxy.FaultProxy` in front of the API server.
* ``stalled_deploy``: a deploy started in the background, when the first deploy test runs, against
  an API that stops answering (see tests/cluster/test_timeouts.py, which sorts last, so the 30+ s
  it takes overlap the other tests instead of adding to the run). Its requests reach the API
  server as the tests' own user, so the other tests' audit counts do not see them.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from hyscale_tasks.cluster.client import READ_RETRIES
from testing.cluster import Cluster, KubeEnv
from testing.deploy_app import STALL_HOLD, STALL_TEST, StalledDeploy, make_app
from testing.fixtures import _remove_run_images as _remove_run_images
from testing.fixtures import cluster as cluster
from testing.fixtures import kube_env as kube_env
from testing.fixtures import new_deploy_app as new_deploy_app
from testing.proxy import FaultProxy
from testing.registry import Registry


@pytest.fixture(scope="module")
def shared_cluster(kube_env: KubeEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A view of the cluster shared by the tests of one module: for several read-only checks of
    one deployed app. Tests that change the cluster use ``cluster``."""
    handle = Cluster(kube_env, tmp_path_factory.mktemp("shared-cluster"))
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def fault_proxy(cluster: Cluster) -> Iterator[FaultProxy]:
    with FaultProxy(cluster.kubeconfig) as proxy:
        yield proxy


# -- a deploy against an API that stops answering, run in the background -----------------------
@pytest.fixture(scope="session", autouse=True)
def stalled_deploy(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[StalledDeploy | None]:
    if not any(item.name == STALL_TEST for item in request.session.items):
        yield None
        return
    env: KubeEnv = request.getfixturevalue("kube_env")
    registry: Registry = request.getfixturevalue("registry")
    workdir = tmp_path_factory.mktemp("stalled")
    handle = Cluster(env, workdir)
    proxy = FaultProxy(env.admin_kubeconfig).start()
    proxy.drop("PATCH", r"/deployments/web$", after=STALL_HOLD, times=READ_RETRIES + 1)
    app = make_app(workdir, "stall", proxy.kubeconfig(env.admin_kubeconfig, workdir / "proxied"),
                   registry=registry)
    handle.track(app.namespace)
    app.web(props={"GREETING": "hi"})
    process = app.start(f"app={app.name}", "deploy:web")
    stalled = StalledDeploy(app, handle, proxy, time.monotonic())

    def wait() -> None:
        try:
            result = app.wait(process, check=False)
            stalled.outcome[:] = [result, time.monotonic()]
        except BaseException as exc:  # reported by result()
            stalled.outcome[:] = [exc, 0.0]
        finally:
            stalled.done.set()

    threading.Thread(target=wait, daemon=True, name="stalled-deploy").start()
    try:
        yield stalled
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the doit this fixture started
        stalled.done.wait(10)
        proxy.stop()
        handle.close()
