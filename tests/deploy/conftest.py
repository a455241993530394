"""Fixtures of the deploy tests: a stand-in cluster, apps pointed at it, a fault proxy.

* ``cluster``: the in-process Kubernetes stand-in with the scripted kubelet (tests/cluster).
* ``new_app(word, built=False, kubeconfig=None)``: an empty :class:`~tests.deploy.apps.DeployApp`
  whose doit runs talk to ``cluster`` (or to ``kubeconfig``). ``built=True`` needs the Docker
  engine and the test registry (the ``registry`` fixture FAILS the test, with the command to run,
  when the HYSCALE_TEST_* variables are missing): mark those tests ``@pytest.mark.docker``.
* ``shared_cluster``: a module-scoped stand-in, for read-only tests of one deployed app.
* ``fault_proxy``: a :class:`~tests.deploy.proxy.FaultProxy` in front of ``cluster``.
* ``stalled_deploy``: a deploy started in the background, when the first deploy test runs, against
  an API that stops answering (see tests/deploy/test_timeouts.py, which sorts last, so the 30+ s
  it takes overlap the other tests instead of adding to the run).
* ``docker_cluster``: the stand-in with the Docker kubelet (pods run as containers), from
  tests/cluster/fixtures.py; if that module does not provide it (the Docker kubelet is issue #4's
  phase 2), the tests that need it skip and say why. They only use what ``cluster`` offers too.
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

from hyscale_tasks.cluster.client import REQUEST_TIMEOUT
from tests.cluster.fixtures import Cluster, standin_cluster
from tests.cluster.fixtures import cluster as cluster
from tests.deploy.apps import RUN_ID, DeployApp, make_app, remove_images_named
from tests.deploy.proxy import FaultProxy
from tests.doit_runner import DoitResult

try:  # with the session fixtures it uses
    from tests.cluster.fixtures import docker_cluster as docker_cluster
    from tests.cluster.fixtures import docker_services as docker_services
    from tests.cluster.fixtures import standin_web_image as standin_web_image
except ImportError:  # the Docker kubelet (issue #4 phase 2) is not there yet

    @pytest.fixture
    def docker_cluster() -> Cluster:
        pytest.skip("needs the stand-in's Docker kubelet (a docker_cluster fixture in "
                    "tests/cluster/fixtures.py), not available yet")


NewApp = Callable[..., DeployApp]


@pytest.fixture
def new_app(tmp_path: Path, request: pytest.FixtureRequest) -> NewApp:
    """``new_app(word, built=False, kubeconfig=None)``: an empty app deploying to ``cluster``."""

    def factory(word: str, *, built: bool = False, kubeconfig: Path | None = None,
                target: Any = None) -> DeployApp:
        registry = None
        if built:
            registry = request.getfixturevalue("registry")  # fails clearly without the services
            request.getfixturevalue("_remove_run_images")
        if kubeconfig is None:
            handle = target if target is not None else request.getfixturevalue("cluster")
            kubeconfig = handle.kubeconfig
        root = tmp_path / word
        while root.exists():
            root = root.with_name(root.name + "x")
        return make_app(root, word, kubeconfig, registry=registry)

    return factory


@pytest.fixture(scope="session")
def _remove_run_images() -> Iterator[None]:
    """At the end of the session, remove this run's images from the shared engine (their names
    carry the run id; the registry is the session's own)."""
    yield
    remove_images_named(RUN_ID)


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A stand-in (scripted kubelet) shared by the tests of one module: for several read-only
    checks of one deployed app. Tests that change the cluster use ``cluster``."""
    with standin_cluster(tmp_path_factory.mktemp("shared-cluster")) as handle:
        yield handle


@pytest.fixture
def fault_proxy(cluster: Cluster) -> Iterator[FaultProxy]:
    url = cluster.standin.url  # the proxy needs the stand-in's plain-HTTP address
    with FaultProxy(url) as proxy:
        yield proxy


# -- a deploy against an API that stops answering, run in the background -----------------------
STALL_TEST = "test_an_api_that_stops_answering_fails_within_the_request_timeout"
STALL_HOLD = REQUEST_TIMEOUT + 4  # the proxy holds the request this long, then hangs up


@dataclass
class StalledDeploy:
    """``doit deploy:web`` whose Deployment create the proxy holds unanswered for
    :data:`STALL_HOLD` seconds; :meth:`result` waits for it and says how long it ran."""

    app: DeployApp
    cluster: Cluster
    proxy: FaultProxy
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    outcome: list[Any] = field(default_factory=list)  # [DoitResult, seconds] once done

    def result(self) -> tuple[DoitResult, float]:
        assert self.done.wait(STALL_HOLD + 60), "the stalled deploy never ended"
        result, took = self.outcome
        assert isinstance(result, DoitResult), result
        return result, took


@pytest.fixture(scope="session", autouse=True)
def stalled_deploy(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[StalledDeploy | None]:
    if not any(item.name == STALL_TEST for item in request.session.items):
        yield None
        return
    workdir = tmp_path_factory.mktemp("stalled")
    with standin_cluster(workdir) as handle:
        proxy = FaultProxy(handle.standin.url).start()
        proxy.drop("POST", r"/deployments$", after=STALL_HOLD)
        app = make_app(workdir, "stall", proxy.kubeconfig(handle.kubeconfig, workdir / "proxied"))
        app.web(props={"GREETING": "hi"})
        process = app.start(f"app={app.name}", "deploy:web")
        stalled = StalledDeploy(app, handle, proxy, time.monotonic())

        def wait() -> None:
            try:
                result = app.wait(process, check=False)
                stalled.outcome[:] = [result, time.monotonic() - stalled.started]
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
