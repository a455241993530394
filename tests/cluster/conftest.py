"""Fixtures of the deploy tests: the real cluster, apps pointed at it, a fault proxy.

* ``cluster``: one test's view of the test cluster (testing/cluster.py): its namespaces go after the
  test, and ``cluster.audit()`` lists the tool's requests about them.
* ``new_app(word, built=False, kubeconfig=None)``: an empty :class:`~testing.deploy_app.DeployApp`
  whose doit runs talk to ``cluster`` (or to ``kubeconfig``, e.g. a fault proxy's), with the test
  registry's login; ``built=True`` services are built and pushed with the real Docker engine.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hyscale_tasks.cluster.client import READ_RETRIES, REQUEST_TIMEOUT
from testing.cluster import Cluster, KubeEnv
from testing.deploy_app import RUN_ID, DeployApp, make_app
from testing.fixtures import cluster as cluster
from testing.fixtures import kube_env as kube_env
from testing.images import remove_images_named
from testing.proxy import FaultProxy
from testing.registry import Registry
from testing.workspace import DoitResult

NewApp = Callable[..., DeployApp]


@pytest.fixture
def new_app(tmp_path: Path, request: pytest.FixtureRequest, cluster: Cluster,
            registry: Registry) -> NewApp:
    """``new_app(word, built=False, kubeconfig=None)``: an empty app deploying to ``cluster``."""

    def factory(word: str, *, built: bool = False, kubeconfig: Path | None = None) -> DeployApp:
        if built:
            request.getfixturevalue("_remove_run_images")
        root = tmp_path / word
        while root.exists():
            root = root.with_name(root.name + "x")
        app = make_app(root, word, kubeconfig or cluster.kubeconfig, registry=registry)
        cluster.track(app.namespace)
        return app

    return factory


@pytest.fixture(scope="session")
def _remove_run_images() -> Iterator[None]:
    """At the end of the session, remove this run's images from the shared engine (their names
    carry the run id; the registry is the session's own)."""
    yield
    remove_images_named(RUN_ID)


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
STALL_TEST = "test_an_api_that_stops_answering_fails_within_the_request_timeout"
STALL_HOLD = REQUEST_TIMEOUT + 4  # the proxy holds each try this long, then hangs up


@dataclass
class StalledDeploy:
    """``doit deploy:web`` whose Deployment apply the proxy holds unanswered for
    :data:`STALL_HOLD` seconds, each try; :meth:`result` waits for it and says how long it ran after the
    proxy got that request (not from its start: how long doit takes to load and get there
    depends on the machine's load, the request timeout does not)."""

    app: DeployApp
    cluster: Cluster
    proxy: FaultProxy
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    outcome: list[Any] = field(default_factory=list)  # [DoitResult, time.monotonic() at its end]

    def result(self) -> tuple[DoitResult, float]:
        assert self.done.wait((READ_RETRIES + 1) * STALL_HOLD + 60), "the stalled deploy never ended"
        result, ended = self.outcome
        assert isinstance(result, DoitResult), result
        stalled = [f.at for f in self.proxy.fired if f.kind == "drop"]
        assert stalled, f"the proxy never got the request to hold:\n{result.stdout}\n{result.stderr}"
        return result, ended - stalled[0]


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
