"""Waiting for a rollout (HyScale §7.4), failing fast on the states that will not heal alone.

The deadline is HyScale's (replicas x 120 s, ``HYS_ROLLOUT_TIMEOUT`` seconds to override). The
wait stops early on image pull failures, crash loops, OOM kills, missing config keys, a health
check that keeps failing, pods that cannot be scheduled, and restarts beyond
``HYS_POD_RESTART_COUNT`` (3).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.client import api_errors
from hyscale_tasks.cluster.diagnose import Diagnosis, diagnose
from hyscale_tasks.cluster.pods import containers, list_pods, pod_events
from hyscale_tasks.spec.model import ServiceSpec

# A container waiting for one of these will not start without a change to the spec or cluster.
FATAL_WAITING = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff",
                 "CreateContainerConfigError", "CreateContainerError"}
UNHEALTHY_LIMIT = 3
POLL = 1.0


def _restart_limit() -> int:
    try:
        return int(os.environ.get("HYS_POD_RESTART_COUNT", "3"))
    except ValueError:
        return 3


def deadline_seconds(replicas: int) -> float:
    configured = os.environ.get("HYS_ROLLOUT_TIMEOUT")
    if configured:
        try:
            return float(configured)
        except ValueError:
            pass
    return max(replicas, 1) * 120.0


def read_workload(apps: client.AppsV1Api, kind: str, namespace: str, name: str) -> Any:
    with api_errors(f"read {kind} {name}"):
        if kind == "StatefulSet":
            return apps.read_namespaced_stateful_set(name, namespace)
        return apps.read_namespaced_deployment(name, namespace)


def rolled_out(workload: Any) -> bool:
    spec, status = workload.spec, workload.status
    wanted = spec.replicas if spec.replicas is not None else 1
    if status is None or (status.observed_generation or 0) < (workload.metadata.generation or 0):
        return False
    ready = status.ready_replicas or 0
    if workload.kind == "StatefulSet" or hasattr(status, "current_revision"):
        current = getattr(status, "current_revision", None)
        update = getattr(status, "update_revision", None)
        return ready >= wanted and (status.replicas or 0) == wanted and \
            (not update or current == update)
    return (status.updated_replicas or 0) >= wanted and ready >= wanted and \
        (status.replicas or 0) == wanted and (status.available_replicas or 0) >= wanted


def _fatal(core: client.CoreV1Api, namespace: str, pods: list[Any]) -> bool:
    for pod in pods:
        for container in containers(pod):
            # Judged on the current state: a container that restarted once and runs again
            # still shows its last termination, which is no reason to give up.
            if container.waiting in FATAL_WAITING or container.restarts > _restart_limit():
                return True
            if container.last_terminated == "OOMKilled" and not container.ready:
                return True
        conditions = pod.status.conditions or [] if pod.status else []
        if any(c.type == "PodScheduled" and c.status == "False" and c.reason == "Unschedulable"
               for c in conditions):
            return True
        if any(not c.ready for c in containers(pod)):
            unhealthy = [e for e in pod_events(core, namespace, str(pod.metadata.name))
                         if e.reason == "Unhealthy"]
            if sum(int(e.count or 1) for e in unhealthy) >= UNHEALTHY_LIMIT:
                return True
    return False


def wait_for_rollout(api: client.ApiClient, namespace: str, app: str, kind: str, name: str,
                     service: ServiceSpec | None, report: Callable[[str], None]) -> Diagnosis | None:
    """None once every replica is ready; the diagnosis of the first failure otherwise."""
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    workload = read_workload(apps, kind, namespace, name)
    replicas = workload.spec.replicas if workload.spec.replicas is not None else 1
    if replicas == 0:
        report("Service has zero replicas")
        return None
    limit = deadline_seconds(replicas)
    deadline = time.monotonic() + limit
    report(f"Waiting for {replicas} replica(s) of {name} to be ready (up to {limit:.0f}s)")
    while True:
        workload = read_workload(apps, kind, namespace, name)
        if rolled_out(workload):
            return None
        pods = _current(list_pods(core, namespace, app, name), workload)
        if _fatal(core, namespace, pods):
            return diagnose(core, namespace, service, name, pods)
        if time.monotonic() > deadline:
            found = diagnose(core, namespace, service, name, pods)
            return Diagnosis(f"Timedout while waiting for deployment: {found.reason}", found.fix,
                             found.pod, found.container)
        time.sleep(POLL)


def _current(pods: list[Any], workload: Any) -> list[Any]:
    """Pods of the rollout in progress (old ReplicaSets' pods are going away anyway)."""
    live = [p for p in pods if not p.metadata.deletion_timestamp]
    revision = getattr(workload.status, "update_revision", None)
    if revision:
        return [p for p in live if (p.metadata.labels or {}).get("controller-revision-hash")
                == revision] or live
    hashes = {(p.metadata.labels or {}).get("pod-template-hash") for p in live}
    if len(hashes) <= 1:
        return live
    newest = max(live, key=lambda p: str(p.metadata.creation_timestamp or ""))
    keep = (newest.metadata.labels or {}).get("pod-template-hash")
    return [p for p in live if (p.metadata.labels or {}).get("pod-template-hash") == keep]



