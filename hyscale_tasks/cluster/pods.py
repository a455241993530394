"""Reading a service's pods: which are current, their aggregated status (HyScale §7.4 step 7),
what each container's state says, and the events the kubelet, the scheduler and the controllers
left about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hyscale_tasks.cluster.reads import Live, Reads
from hyscale_tasks.labels import APP_LABEL, SERVICE_LABEL

DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"  # the label of a Deployment's pods: their ReplicaSet's

_EPOCH = datetime.min.replace(tzinfo=UTC)
# What a container waits for while the kubelet sets its pod up.
BEING_CREATED = ("ContainerCreating", "PodInitializing")


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


def newest_replica_set(reads: Reads, namespace: str, app: str, service: str,
                       workload: Any) -> Live | None:
    """The ReplicaSet of the Deployment's current revision, once the controller has made it."""
    revision = (workload.metadata.annotations or {}).get(DEPLOYMENT_REVISION)
    if not revision:
        return None
    sets = reads.items("/apis/apps/v1/namespaces/{namespace}/replicasets",
                       f"list the ReplicaSets of {service}",
                       [("labelSelector", selector(app, service))], namespace=namespace)
    return next((r for r in sets
                 if (r.metadata.annotations or {}).get(DEPLOYMENT_REVISION) == revision), None)


def list_pods(reads: Reads, namespace: str, app: str, service: str) -> list[Live]:
    return reads.items("/api/v1/namespaces/{namespace}/pods", f"list the pods of {service}",
                       [("labelSelector", selector(app, service))], namespace=namespace)


def setting_up(pod: Any) -> bool:
    """Whether the pod is bound to a node whose kubelet has not started any of its containers
    yet: it is still making the sandbox, mounting the volumes or pulling the images. Trouble
    there shows only in the pod's events (a container waiting for a reason of its own, such as
    ``ImagePullBackOff``, is judged by that reason instead)."""
    if pod.metadata.deletion_timestamp or not (pod.spec and pod.spec.node_name):
        return False
    status = pod.status
    if status is None or status.phase not in (None, "Pending"):
        return False
    statuses = [*(status.init_container_statuses or []), *(status.container_statuses or [])]
    for found in statuses:
        state, last = found.state, found.last_state
        if (state and (state.running or state.terminated)) or (last and last.terminated):
            return False
        if state and state.waiting and state.waiting.reason not in (None, *BEING_CREATED):
            return False
    return True


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


def event_span(event: Any) -> float:
    """Seconds from its first to its last occurrence (events count whole seconds)."""
    return max((event_last(event) - event_first(event)).total_seconds(), 0.0)


def events_about(reads: Reads, namespace: str, kind: str, name: str,
                 uid: str | None = None) -> list[Live]:
    """The events about the ``kind`` object ``name``, oldest first (by when each last happened).
    With ``uid``, only this incarnation's: a StatefulSet's pod re-created under the same name
    does not inherit the events of the one before it (they stay for an hour)."""
    found = reads.items(
        "/api/v1/namespaces/{namespace}/events", f"read the events of {kind} {name}",
        [("fieldSelector", f"involvedObject.kind={kind},involvedObject.name={name},"
                           f"involvedObject.namespace={namespace}")], namespace=namespace)
    mine = [e for e in found if uid is None or not e.involved_object.uid
            or e.involved_object.uid == uid]
    return sorted(mine, key=event_last)


def pod_events(reads: Reads, pod: Any) -> list[Live]:
    """The events about ``pod`` (this incarnation of it), oldest first."""
    meta = pod.metadata
    return events_about(reads, str(meta.namespace), "Pod", str(meta.name), meta.uid)


def container_log(reads: Reads, namespace: str, pod: str, container: str,
                  lines: int = 20, previous: bool = False) -> str:
    query = [("container", container), ("tailLines", str(lines))]
    try:
        return reads.text("/api/v1/namespaces/{namespace}/pods/{name}/log",
                          f"read the log of {pod}", [*query, ("previous", "true")] if previous
                          else query, namespace=namespace, name=pod)
    except Exception:  # the log is a help for the reader, never a reason to fail
        return ""


def secret_keys(pod: Any, container: str, secret: str) -> list[str]:
    """The keys ``container`` reads from Secret ``secret`` (the pod spec has them even where the
    spec annotation, redacted, does not)."""
    keys = []
    for spec in (pod.spec.containers or []) if pod.spec else []:
        for env in spec.env or [] if spec.name == container else []:
            ref = env.value_from.secret_key_ref if env.value_from else None
            if ref is not None and ref.name == secret and ref.key not in keys:
                keys.append(str(ref.key))
    return keys
