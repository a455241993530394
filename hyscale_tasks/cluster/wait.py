"""Waiting for a rollout (HyScale §7.4), failing fast on the states that will not heal alone.

The deadline is HyScale's (replicas x 120 s, ``HYS_ROLLOUT_TIMEOUT`` seconds to override). The
wait stops early on image pull failures, crash loops, OOM kills, missing config keys, a health
check that keeps failing, pods that cannot be scheduled, and restarts beyond
``HYS_POD_RESTART_COUNT`` (3). It also stops on pods that cannot be made or cannot start, which
only events and controller conditions tell: the API server refusing the pods (a quota, a
LimitRange, a RuntimeClass that does not exist: the ReplicaSet's ``ReplicaFailure`` condition, the
StatefulSet's ``FailedCreate`` events; at once), and a pod the kubelet cannot set up (a Secret or
ConfigMap volume that does not exist, a hostPath that is not there, a sandbox the runtime cannot
make, any other warning that keeps coming back: once it has lasted, see
:func:`~hyscale_tasks.cluster.blocked.blocking_event`). A wait that reaches its deadline names
the last warnings the cluster gave about the pods, never only "still in progress".

Read errors are retried by the API client (:mod:`hyscale_tasks.cluster.client`), under every read
made here.

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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.blocked import (
    blocking_event,
    cannot_create,
    refused_for_good,
    said_by,
)
from hyscale_tasks.cluster.client import ClusterError
from hyscale_tasks.cluster.diagnose import (
    CONFIG_ERROR,
    IMAGE_PULL,
    PULL_REFUSED,
    START_ERRORS,
    diagnose,
)
from hyscale_tasks.cluster.diagnosis import Diagnosis
from hyscale_tasks.cluster.operation_checks import ZERO_REPLICAS
from hyscale_tasks.cluster.pods import (
    TEMPLATE_HASH,
    ContainerState,
    condition,
    containers,
    event_count,
    event_last,
    events_about,
    list_pods,
    newest_replica_set,
    pod_events,
    setting_up,
)
from hyscale_tasks.cluster.reads import WORKLOAD_PATHS, Live, Reads
from hyscale_tasks.spec.model import ServiceSpec

# A container waiting for one of these will not start without a change to the spec or cluster.
FATAL_WAITING = {*IMAGE_PULL, "CrashLoopBackOff", CONFIG_ERROR, *START_ERRORS}
UNHEALTHY_LIMIT = 3
PULL_ATTEMPTED = {"ErrImagePull", "ImagePullBackOff"}  # a pull was tried, and its event will say why
# The kubelet's words for a Secret or ConfigMap it could not read yet (retried with back-off).
NOT_SYNCED_YET = re.compile(r"failed to sync \S+ cache|timed out waiting for the condition")
# A StatefulSet's pod can reach the scheduler before the scheduler's cache has the claim the
# StatefulSet controller created for it: the scheduler says so and retries.
CLAIM_NOT_SEEN_YET = re.compile(r'persistentvolumeclaim "[^"]+" not found')
CHECK_EVERY = 1  # seconds (a watch's timeout is whole seconds) between looks at the pods
# How far the API server's clock may be behind ours when telling a StatefulSet's new FailedCreate
# events from old ones (events count whole seconds).
CLOCK_SLACK = 2.0
SAME_ATTEMPT = timedelta(seconds=2)  # one pull attempt's events, at most this far apart
WARNED_PODS, WARNINGS_SHOWN = 3, 3  # at the deadline: the warnings of this many pods, this many
ECHO = re.compile(r"Error: \w+$")  # a "Failed" event that only repeats a container's waiting reason


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


def read_workload(reads: Reads, kind: str, namespace: str, name: str) -> Live:
    found = reads.get(WORKLOAD_PATHS[kind] + "/{name}", f"read {kind} {name}",
                      namespace=namespace, name=name)
    if found is None:
        raise ClusterError(f"{kind} {name} is not in namespace {namespace}: it was deleted "
                           "while the deploy waited for it.", "run the deploy again.")
    return found


def rolled_out(workload: Any) -> bool:
    spec, status = workload.spec, workload.status
    wanted = spec.replicas if spec.replicas is not None else 1
    if status is None or (status.observed_generation or 0) < (workload.metadata.generation or 0):
        return False
    ready = status.ready_replicas or 0
    if workload.kind == "StatefulSet":
        current, update = status.current_revision, status.update_revision
        return ready >= wanted and (status.replicas or 0) == wanted and \
            (not update or current == update)
    return (status.updated_replicas or 0) >= wanted and ready >= wanted and \
        (status.replicas or 0) == wanted and (status.available_replicas or 0) >= wanted


def _retried_by_the_kubelet(reads: Reads, pod: Any, container: ContainerState) -> bool:
    """A failure the kubelet will retry with what it could not read a moment ago (module doc)."""
    if container.waiting == CONFIG_ERROR:
        return bool(NOT_SYNCED_YET.search(container.waiting_message))
    if container.waiting in PULL_ATTEMPTED:
        events = pod_events(reads, pod)
        pulls = [e for e in events if e.reason == "Failed"
                 and (e.message or "").startswith("Failed to pull image")]
        if not pulls:
            # The kubelet reports the container's state before its events, which it sends in
            # order: once the attempt's "Failed" is here, so is an "unable to retrieve" before it.
            return True
        latest = pulls[-1]
        # Only a refusal can come from the missing secret: a registry that says "no such tag"
        # was given the login. A refusal is final once the kubelet has read the secret since:
        # no "unable to retrieve" said for that attempt. The kubelet says it as an attempt
        # starts and "Failed to pull" as it ends, and events count whole seconds, so one
        # attempt's two may be a second apart; attempts are at least the pull back-off (10 s)
        # apart, so a "unable to retrieve" within SAME_ATTEMPT before the refusal is its own.
        unread = [e for e in events if e.reason == "FailedToRetrieveImagePullSecret"]
        return bool(PULL_REFUSED.search(latest.message or "")) and bool(unread) and \
            event_last(unread[-1]) >= event_last(latest) - SAME_ATTEMPT
    return False


def _fatal(reads: Reads, pods: list[Any]) -> bool:
    return any(_pod_fatal(reads, pod) for pod in pods)


def _pod_fatal(reads: Reads, pod: Any) -> bool:
    """Whether ``pod`` is in a state that will not heal without a change (module doc)."""
    if setting_up(pod):  # the sandbox, volumes, pulls: only the events tell
        return blocking_event(pod, pod_events(reads, pod)) is not None
    for container in containers(pod):
        # Judged on the current state: a container that restarted once and runs again
        # still shows its last termination, which is no reason to give up.
        if container.restarts > _restart_limit():
            return True
        if container.waiting in FATAL_WAITING and not _retried_by_the_kubelet(reads, pod, container):
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
        unhealthy = [e for e in pod_events(reads, pod) if e.reason == "Unhealthy"]
        if sum(event_count(e) for e in unhealthy) >= UNHEALTHY_LIMIT:
            return True
    return False


@dataclass(frozen=True)
class Rollout:
    """What the wait sees of the rollout in progress: its pods (None while the controller has not
    yet seen the newest spec) and, when the controller could not create one lately, what the API
    server told it (its ``FailedCreate``)."""

    pods: list[Any] | None
    refused: str | None = None


def wait_for_rollout(api: client.ApiClient, namespace: str, app: str, kind: str, name: str,
                     service: ServiceSpec | None, report: Callable[[str], None]) -> Diagnosis | None:
    """None once every replica is ready; the diagnosis of the first failure otherwise."""
    reads = Reads(api)
    workload = read_workload(reads, kind, namespace, name)
    replicas = workload.spec.replicas if workload.spec.replicas is not None else 1
    if replicas == 0:
        report(ZERO_REPLICAS)
        return None
    limit = deadline_seconds(replicas)
    deadline = time.monotonic() + limit
    since = datetime.now(UTC) - timedelta(seconds=CLOCK_SLACK)
    report(f"Waiting for {replicas} replica(s) of {name} to be ready (up to {limit:.0f}s)")
    while True:
        if rolled_out(workload):
            return None
        rollout = _rollout(reads, namespace, app, kind, name, workload, since)
        pods = rollout.pods or []
        if rollout.refused is not None and refused_for_good(rollout.refused):
            return cannot_create(service, namespace, name, rollout.refused)
        if _fatal(reads, pods):
            return diagnose(reads, namespace, service, name, pods)
        if time.monotonic() > deadline:
            return _timed_out(reads, namespace, service, name, rollout, limit)
        changed = _until_changed(reads, kind, namespace, workload)
        if changed is None:  # no change in time, or not one the event could say: read it
            changed = read_workload(reads, kind, namespace, name)
        workload = changed


def _until_changed(reads: Reads, kind: str, namespace: str, workload: Any) -> Live | None:
    """The workload once it changes (the controller counts one more ready replica), or None
    after :data:`CHECK_EVERY` seconds: a watch from the version just read, so the wait notices a
    finished rollout the moment the controller reports it, not at the next poll; the pods'
    fatal states (which do not change the workload) are still looked at every few seconds."""
    meta = workload.metadata
    return reads.until_changed(WORKLOAD_PATHS[kind], f"watch {kind} {meta.name}",
                               str(meta.name), str(meta.resource_version), CHECK_EVERY,
                               namespace=namespace)


def _timed_out(reads: Reads, namespace: str, service: ServiceSpec | None, name: str,
               rollout: Rollout, limit: float) -> Diagnosis:
    """The deadline's diagnosis: what the pods are doing and the last warnings the cluster gave
    about them (a set-up trouble not known to be final, a refusal that may pass), so that even
    a wait that ran its full length says what held it up."""
    pods = rollout.pods or []
    found = diagnose(reads, namespace, service, name, pods)
    configured = os.environ.get("HYS_ROLLOUT_TIMEOUT")
    longer = f"raise HYS_ROLLOUT_TIMEOUT (now {configured} s)" if configured else \
        "set HYS_ROLLOUT_TIMEOUT (seconds; the default is replicas x 120)"
    warnings = _last_warnings(reads, pods)
    if rollout.refused is not None:
        warnings.insert(0, f"{name}: FailedCreate: {' '.join(rollout.refused.split())}")
    seen = f"; last warnings: {'; '.join(warnings)}" if warnings else ""
    return Diagnosis(f"Timedout while waiting for deployment after {limit:.0f}s: "
                     f"{found.reason}{seen}",
                     f"{found.fix}; if the service needs longer to become ready, "
                     f"{longer}", found.pod, found.container)


def _last_warnings(reads: Reads, pods: list[Any]) -> list[str]:
    """``pod: Reason (N times in Ss): message`` for the newest warnings about the first pods that
    are not ready, newest first. The kubelet's ``Error: ImagePullBackOff`` and the like are left
    out: they repeat the container's state, which the diagnosis says, and would crowd out the
    warning that says why (the registry's answer)."""
    found: list[tuple[Any, str]] = []
    for pod in [p for p in pods if not _ready(p)][:WARNED_PODS]:
        latest: dict[tuple[str, str], Any] = {}
        for event in pod_events(reads, pod):
            if event.type == "Warning" and not ECHO.match(str(event.message or "")):
                latest[(str(event.reason), str(event.message))] = event
        found.extend((event, f"{pod.metadata.name}: {said_by(event)}") for event in latest.values())
    found.sort(key=lambda pair: event_last(pair[0]), reverse=True)
    return [text for _, text in found[:WARNINGS_SHOWN]]


def _ready(pod: Any) -> bool:
    ready = condition(pod, "Ready")
    return ready is not None and ready.status == "True"


def _rollout(reads: Reads, namespace: str, app: str, kind: str,
             name: str, workload: Any, since: datetime) -> Rollout:
    """The pods of the rollout in progress (HyScale §7.4 step 3) and why the controller could not
    create one, if it said so since ``since``. Right after a patch the old pods are all there is,
    and a broken old pod must not fail the deploy of its fix."""
    status = workload.status
    if status is None or (status.observed_generation or 0) < (workload.metadata.generation or 0):
        return Rollout(None)
    live = [p for p in list_pods(reads, namespace, app, name) if not p.metadata.deletion_timestamp]
    if kind == "StatefulSet":
        revision = status.update_revision
        if not revision:
            return Rollout(None)
        pods = [p for p in live
                if (p.metadata.labels or {}).get("controller-revision-hash") == revision]
        wanted = workload.spec.replicas if workload.spec.replicas is not None else 1
        refused = _stateful_set_refusal(reads, namespace, workload, since) \
            if len(pods) < wanted else None
        return Rollout(pods, refused)
    newest = newest_replica_set(reads, namespace, app, name, workload)
    if newest is None:
        return Rollout(None)
    template_hash = (newest.metadata.labels or {}).get(TEMPLATE_HASH)
    pods = [p for p in live if (p.metadata.labels or {}).get(TEMPLATE_HASH) == template_hash]
    return Rollout(pods, _replica_set_refusal(newest))


def _replica_set_refusal(replica_set: Any) -> str | None:
    """The ReplicaSet controller's last pod creation failure: it keeps it in the condition
    ``ReplicaFailure`` (reason FailedCreate) until a creation succeeds."""
    status = replica_set.status
    for found in (status.conditions or []) if status else []:
        if found.type == "ReplicaFailure" and found.status == "True" and \
                found.reason == "FailedCreate":
            return str(found.message or "")
    return None


def _stateful_set_refusal(reads: Reads, namespace: str, workload: Any,
                          since: datetime) -> str | None:
    """The StatefulSet controller's pod (or claim) creation failure, from its ``FailedCreate``
    events (it has no condition for it), when one happened since ``since``: events stay for an
    hour, and an old one may be about a spec or a quota since changed."""
    meta = workload.metadata
    events = events_about(reads, namespace, "StatefulSet", str(meta.name), meta.uid)
    fresh = [e for e in events if e.reason == "FailedCreate" and event_last(e) >= since]
    return str(fresh[-1].message or "") if fresh else None
