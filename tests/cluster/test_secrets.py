"""Secret values (map secrets of the service and of a sidecar, the registry login) never appear in
the tool's output, in any annotation of any object, or in a file others can read."""

from __future__ import annotations

import base64
import json
import stat
from typing import Any

from kubernetes import client

from testing.cluster import Cluster
from testing.registry import Registry
from testing.testimage import crash
from testing.workspace import TEST_IMAGE, NewApp, Workspace, files_under

SERVICE_SECRET = "svc-secret-Q7x9-" + "a" * 4
NEW_SERVICE_SECRET = "svc-secret-R8y0-" + "b" * 4
AGENT_SECRET = "agent-secret-K2m5-" + "c" * 4
KINDS = [("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"), ("v1", "Pod"), ("v1", "Event"),
         ("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet"),
         ("v1", "PersistentVolumeClaim")]


def _forms(registry: Registry, *values: str) -> list[str]:
    """A value as it could leak: as is, and base64 as in a Secret's data or a docker login."""
    found = []
    for value in (*values, registry.password):
        found += [value, base64.b64encode(value.encode()).decode()]
    found.append(registry.auth)  # base64 user:password, as in the image pull Secret
    return found


def _objects(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    dynamic = cluster.dynamic_client()
    found = []
    for api_version, kind in KINDS:
        resource = dynamic.resources.get(api_version=api_version, kind=kind)
        found += [item.to_dict() for item in resource.get(namespace=namespace).items]
    return found


def _check_cluster(cluster: Cluster, app: Workspace, leaks: list[str]) -> None:
    for obj in _objects(cluster, app.namespace):
        where = f"{obj.get('kind')} {obj['metadata']['name']}"
        annotations = json.dumps(obj["metadata"].get("annotations") or {})
        for leak in leaks:
            assert leak not in annotations, f"a secret value in the annotations of {where}"
        if obj.get("kind") != "Secret":  # a Secret's data is where the values belong
            text = json.dumps(obj)
            for leak in leaks:
                assert leak not in text, f"a secret value in {where}"


def _check_output(app: Workspace, leaks: list[str]) -> None:
    for result in app.results:
        for leak in leaks:
            assert leak not in result.stdout + result.stderr, f"a secret value in doit's output:\n{result}"


def _check_files(app: Workspace, leaks: list[str]) -> list[str]:
    """Every file under HYSCALE_HOME holding a secret value is owner-only; returns their names."""
    holding = []
    for path in files_under(app.home):
        data = path.read_bytes()
        if any(leak.encode() in data for leak in leaks):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path} holds a secret value and is mode {mode:o}"
            holding.append(path.name)
    for log in app.paths("web").logs.glob("*.log"):
        text = log.read_text()
        assert not any(leak in text for leak in leaks), f"a secret value in {log}"
    return holding


def test_secret_values_stay_secret(new_app: NewApp, cluster: Cluster, registry: Registry) -> None:
    app = new_app("secrets")
    # the agent: the test image too, on ports of its own (a pod's containers share the network)
    app.web(props={"GREETING": "hi"}, secrets={"API_TOKEN": SERVICE_SECRET},
            agents=[{"name": "metrics", "image": f"{app.registry_host}/{TEST_IMAGE}:1.0",
                     "secrets": {"AGENT_KEY": AGENT_SECRET},
                     "props": {"TESTAPP_HTTP_PORT": "9102", "TESTAPP_TCP_PORT": "9103"}}])
    app.deploy("web")
    app.edit_spec("web", secrets={"API_TOKEN": NEW_SERVICE_SECRET})
    app.deploy("web")  # the Secret is patched: the patch carries the value, nothing else does
    app.run("status:web")
    app.run("logs:web")
    # a crash loop: the failure report (events, pod states, the container's log) leaks nothing
    # either; the health check keeps a container that dies at once from passing for ready
    app.web(props={"GREETING": "crash now", **crash(1, "boom\n")}, health=True,
            secrets={"API_TOKEN": NEW_SERVICE_SECRET}, agents=app.spec("web")["agents"])
    failed = app.deploy("web", check=False)
    assert failed.returncode != 0 and "boom" in failed.stderr, failed.stderr
    app.run("status:web")

    live = client.CoreV1Api(cluster.api_client()).read_namespaced_secret(f"{app.name}-web", app.namespace)
    assert base64.b64decode(live.data["API_TOKEN"]).decode() == NEW_SERVICE_SECRET

    leaks = _forms(registry, SERVICE_SECRET, NEW_SERVICE_SECRET, AGENT_SECRET)
    _check_cluster(cluster, app, leaks)
    _check_output(app, leaks)
    holding = _check_files(app, leaks)
    assert "secret.yaml" in holding, "the generated Secret manifest is one of them (and is 0600)"
    for path in app.paths("web").state.glob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in app.paths("web").manifests.glob("*secret*.yaml"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
