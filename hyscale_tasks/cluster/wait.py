"""Waiting for a rollout (HyScale §7.4), failing fast on the states that will not heal alone.

The deadline is HyScale's (replicas x 120 s, ``HYS_ROLLOUT_TIMEOUT`` seconds to override). The
wait stops early on image pull failures, crash loops, OOM kills, missing config keys, a health
check that keeps failing, pods that cannot be scheduled, and restarts beyond
``HYS_POD_RESTART_COUNT`` (3).

Two failures the kubelet retries by itself are not given up on: on a busy node the node
authorizer learns of a new pod's Secrets and ConfigMaps a moment after the pod is bound, and until
then the kubelet cannot read them. It then reports ``CreateContainerConfigError`` "failed to sync
secret cache" (retried), or pulls the image without the pod's pull secret (event
``FailedToRetrieveImagePullSecret``; the registry refuses it, and a later attempt, after the
back-off, has the secret). On a loaded node that can happen on two attempts in a row. So a
refused pull is final only when the kubelet read the secret before that attempt. Likewise a
StatefulSet's pod the scheduler saw before the claim the controller made for it
("persistentvolumeclaim ... not found") is scheduled on its next try.

A health check "keeps failing" once it has failed :data:`UNHEALTHY_LIMIT` times: HyScale's probes
(readiness and liveness, the same check) each run every 30 s from 10 s after the start, so on a
real kubelet that is about a minute in. One failure is no reason to give up (a service may take a
few seconds to answer), and waiting for the liveness probe's 10 failures would take five minutes.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.client import api_errors
from hyscale_tasks.cluster.diagnose import (
    CONFIG_ERROR,
    IMAGE_PULL,
    PULL_REFUSED,
    START_ERRORS,
    Diagnosis,
    diagnose,
)
from hyscale_tasks.cluster.pods import (
    ContainerState,
    condition,
    containers,
    event_count,
    event_last,
    list_pods,
    pod_events,
    selector,
)
from hyscale_tasks.spec.model import ServiceSpec

# A container waiting for one of these will not start without a change to the spec or cluster.
FATAL_WAITING = {*IMAGE_PULL, "CrashLoopBackOff", CONFIG_ERROR, *START_ERRORS}
UNHEALTHY_LIMIT = 3
# The kubelet's words for a Secret or ConfigMap it could not read yet (retried with back-off).
NOT_SYNCED_YET = re.compile(r"failed to sync \S+ cache|timed out waiting for the condition")
# A StatefulSet's pod can reach the scheduler before the scheduler's cache has the claim the
# StatefulSet controller created for it: the scheduler says so and retries.
CLAIM_NOT_SEEN_YET = re.compile(r'persistentvolumeclaim "[^"]+" not found')
REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"
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


def _retried_by_the_kubelet(core: client.CoreV1Api, namespace: str, pod: Any,
                            container: ContainerState) -> bool:
    """A failure the kubelet will retry with what it could not read a moment ago (module doc)."""
    if container.waiting == CONFIG_ERROR:
        return bool(NOT_SYNCED_YET.search(container.waiting_message))
    if container.waiting in IMAGE_PULL:
        events = pod_events(core, namespace, str(pod.metadata.name))
        unread = [e for e in events if e.reason == "FailedToRetrieveImagePullSecret"]
        if not unread:
            return False
        pulls = [e for e in events if e.reason == "Failed"
                 and (e.message or "").startswith("Failed to pull image")]
        if not pulls:
            return True  # the event of the failed attempt is on its way
        latest = pulls[-1]
        # Only a refusal can come from the missing secret: a registry that says "no such tag"
        # was given the login. A refusal is final once the kubelet has read the secret since
        # (no "unable to retrieve" at or after that attempt; events count whole seconds).
        return bool(PULL_REFUSED.search(latest.message or "")) and \
            event_last(unread[-1]) >= event_last(latest)
    return False


def _fatal(core: client.CoreV1Api, namespace: str, pods: list[Any]) -> bool:
    for pod in pods:
        for container in containers(pod):
            # Judged on the current state: a container that restarted once and runs again
            # still shows its last termination, which is no reason to give up.
            if container.restarts > _restart_limit():
                return True
            if container.waiting in FATAL_WAITING and \
                    not _retried_by_the_kubelet(core, namespace, pod, container):
                return True
            # Between two starts a crashed container is "terminated" for up to a second before
            # the kubelet's back-off makes it CrashLoopBackOff: either says the same.
            if not container.ready and (container.terminated or
                                        container.last_terminated == "OOMKilled"):
                return True
        scheduled = condition(pod, "PodScheduled")
        if scheduled is not None and scheduled.status == "False" and \
                scheduled.reason == "Unschedulable" and \
                not CLAIM_NOT_SEEN_YET.search(scheduled.message or ""):
            return True
        if any(not c.ready and not c.waiting for c in containers(pod)):
            unhealthy = [e for e in pod_events(core, namespace, str(pod.metadata.name))
                         if e.reason == "Unhealthy"]
            if sum(event_count(e) for e in unhealthy) >= UNHEALTHY_LIMIT:
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
        current = _current(apps, namespace, app, name, workload,
                           list_pods(core, namespace, app, name))
        pods = current or []
        if _fatal(core, namespace, pods):
            return diagnose(core, namespace, service, name, pods)
        if time.monotonic() > deadline:
            found = diagnose(core, namespace, service, name, pods)
            configured = os.environ.get("HYS_ROLLOUT_TIMEOUT")
            longer = f"raise HYS_ROLLOUT_TIMEOUT (now {configured} s)" if configured else \
                "set HYS_ROLLOUT_TIMEOUT (seconds; the default is replicas x 120)"
            return Diagnosis(f"Timedout while waiting for deployment after {limit:.0f}s: "
                             f"{found.reason}",
                             f"{found.fix}; if the service needs longer to become ready, "
                             f"{longer}", found.pod, found.container)
        time.sleep(POLL)


def _current(apps: client.AppsV1Api, namespace: str, app: str, name: str, workload: Any,
             pods: list[Any]) -> list[Any] | None:
    """The pods of the rollout in progress (HyScale §7.4 step 3); None while the controller has
    not yet seen the newest spec. Right after a patch the old pods are all there is, and a broken
    old pod must not fail the deploy of its fix."""
    status = workload.status
    if status is None or (status.observed_generation or 0) < (workload.metadata.generation or 0):
        return None
    live = [p for p in pods if not p.metadata.deletion_timestamp]
    if hasattr(status, "update_revision"):  # a StatefulSet
        revision = status.update_revision
        return [p for p in live if (p.metadata.labels or {}).get("controller-revision-hash")
                == revision] if revision else None
    revision = (workload.metadata.annotations or {}).get(REVISION)
    with api_errors(f"list the ReplicaSets of {name}"):
        sets: list[Any] = apps.list_namespaced_replica_set(
            namespace, label_selector=selector(app, name)).items
    newest = next((r for r in sets if (r.metadata.annotations or {}).get(REVISION) == revision
                   and revision), None)
    if newest is None:
        return None
    template_hash = (newest.metadata.labels or {}).get(TEMPLATE_HASH)
    return [p for p in live if (p.metadata.labels or {}).get(TEMPLATE_HASH) == template_hash]
