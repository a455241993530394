"""kubectl against the stand-in: ``get deployments`` and ``apply`` (skips without kubectl).

The stand-in serves no OpenAPI documents, so kubectl's client-side schema validation needs
``--validate=false`` (kubectl says so itself); everything else is as against a cluster.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cluster.builders import deployment
from tests.cluster.fixtures import Cluster

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def _kubectl(cluster: Cluster, tmp_path: Path, *args: str) -> str:
    assert KUBECTL is not None
    env = dict(os.environ, KUBECONFIG=str(cluster.kubeconfig), HOME=str(tmp_path))
    done = subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_kubectl_apply_and_get_deployments(cluster: Cluster, tmp_path: Path) -> None:
    ns = cluster.namespace()
    manifest = tmp_path / "web.yaml"
    manifest.write_text(yaml.safe_dump(deployment("web", image=cluster.image, replicas=2)))
    assert "deployment.apps/web created" in _kubectl(
        cluster, tmp_path, "apply", "--validate=false", "-n", ns, "-f", str(manifest)
    )
    assert "deployment.apps/web unchanged" in _kubectl(
        cluster, tmp_path, "apply", "--validate=false", "-n", ns, "-f", str(manifest)
    )
    changed = deployment("web", image=cluster.image, replicas=2)
    changed["metadata"]["labels"]["tier"] = "front"
    manifest.write_text(yaml.safe_dump(changed))
    assert "deployment.apps/web configured" in _kubectl(
        cluster, tmp_path, "apply", "--validate=false", "-n", ns, "-f", str(manifest)
    )

    def ready_row() -> str | None:
        out = _kubectl(cluster, tmp_path, "get", "deployments", "-n", ns)
        return out if "2/2" in out else None

    out = cluster.wait_for(ready_row, timeout=60, what="kubectl to show 2/2")
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert row.split()[:4] == ["web", "2/2", "2", "2"]
    tier = _kubectl(
        cluster, tmp_path, "get", "deployment", "web", "-n", ns, "-o", "jsonpath={.metadata.labels.tier}"
    )
    assert tier == "front"
