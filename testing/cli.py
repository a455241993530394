"""Workspaces for the ``hyscale`` command's tests.

:func:`cluster_workspace` is a :class:`~testing.workspace.Workspace` whose ``hyscale`` and
``doit`` runs talk to the test cluster as the tool's user, logged in to the test registry (the
tool turns the login into the image-pull Secret the pods pull the test image with), with the
test image's name for :meth:`~testing.workspace.Workspace.testapp`. The tests' specs are written
at any path, as a user's are; the offline tests (usage, validation, generate) name any image
(:meth:`~testing.workspace.Workspace.prebuilt`), and a ``@pytest.mark.docker`` test a built one
(a buildSpec on the test registry's stack image, tests/cli/test_docker.py).

Nothing on the test cluster assigns a LoadBalancer address, so these workspaces do not let an
external service's deploy wait for one (:data:`NO_LB_WAIT`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testing.cluster import Cluster
from testing.registry import Registry
from testing.testimage import APP_IMAGE_ENV
from testing.workspace import Workspace

NO_LB_WAIT = "0"  # HYS_LB_READY_TIMEOUT of the CLI tests' workspaces, unless extra_env says otherwise


def cluster_workspace(root: Path, cluster: Cluster, registry: Registry) -> Workspace:
    """A workspace under ``root`` talking to ``cluster``, logged in to the test registry."""
    image = os.environ.get(APP_IMAGE_ENV)
    if not image:
        pytest.fail(f"{APP_IMAGE_ENV} is not set: run the tests through scripts/test, which pushes "
                    "the test image (testing/testapp) to the test registry", pytrace=False)
    return Workspace.create(root, kubeconfig=cluster.kubeconfig, app_image=image,
                            lb_ready_timeout=NO_LB_WAIT,
                            logins={registry.host: (registry.user, registry.password)})


def offline_workspace(root: Path) -> Workspace:
    """A workspace under ``root`` whose cluster is a kubeconfig that does not exist."""
    return Workspace.create(root, kubeconfig=root / "no-such-kubeconfig", lb_ready_timeout=NO_LB_WAIT)
