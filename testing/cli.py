"""Workspaces for the ``hyscale`` command's tests.

A :class:`CliWorkspace` is a :class:`~testing.workspace.Workspace` (apps folder, HYSCALE_HOME,
DOCKER_CONFIG; ``hyscale`` and ``doit`` runs) whose runs also get a KUBECONFIG (the test
cluster's, as the tool's user), and whose specs are written at any path, as a user's are. It
writes the kinds of spec the CLI tests need:

* :meth:`CliWorkspace.testapp`: the prebuilt test image (testing/testapp) in the test registry,
  nothing to build or push; the pods pull it with the image-pull Secret the tool makes from the
  workspace's docker login. Its ``TESTAPP_*`` props make it fail for real
  (:mod:`testing.testimage`);
* :meth:`CliWorkspace.prebuilt`: any image name, for the offline tests (generate, validation);
* for ``@pytest.mark.docker`` tests, a *built* one (a buildSpec on the test registry's stack
  image, tests/cli/test_docker.py).

Nothing on the test cluster assigns a LoadBalancer address, so an external service's deploy
does not wait for one (HYS_LB_READY_TIMEOUT=0 unless ``extra_env`` says otherwise).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.cluster import Cluster
from testing.registry import Registry
from testing.testimage import APP_IMAGE_ENV
from testing.workspace import Workspace


@dataclass
class CliWorkspace(Workspace):
    app_image: str = ""  # the test image in the test registry (registry/hyscale-tests/testapp:1.0)
    lb_ready_timeout: str = field(default="0", kw_only=True)

    # -- specs at any path ----------------------------------------------------------------------
    def prebuilt(self, path: Path, service: str, image: str, **more: Any) -> Path:
        """A spec whose image exists already (``registry/name:tag``): deploy runs no Docker."""
        registry, _, rest = image.partition("/")
        name, _, tag = rest.rpartition(":")
        spec: dict[str, Any] = {"name": service,
                                "image": {"registry": registry, "name": name, "tag": tag},
                                "props": {"GREETING": "hello"},
                                "external": True,
                                "ports": [{"port": "8080/http"}]}
        spec.update(more)
        return self.write(path, spec)

    def testapp(self, path: Path, service: str, *, props: dict[str, str] | None = None,
                external: bool = False, health: bool = False, **more: Any) -> Path:
        """A service of the test image: httpd on 8080; ``props`` go on top of GREETING=hello;
        ``health``: an HTTP health check on / (with HyScale's probe timing a pod is ready only
        ~30 s after it starts, so only the tests about health checks have one)."""
        assert self.app_image, "a testapp service needs the cli fixture (the test registry's image)"
        port: dict[str, Any] = {"port": "8080/http"}
        if health:
            port["healthCheck"] = {"httpPath": "/"}
        return self.prebuilt(path, service, self.app_image,
                             props={"GREETING": "hello", **(props or {})}, external=external,
                             ports=[port], **more)

    def edit(self, path: Path, **changes: Any) -> None:
        spec = yaml.safe_load(path.read_text())
        spec.update(changes)
        self.write(path, spec)


def cluster_workspace(root: Path, cluster: Cluster, registry: Registry) -> CliWorkspace:
    """A workspace under ``root`` talking to ``cluster``, logged in to the test registry."""
    image = os.environ.get(APP_IMAGE_ENV)
    if not image:
        pytest.fail(f"{APP_IMAGE_ENV} is not set: run the tests through scripts/test, which pushes "
                    "the test image (testing/testapp) to the test registry", pytrace=False)
    return CliWorkspace.create(root, kubeconfig=cluster.kubeconfig, app_image=image,
                               logins={registry.host: (registry.user, registry.password)})
