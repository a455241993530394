"""Fixtures of the CLI tests.

* ``cluster``: the Kubernetes stand-in (tests/cluster), or the real cluster named by
  HYSCALE_TEST_KUBECONFIG.
* ``cli``: a :class:`~tests.cli.helpers.CliWorkspace` whose runs talk to ``cluster``.
* ``offline``: the same without a cluster (usage, validation, generate).
* ``app_ns``: a fresh namespace name, which is also a valid HyScale app name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import CliWorkspace, make_workspace
from tests.cluster.fixtures import Cluster, cluster

__all__ = ["cluster"]


@pytest.fixture
def cli(tmp_path: Path, cluster: Cluster) -> CliWorkspace:
    return make_workspace(tmp_path, cluster.kubeconfig)


@pytest.fixture
def offline(tmp_path: Path) -> CliWorkspace:
    workspace = make_workspace(tmp_path)
    workspace.kubeconfig = tmp_path / "no-such-kubeconfig"
    return workspace


@pytest.fixture
def app_ns(cluster: Cluster) -> str:
    """A namespace of the test's own (deleted afterwards on a real cluster); its name is a valid
    app name too, so the tests deploy app X to namespace X as doit's default does."""
    return cluster.namespace("cli")
