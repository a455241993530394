"""The example apps in apps/ deploy for real: built, pushed, pulled by the Docker kubelet, ready.

The specs name ``localhost:5000`` and ``busybox:1.36``; the test points them at the test
registry and its stack image (nothing can be pulled from the internet here).
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from kubernetes import client

from tests.deploy.apps import DeployApp, status_rows
from tests.deploy.conftest import NewApp
from tests.doit_runner import APPS

pytestmark = pytest.mark.docker


def _copy_example(app: DeployApp, example: str, services: list[str]) -> None:
    for spec in services:
        text = (APPS / example / f"{spec}.hspec").read_text()
        text = text.replace("localhost:5000", app.registry_host)
        text = text.replace("busybox:1.36", app.stack_image)
        text = text.replace(f"name: {example}/", f"name: {app.name}/")
        (app.folder / f"{spec}.hspec").write_text(text)
    for item in (APPS / example).iterdir():
        if item.is_dir():
            shutil.copytree(item, app.folder / item.name, dirs_exist_ok=True)


def _running(app: DeployApp) -> dict[str, str]:
    return {name: row["Status"] for name, row in status_rows(app.run("app-status")).items()}


def test_hello_deploys_and_answers(new_app: NewApp, docker_cluster: Any, registry: Any) -> None:
    app = new_app("hello", built=True, target=docker_cluster)
    _copy_example(app, "hello", ["web"])
    app.deploy()
    assert _running(app) == {"web": "Running"}
    pod = client.CoreV1Api(docker_cluster.api_client()).list_namespaced_pod(
        app.namespace, label_selector="hyscale.io/service-name=web").items[0].metadata.name
    import urllib.request

    with urllib.request.urlopen(docker_cluster.url(app.namespace, pod, 8080, "/"), timeout=10) as answer:
        assert "Hello from a HyScale service" in answer.read().decode()
    assert "starting hello on port 8080 (Hello from HyScale)" in app.run("logs:web").stdout
    assert app.deploy().executed == []


def test_store_deploys_with_its_own_secret(new_app: NewApp, docker_cluster: Any,
                                           registry: Any) -> None:
    app = new_app("store", built=True, target=docker_cluster)
    _copy_example(app, "store", ["store"])
    core = client.CoreV1Api(docker_cluster.api_client())
    # List-form secrets name a Secret the user creates first, as the app's README says.
    core.create_namespace({"metadata": {"name": app.namespace}})
    core.create_namespaced_secret(app.namespace, {
        "metadata": {"name": f"{app.name}-store"}, "stringData": {"STORE_PASSWORD": "s3cret"}})
    app.deploy()
    assert _running(app) == {"store": "Running"}
    claims = core.list_namespaced_persistent_volume_claim(app.namespace).items
    assert sorted(c.metadata.name for c in claims) == ["data-store-0", "logs-store-0"]


def test_shop_backends_deploy_with_profiles(new_app: NewApp, docker_cluster: Any,
                                            registry: Any) -> None:
    """catalog and cart, with the prod profile (an autoscaler for cart); the frontend's metrics
    sidecar names a plain busybox image, which has nothing to run (see the closing note)."""
    app = new_app("shop", built=True, target=docker_cluster)
    _copy_example(app, "shop", ["catalog", "cart"])
    app.deploy(extra=["profile=prod"])
    assert _running(app) == {"cart": "Running", "catalog": "Running"}
    hpas = client.AutoscalingV2Api(docker_cluster.api_client()) \
        .list_namespaced_horizontal_pod_autoscaler(app.namespace).items
    assert [h.metadata.name for h in hpas] == [f"{app.name}-cart"]
