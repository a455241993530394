"""Helpers for the Docker kubelet's conformance tests (``test_docker_kubelet*.py``)."""

from __future__ import annotations

from typing import Any

from kubernetes import client

from .builders import deployment
from .fixtures import DockerCluster

Obj = dict[str, Any]
# HyScale's probe timings (hyscale_tasks/manifests/containers.py): at time scale 0.05 the first
# probe runs after 0.5 s and then every 1.5 s
TOOL_PROBE = {"initialDelaySeconds": 10, "periodSeconds": 30, "timeoutSeconds": 30, "failureThreshold": 10}
FAST_PROBE = {"initialDelaySeconds": 0, "periodSeconds": 4, "timeoutSeconds": 2, "failureThreshold": 2}


def web(image: str, name: str = "web", secret: str | None = "regcred", **container: Any) -> Obj:
    """A Deployment of the private test image (httpd on 8080), with a pull secret and the tool's
    ``imagePullPolicy: Always``; ``container`` adds or replaces container fields."""
    pod_spec: Obj = {"imagePullSecrets": [{"name": secret}]} if secret else {}
    body = deployment(name, image=image, **pod_spec)
    main = body["spec"]["template"]["spec"]["containers"][0]
    main["imagePullPolicy"] = "Always"
    main.update(container)
    return body


def only_pod(cluster: DockerCluster, namespace: str, timeout: float = 20) -> Any:
    """The one live pod of the namespace (waits for it)."""
    core = client.CoreV1Api(cluster.api_client())

    def one() -> Any:
        pods: list[Any] = [p for p in core.list_namespaced_pod(namespace).items]
        pods = [p for p in pods if not p.metadata.deletion_timestamp]
        return pods[0] if len(pods) == 1 else None

    pod: Any = cluster.wait_for(one, timeout=timeout, what=f"one pod in {namespace}")
    return pod


def status(pod: Any, container: str | None = None) -> Any:
    statuses = pod.status.container_statuses or [] if pod.status else []
    for found in statuses:
        if container is None or found.name == container:
            return found
    raise AssertionError(f"no status for container {container} in {pod.metadata.name}")


def wait_pod(
    cluster: DockerCluster, namespace: str, check: Any, timeout: float = 20, what: str = "the pod"
) -> Any:
    """Wait until the namespace's one live pod satisfies ``check(pod)``; returns it."""
    core = client.CoreV1Api(cluster.api_client())

    def probe() -> Any:
        pods: list[Any] = [p for p in core.list_namespaced_pod(namespace).items]
        pods = [p for p in pods if not p.metadata.deletion_timestamp]
        return pods[0] if len(pods) == 1 and check(pods[0]) else None

    pod: Any = cluster.wait_for(probe, timeout=timeout, what=what)
    return pod


def ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


def waiting_reason(pod: Any, container: str | None = None) -> str | None:
    try:
        state = status(pod, container).state
    except AssertionError:
        return None
    return state.waiting.reason if state and state.waiting else None


def events(cluster: DockerCluster, namespace: str, pod: str | None = None) -> list[tuple[str, str]]:
    """(reason, message) of the namespace's events (of one pod), oldest first."""
    core = client.CoreV1Api(cluster.api_client())
    selector = f"involvedObject.name={pod}" if pod else None
    found = core.list_namespaced_event(namespace, field_selector=selector).items
    found.sort(key=lambda e: (e.first_timestamp or e.event_time or "", e.metadata.name))
    return [(str(e.reason), str(e.message)) for e in found]
