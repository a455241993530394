"""Reading a service's pods: which are current, their aggregated status (HyScale §7.4 step 7),
and what each container's state says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.client import api_errors

APP_LABEL = "hyscale.io/app-name"
SERVICE_LABEL = "hyscale.io/service-name"


def selector(app: str, service: str) -> str:
    return f"{APP_LABEL}={app},{SERVICE_LABEL}={service}"


@dataclass(frozen=True)
class ContainerState:
    name: str
    ready: bool
    restarts: int
    waiting: str | None  # reason
    waiting_message: str
    terminated: str | None  # reason of the current termination
    last_terminated: str | None  # reason of the previous one
    last_exit_code: int | None


def containers(pod: Any) -> list[ContainerState]:
    found = []
    for status in (pod.status.container_statuses or []) if pod.status else []:
        state, last = status.state, status.last_state
        found.append(ContainerState(
            name=status.name, ready=bool(status.ready), restarts=int(status.restart_count or 0),
            waiting=state.waiting.reason if state and state.waiting else None,
            waiting_message=(state.waiting.message or "") if state and state.waiting else "",
            terminated=state.terminated.reason if state and state.terminated else None,
            last_terminated=last.terminated.reason if last and last.terminated else None,
            last_exit_code=last.terminated.exit_code if last and last.terminated else
            (state.terminated.exit_code if state and state.terminated else None)))
    return found


def aggregated_status(pod: Any) -> str:
    """One word for a pod, first match wins: an init container waiting, Terminating, a container
    that is not ready (its last or current reason), else the phase."""
    status = pod.status
    for init in (status.init_container_statuses or []) if status else []:
        if init.state and init.state.waiting:
            return str(init.state.waiting.reason)
    if pod.metadata.deletion_timestamp:
        return "Terminating"
    for container in containers(pod):
        if not container.ready:
            reason = container.waiting or container.terminated or container.last_terminated
            if reason:
                return reason
    return str(status.phase if status and status.phase else "Pending")


def list_pods(core: client.CoreV1Api, namespace: str, app: str, service: str) -> list[Any]:
    with api_errors(f"list the pods of {service}"):
        return list(core.list_namespaced_pod(namespace, label_selector=selector(app, service)).items)


def pod_events(core: client.CoreV1Api, namespace: str, name: str) -> list[Any]:
    with api_errors(f"read the events of {name}"):
        found = core.list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={name},involvedObject.namespace={namespace}")
    return sorted(found.items, key=lambda e: str(e.last_timestamp or e.event_time or ""))


def container_log(core: client.CoreV1Api, namespace: str, pod: str, container: str,
                  lines: int = 20, previous: bool = False) -> str:
    try:
        text = core.read_namespaced_pod_log(pod, namespace, container=container,
                                            tail_lines=lines, previous=previous)
    except Exception:  # the log is a help for the reader, never a reason to fail
        return ""
    return str(text or "")
