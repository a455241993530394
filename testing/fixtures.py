"""pytest fixtures for the real cluster and the apps deployed to it, for the conftest.py files
of the tests that deploy (import them there, as tests/cluster/conftest.py does)::

    from testing.fixtures import cluster as cluster

* ``kube_env``: the test cluster's settings, from the HYSCALE_TEST_* variables. Without them
  (tests run outside scripts/test) the test FAILS and says how to start the cluster.
* ``cluster``: a :class:`~testing.cluster.Cluster` for one test: its namespaces go after the
  test, and ``cluster.audit()`` lists the tool's requests about them.
* ``new_app``: ``new_app(word, built=False, kubeconfig=None)``, an empty
  :class:`~testing.workspace.Workspace` whose doit runs talk to ``cluster`` (or to
  ``kubeconfig``, e.g. a fault proxy's), with the test registry's login; ``built=True``
  services are built and pushed with the real Docker engine, and this run's images are removed
  from the engine at the end of the session (``_remove_run_images``, which goes with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.cluster import Cluster, ClusterMissingError, KubeEnv
from testing.deploy_app import RUN_ID, make_app
from testing.images import remove_images_named
from testing.registry import Registry
from testing.workspace import NewApp, Workspace


@pytest.fixture(scope="session")
def kube_env() -> KubeEnv:
    try:
        return KubeEnv.from_env()
    except ClusterMissingError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)


@pytest.fixture
def cluster(kube_env: KubeEnv, tmp_path: Path) -> Iterator[Cluster]:
    handle = Cluster(kube_env, tmp_path)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture(name="new_app")
def new_deploy_app(tmp_path: Path, request: pytest.FixtureRequest, cluster: Cluster,
                   registry: Registry) -> NewApp:
    """``new_app(word, built=False, kubeconfig=None)``: an empty app deploying to ``cluster``."""

    def factory(word: str, *, built: bool = False, kubeconfig: Path | None = None) -> Workspace:
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
