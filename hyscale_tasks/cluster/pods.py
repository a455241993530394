"""Reading a service's pods: which are current, their aggregated status (HyScale §7.4 step 7),
what each container's state says, and the events the kubelet and the scheduler left about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.client import api_errors

APP_LABEL = "hyscale.io/app-name"
SERVICE_LABEL = "hyscale.io/service-name"
_EPOCH = datetime.min.replace(tzinfo=UTC)


def selector(app: str, service: str) -> str:
    return f"{APP_LABEL}={app},{SERVICE_LABEL}={service}"


@dataclass(frozen=True)
class ContainerState:
    name: str
    image: str
    ready: bool
    restarts: int
    waiting: str | None  # reason
    waiting_message: str
    terminated: str | None  # reason of the current termination
    last_terminated: str | None  # reason of the previous one
    last_exit_code: int | None  # of the previous termination, else of the current one
    last_message: str  # what the runtime said about that termination (why a start failed)
    memory_limit: str | None  # resources.limits.memory of the pod spec


def containers(pod: Any) -> list[ContainerState]:
    found = []
    specs = {c.name: c for c in (pod.spec.containers or [])} if pod.spec else {}
    for status in (pod.status.container_statuses or []) if pod.status else []:
        state, last = status.state, status.last_state
        spec = specs.get(status.name)
        limits = (spec.resources.limits or {}) if spec is not None and spec.resources else {}
        found.append(ContainerState(
            name=status.name, image=str(spec.image if spec is not None else status.image),
            ready=bool(status.ready), restarts=int(status.restart_count or 0),
            waiting=state.waiting.reason if state and state.waiting else None,
            waiting_message=(state.waiting.message or "") if state and state.waiting else "",
            terminated=state.terminated.reason if state and state.terminated else None,
            last_terminated=last.terminated.reason if last and last.terminated else None,
            last_exit_code=last.terminated.exit_code if last and last.terminated else
            (state.terminated.exit_code if state and state.terminated else None),
            last_message=str((last.terminated.message if last and last.terminated else
                              state.terminated.message if state and state.terminated else "")
                             or ""),
            memory_limit=str(limits["memory"]) if "memory" in limits else None))
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


def condition(pod: Any, kind: str) -> Any | None:
    """The pod's condition of type ``kind`` (PodScheduled, Ready...), if it has one."""
    for found in (pod.status.conditions or []) if pod.status else []:
        if found.type == kind:
            return found
    return None


def list_pods(core: client.CoreV1Api, namespace: str, app: str, service: str) -> list[Any]:
    with api_errors(f"list the pods of {service}"):
        return list(core.list_namespaced_pod(namespace, label_selector=selector(app, service)).items)


def event_count(event: Any) -> int:
    """How many times it happened. The kubelet (core/v1 events) counts repeats in ``count``; the
    scheduler (events.k8s.io) in ``series.count``."""
    series = event.series.count if event.series is not None else None
    return max(int(event.count or 0), int(series or 0), 1)


def event_first(event: Any) -> datetime:
    return event.first_timestamp or event.event_time or event.last_timestamp or _EPOCH


def event_last(event: Any) -> datetime:
    last = event.series.last_observed_time if event.series is not None else None
    return last or event.last_timestamp or event.event_time or event.first_timestamp or _EPOCH


def pod_events(core: client.CoreV1Api, namespace: str, name: str) -> list[Any]:
    """The events about pod ``name``, oldest first (by when each last happened)."""
    with api_errors(f"read the events of {name}"):
        found = core.list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={name},involvedObject.namespace={namespace}")
    return sorted(found.items, key=event_last)


def container_log(core: client.CoreV1Api, namespace: str, pod: str, container: str,
                  lines: int = 20, previous: bool = False) -> str:
    try:
        text = core.read_namespaced_pod_log(pod, namespace, container=container,
                                            tail_lines=lines, previous=previous)
    except Exception:  # the log is a help for the reader, never a reason to fail
        return ""
    return str(text or "")
