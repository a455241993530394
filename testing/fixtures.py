"""pytest fixtures for the real cluster (import them from a conftest.py)::

    from testing.fixtures import cluster, kube_env  # noqa: F401

``cluster`` is a :class:`~testing.cluster.Cluster` for one test. Without the cluster's
variables (tests run outside scripts/test) the test FAILS and says how to start one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.cluster import Cluster, ClusterMissingError, KubeEnv


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
