"""A kubeconfig whose server is a web server, not Kubernetes: the deploy fails with one message
that names the server and the fix, not with a traceback from deep inside the client."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.endpoints import WebServer, kubeconfig_for, prebuilt_app
from testing.workspace import Workspace


@pytest.mark.parametrize("status", [200, 404])
@pytest.mark.parametrize("task", ["deploy:web", "status:web"])
def test_a_web_server_is_not_taken_for_a_cluster(workspace: Workspace, tmp_path: Path, status: int,
                                                 task: str) -> None:
    prebuilt_app(workspace.apps, "elsewhere", ("web",))
    with WebServer(status) as server:
        workspace.kubeconfig = kubeconfig_for(server.url, tmp_path / "kubeconfig")
        result = workspace.doit("app=elsewhere", task, check=False)
    assert result.returncode == 1, result
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("[ERROR]")]
    assert errors == [f"[ERROR]  {server.url} is not a Kubernetes API server: it answered with a "
                      f"web page (HTTP {status}, text/html)."], result.stderr
    assert f"  fix: point the current context of {workspace.kubeconfig} at your cluster's API " \
           "server" in result.stderr
