"""Pods that cannot start or cannot be made, told from events (the troubleshooter's part for what
container states do not show).

A pod the kubelet cannot set up stays ``ContainerCreating``, and only its warning events say why,
repeated with back-off; pods the API server refuses are never made, and only their controller
says so. Both are judged here: when a warning has lasted long enough to be final, and what it
means in the spec's terms.
"""

from __future__ import annotations

import re
from typing import Any

from hyscale_tasks.cluster.diagnosis import PROPS_CONFIGMAP_FIX, Diagnosis, missing_secret_fix
from hyscale_tasks.cluster.pods import event_count, event_span, secret_keys, setting_up
from hyscale_tasks.spec.model import ServiceSpec

# -- a pod that cannot start -------------------------------------------------------------------
# How long a warning about a pod being set up must have kept coming back before it is final. A
# Secret or ConfigMap the node has not synced yet reads "not found" for a few seconds, and a
# sandbox can fail once on a busy node; the kubelet retries a mount after 0.5, 1, 2, 4, 8, 16 s
# and a sandbox about every 13 s, so a lasting one is given up on after about 16 s or 27 s.
SETUP_REPEATS, SETUP_PERSISTS = 2, 15.0
# A warning this module does not know is final once it has come back this often, for this long.
UNKNOWN_REPEATS, UNKNOWN_PERSISTS = 3, 30.0
SANDBOX = "FailedCreatePodSandBox"
# Warnings judged elsewhere (container states, probes, the scheduler) or no obstacle to a start.
NOT_SETUP_TROUBLE = {"Failed", "BackOff", "FailedToRetrieveImagePullSecret", "Unhealthy", "Killing",
                     "FailedScheduling", "ProbeWarning", "DNSConfigForming", "FailedPreStopHook",
                     "ExceededGracePeriod"}
# Set-up warnings that end by themselves however long they last: a disk still attaching, or
# attached to a pod on another node, a Secret or ConfigMap the node may not read yet. Named when
# the deadline comes, never given up on before.
SLOW_NOT_STUCK = re.compile(r"timed out waiting for the condition|context deadline exceeded|"
                            r"Multi-Attach error|failed to sync \S+ cache|is being deleted", re.I)
# Set-up warnings that no retry will heal.
SETUP_FINAL = re.compile(r'(secret|configmap) "[^"]+" not found|hostPath type check failed|'
                         r"non-existent (secret|config) key|no runtime for", re.I)
_MISSING_VOLUME_SOURCE = re.compile(
    r'for volume "([^"]+)" : (secret|configmap) "([^"]+)" not found', re.I)
_DESCRIBE = "see 'kubectl -n {ns} describe pod {pod}'"


def _bound(event: Any) -> tuple[int, float] | None:
    """(times, seconds) a set-up warning must have lasted to be final; None: never final."""
    message = str(event.message or "")
    if SLOW_NOT_STUCK.search(message):
        return None
    if event.reason == SANDBOX or SETUP_FINAL.search(message):
        return SETUP_REPEATS, SETUP_PERSISTS
    return UNKNOWN_REPEATS, UNKNOWN_PERSISTS


def blocking_event(pod: Any, events: list[Any]) -> Any | None:
    """The newest warning in ``events`` (the pod's, oldest first) that has kept ``pod`` from
    starting long enough to be final, or None. Only while the kubelet is still setting the pod up
    (:func:`~hyscale_tasks.cluster.pods.setting_up`): once a container runs or waits for a reason
    of its own, that state says more than the events."""
    if not setting_up(pod):
        return None
    for event in reversed(events):
        if event.type != "Warning" or event.reason in NOT_SETUP_TROUBLE:
            continue
        bound = _bound(event)
        if bound is not None and event_count(event) >= bound[0] and event_span(event) >= bound[1]:
            return event
    return None


def said_by(event: Any, limit: int = 500) -> str:
    """``Reason (N times in Ss): message`` of an event, the message on one line."""
    message = " ".join(str(event.message or "").split()).rstrip(".")
    message = message if len(message) <= limit else message[:limit - 3] + "..."
    count = event_count(event)
    times = f" ({count} times in {event_span(event):.0f}s)" if count > 1 else ""
    return f"{event.reason}{times}: {message}"


def cannot_start(service: ServiceSpec | None, pod: Any, event: Any) -> Diagnosis:
    """Why ``pod`` cannot start, from the warning that keeps it from starting: the event as the
    cluster said it, then, where it is known, what it means in the service spec and what to do."""
    pod_name, namespace = str(pod.metadata.name), str(pod.metadata.namespace)
    said = f"Pod {pod_name} cannot start: {said_by(event)}"
    message = str(event.message or "")
    explained = _missing_volume_source(service, pod, message) or _host_path(message) or \
        (_runtime_class(pod) if event.reason == SANDBOX else None)
    if explained is not None:
        return Diagnosis(f"{said}; {explained[0]}", explained[1], pod_name)
    describe = _DESCRIBE.format(ns=namespace, pod=pod_name)
    if event.reason == SANDBOX:
        return Diagnosis(said, "The node could not set up the pod's sandbox (its runtime or "
                         "network): ask your cluster administrator to check the node's container "
                         f"runtime and network plugin ({describe})", pod_name)
    return Diagnosis(said, f"Fix what the event names in the service spec or its k8s snippets, "
                     f"or ask your cluster administrator ({describe})", pod_name)


def _mounted_by(pod: Any, volume: str) -> tuple[str, str] | None:
    """(container, mount path) of the first container that mounts ``volume``."""
    for spec in (pod.spec.containers or []) if pod.spec else []:
        for mount in spec.volume_mounts or []:
            if mount.name == volume:
                return str(spec.name), str(mount.mount_path)
    return None


def _missing_volume_source(service: ServiceSpec | None, pod: Any,
                           message: str) -> tuple[str, str] | None:
    """A Secret or ConfigMap volume whose object does not exist, in the spec's terms: the
    service's (or an agent's) secrets or props mounted at their volume path, else a volume of a
    k8s snippet."""
    found = _MISSING_VOLUME_SOURCE.search(message)
    if found is None:
        return None
    volume, kind, name = found.group(1), found.group(2).lower(), found.group(3)
    namespace = str(pod.metadata.namespace)
    mounted = _mounted_by(pod, volume)
    field = _config_field(service, kind, mounted)
    at = f"mounted at {mounted[1]} ({field})" if field is not None and mounted is not None else ""
    if kind == "configmap":
        if at:
            return (f"the ConfigMap {name}, which holds the props {at}, does not exist",
                    PROPS_CONFIGMAP_FIX)
        return (f"the ConfigMap {name}, which volume {volume} needs, does not exist",
                f"Create the ConfigMap {name} in namespace {namespace}, or remove volume {volume} "
                "(a k8s snippet of the service spec)")
    if at:
        keys = secret_keys(pod, mounted[0], name) if mounted is not None else []
        return (f"the Secret {name}, {at}, does not exist",
                missing_secret_fix(namespace, name, keys))
    return (f"the Secret {name}, which volume {volume} needs, does not exist",
            f"Create the Secret {name} in namespace {namespace}, or remove volume {volume} "
            "(a k8s snippet of the service spec)")


def _config_field(service: ServiceSpec | None, kind: str,
                  mounted: tuple[str, str] | None) -> str | None:
    """The spec fields that put a ``kind`` (secret / configmap) volume at the mount ``mounted``."""
    if service is None or mounted is None:
        return None
    container, path = mounted
    secrets = kind == "secret"
    field = "secrets and secretsVolumePath" if secrets else "props and propsVolumePath"
    if container == service.name:
        own = service.secrets_volume_path if secrets else service.props_volume_path
        return f"{field} in the service spec" if own == path else None
    agent = next((a for a in service.agents if a.name == container), None)
    if agent is None:
        return None
    own = agent.secrets_volume_path if secrets else agent.props_volume_path
    return f"{field} of agent {agent.name} in the service spec" if own == path else None


def _host_path(message: str) -> tuple[str, str] | None:
    found = re.search(r'for volume "([^"]+)" : hostPath type check failed: (.+)', message)
    if found is None:
        return None
    volume, said = found.groups()
    return (f"the node has nothing fit for the hostPath volume {volume} ({said.strip()})",
            f"Fix the hostPath of volume {volume} (a k8s snippet of the service spec): the path "
            "must exist as that type on every node, or ask your cluster administrator")


def _runtime_class(pod: Any) -> tuple[str, str] | None:
    runtime = pod.spec.runtime_class_name if pod.spec else None
    if not runtime:
        return None
    return (f"the node's container runtime cannot run the RuntimeClass {runtime} "
            "(runtimeClassName, a k8s snippet of the service spec)",
            "Remove or correct runtimeClassName in the k8s snippets of the service spec, or ask "
            f"your cluster administrator to set up the handler of RuntimeClass {runtime} on the "
            "nodes")


# -- a pod that cannot be created --------------------------------------------------------------
# The API server's refusals of the pods a controller creates that no retry will change: a quota,
# a LimitRange, PodSecurity, a RuntimeClass that does not exist, an admission webhook, an invalid
# pod. The namespace's "default" ServiceAccount is made a moment after the namespace: the pods
# refused for want of it are created on the controller's next try.
REFUSED_FOR_GOOD = re.compile(r"\bis forbidden\b|\bis invalid\b|admission webhook .* denied")
NOT_YET = re.compile(r"error looking up service account|serviceaccount \"default\" not found")


def refused_for_good(message: str) -> bool:
    """Whether the controller's ``FailedCreate`` ``message`` is final (see REFUSED_FOR_GOOD)."""
    return bool(REFUSED_FOR_GOOD.search(message)) and not NOT_YET.search(message)


def cannot_create(service: ServiceSpec | None, namespace: str, name: str,
                  message: str) -> Diagnosis:
    """Why the cluster refuses the pods of service ``name`` (the controller's FailedCreate)."""
    text = " ".join(message.split())
    cause = text.split(" is forbidden: ", 1)[1] if " is forbidden: " in text else \
        re.sub(r"^(Error creating: |create Pod \S+ in StatefulSet \S+ failed error: )", "", text)
    said = f"The cluster refused to create the pods of {name}: {cause}"
    quota = re.search(r"(?:exceeded|failed) quota: ([^,:]+)", cause)
    if quota is not None:
        return Diagnosis(said, _quota_fix(service, namespace, quota.group(1).strip(), cause))
    if "RuntimeClass" in cause:
        return Diagnosis(said, "Remove or correct runtimeClassName in the k8s snippets of the "
                         "service spec, or ask your cluster administrator to create that "
                         "RuntimeClass")
    if " is invalid" in text:
        return Diagnosis(said, "Fix the k8s snippets of the service spec: the pod they make is "
                         "invalid")
    return Diagnosis(said, f"Make the service spec and its k8s snippets meet the rules of "
                     f"namespace {namespace} (LimitRange, PodSecurity, admission policies), or "
                     "ask your cluster administrator")


def _quota_fix(service: ServiceSpec | None, namespace: str, quota: str, cause: str) -> str:
    """What to change for a ResourceQuota: the spec fields behind the resources it counts."""
    named = re.search(r"requested: (\S+), used", cause) or re.search(r"must specify (\S+)", cause)
    resources = {part.split("=", 1)[0] for part in named.group(1).split(",")} if named else set()
    fields = [field for field, words in (("replicas", ("pods",)), ("memory", ("memory",)),
                                         ("cpu", ("cpu",)), ("volumes", ("storage", "claims")))
              if any(word in resource for resource in resources for word in words)]
    if "must specify" in cause:
        return (f"The ResourceQuota {quota} of namespace {namespace} requires every container to "
                f"state {named.group(1) if named else 'its resources'}: set "
                f"{' and '.join(fields) or 'memory and cpu'} in the service spec (agents "
                "included), or ask your cluster administrator")
    lower = f", or lower {' or '.join(fields)} in the service spec" if fields and service else \
        f", or lower {' or '.join(fields)}" if fields else ""
    return f"Ask your cluster administrator to raise the ResourceQuota {quota} of namespace " \
           f"{namespace}{lower}"
