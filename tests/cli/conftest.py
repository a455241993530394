"""Fixtures of the CLI tests.

* ``cluster``: one test's view of the real test cluster (testing/cluster.py): the namespaces it tracks
  are deleted after the test.
* ``cli``: a :class:`~testing.workspace.Workspace` whose runs talk to ``cluster`` as the tool's
  user, with the test registry's docker login (the tool turns it into the image-pull Secret the
  pods pull the test image with).
* ``offline``: the same without a cluster (usage, validation, generate).
* ``app_ns``: a fresh namespace name, which is also a valid HyScale app name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.cli import cluster_workspace, offline_workspace
from testing.cluster import Cluster
from testing.fixtures import cluster as cluster
from testing.fixtures import kube_env as kube_env
from testing.registry import Registry
from testing.workspace import Workspace


@pytest.fixture
def cli(tmp_path: Path, cluster: Cluster, registry: Registry) -> Workspace:
    return cluster_workspace(tmp_path, cluster, registry)


@pytest.fixture
def offline(tmp_path: Path) -> Workspace:
    return offline_workspace(tmp_path)


@pytest.fixture
def app_ns(cluster: Cluster) -> str:
    """A namespace of the test's own (deleted afterwards); its name is a valid app name too, so
    the tests deploy app X to namespace X as doit's default does."""
    return cluster.namespace("cli")
