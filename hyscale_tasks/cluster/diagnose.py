"""Why a service is not running, said in terms of its spec (HyScale's troubleshooter, §8).

HyScale's reasons and fixes are kept word for word; after a colon the message says what the
cluster reported in the spec's terms (which image, which health check, which secret key, which
memory limit) and the fix names the field to change.

What a real kubelet (on containerd) and scheduler report, and where this reads it:

* a pull failure: the container waits in ``ErrImagePull`` / ``ImagePullBackOff`` and its waiting
  message carries containerd's error (``...: not found``, ``...: 401 Unauthorized``,
  ``dial tcp ...: connection refused``; a kubelet that leaves it out gets the generic message);
* a crash: ``lastState.terminated`` (exit code, reason ``Error`` / ``Completed`` / ``OOMKilled``
  / ``StartError`` with the runtime's message), the container waiting in ``CrashLoopBackOff``;
  an OOM kill of any process of the container (on cgroup v1 the kernel picks the biggest) makes
  containerd report the container's exit as ``OOMKilled``;
* a missing Secret or key: the container waits in ``CreateContainerConfigError`` with the
  kubelet's ``secret "x" not found`` / ``couldn't find key K in Secret ns/x``;
* a failing health check: HyScale writes it as two probes (readiness and liveness, the same
  check, each every 30 s); each failure is an ``Unhealthy`` event of the container, repeats
  counted in the event's ``count``; a liveness kill leaves a ``Killing`` event ("failed liveness
  probe") and the container restarted at once, its last state whatever it exited with;
* no node fits: the pod's ``PodScheduled`` condition is False (``Unschedulable``) with the
  scheduler's message, also a ``FailedScheduling`` event (events.k8s.io, counted in ``series``);
* a pod the kubelet cannot set up stays ``ContainerCreating`` and only its warning events say
  why, repeated with back-off in the event's ``count``: ``FailedMount`` ``MountVolume.SetUp
  failed for volume "v" : secret "s" not found`` (or ``configmap``, or ``hostPath type check
  failed: /p is not a directory``), ``FailedCreatePodSandBox`` ``... no runtime for "h" is
  configured`` (a RuntimeClass whose handler containerd lacks);
* pods the API server refuses are never made: the ReplicaSet keeps the refusal in its condition
  ``ReplicaFailure`` (reason ``FailedCreate``, ``pods "x" is forbidden: exceeded quota: q,
  requested: pods=1, used: pods=1, limited: pods=1``); a StatefulSet only says it in
  ``FailedCreate`` events (``create Pod x-0 in StatefulSet x failed error: ...``).

The last two, which only events tell, are judged in :mod:`.blocked`.
"""

from __future__ import annotations

import re
from typing import Any

from hyscale_tasks.cluster.blocked import blocking_event, cannot_start
from hyscale_tasks.cluster.diagnosis import PROPS_CONFIGMAP_FIX, Diagnosis, missing_secret_fix
from hyscale_tasks.cluster.pods import (
    ContainerState,
    condition,
    containers,
    event_count,
    event_first,
    event_last,
    pod_events,
    secret_keys,
    setting_up,
)
from hyscale_tasks.cluster.reads import Reads
from hyscale_tasks.image.names import split_registry
from hyscale_tasks.registry_logins import login_fix, login_source, reads_registry_config
from hyscale_tasks.spec.model import Port, ServiceSpec

IMAGE_PULL = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull",
              "RegistryUnavailable"}
CONFIG_ERROR = "CreateContainerConfigError"
START_ERRORS = {"CreateContainerError", "RunContainerError", "StartError",
                "ContainerCannotRun"}
_SIGNALS = {137: "SIGKILL", 143: "SIGTERM", 1: "FAILURE"}
CRASHED = ("Service startup commands failed with", "Service container exited abruptly",
           "Service observed to be crashing")
IN_PROGRESS = "Deployment is still in progress, service is not yet ready"
BAD_LOGIN = "Incorrect registry credentials"
TRY_LATER = "Try querying after sometime"

# A registry's words for a pull it refused for want of (valid) credentials.
PULL_REFUSED = re.compile(r"\b40[13]\b|unauthori[sz]ed|authentication required|access denied|"
                          r"no basic auth credentials|incorrect username or password", re.I)
_NOT_FOUND = re.compile(r"not found|manifest unknown|name unknown|NotFound", re.I)
_UNREACHABLE = re.compile(r"connection refused|no such host|i/o timeout|network is unreachable|"
                          r"no route to host|HTTP response to HTTPS client|x509|tls:", re.I)


def not_deployed() -> Diagnosis:
    return Diagnosis("No such service found in this cluster",
                     "Ensure you are querying for the correct service name in the correct "
                     "namespace and cluster")


def diagnose(reads: Reads, namespace: str, service: ServiceSpec | None, name: str,
             pods: list[Any]) -> Diagnosis:
    """The first problem found among ``pods`` of service ``name``; when none has one, what the
    pods are still doing (:data:`IN_PROGRESS`)."""
    for pod in pods:
        found = _pod(reads, namespace, service, name, pod)
        if found is not None:
            return found
    return in_progress(service, name, pods)


def in_progress(service: ServiceSpec | None, name: str, pods: list[Any]) -> Diagnosis:
    """HyScale's "still in progress", with what the first pod that is not ready is doing."""
    if not pods:
        return Diagnosis(f"{IN_PROGRESS}: no pod of {name} has been created yet", TRY_LATER)
    for pod in pods:
        pod_name = str(pod.metadata.name)
        scheduled = condition(pod, "PodScheduled")
        if scheduled is not None and scheduled.status != "True":
            return Diagnosis(f"{IN_PROGRESS}: {pod_name} is waiting for a node", TRY_LATER,
                             pod_name)
        for container in containers(pod):
            if container.ready:
                continue
            if container.waiting:  # ContainerCreating, PodInitializing: pulling, mounting
                return Diagnosis(f"{IN_PROGRESS}: {pod_name} is still being created "
                                 f"({container.waiting})", TRY_LATER, pod_name, container.name)
            check = _check(service, container.name)
            waiting_for = f"its health check ({check[0]}) has not passed yet" if check else \
                "it is not ready yet"
            return Diagnosis(f"{IN_PROGRESS}: {pod_name} is running, but {waiting_for}",
                             TRY_LATER, pod_name, container.name)
        if not containers(pod):
            return Diagnosis(f"{IN_PROGRESS}: {pod_name} is still being created", TRY_LATER,
                             pod_name)
    return Diagnosis(IN_PROGRESS, TRY_LATER)


def _pod(reads: Reads, namespace: str, service: ServiceSpec | None, name: str,
         pod: Any) -> Diagnosis | None:
    if pod.metadata.deletion_timestamp:
        return None  # going away: the pods replacing it tell what is wrong, if anything
    scheduled = condition(pod, "PodScheduled")
    if scheduled is not None and scheduled.status == "False":
        return _unschedulable(service, pod, str(scheduled.message or ""))
    if setting_up(pod):
        blocked = blocking_event(pod, pod_events(reads, pod))
        return cannot_start(service, pod, blocked) if blocked is not None else None
    failing = [c for c in containers(pod) if not c.ready]
    if not failing:
        return None
    # The service's own container first: an agent's trouble is told after it.
    failing.sort(key=lambda c: c.name != name)
    events: list[Any] | None = None
    for container in failing:
        found = _container(service, name, pod, container)
        if found is None:
            continue
        if found.reason.startswith(CRASHED):
            # A container the kubelet stopped because its liveness probe failed did not crash
            # by itself (the test image even exits 0 on SIGTERM, which reads "Completed"):
            # what failed is the health check.
            events = pod_events(reads, pod) if events is None else events
            unhealthy = _unhealthy(events, container.name)
            if unhealthy and any(e.reason == "Killing" and "liveness" in str(e.message or "")
                                 and _about(e, container.name) for e in events):
                return _health(service, pod, container, unhealthy, restarted=True)
        if found.reason.startswith(BAD_LOGIN):
            events = pod_events(reads, pod) if events is None else events
            return _pull_secret_unread(pod, container, events) or found
        return found
    events = pod_events(reads, pod) if events is None else events
    for container in failing:
        unhealthy = _unhealthy(events, container.name)
        if unhealthy:
            return _health(service, pod, container, unhealthy)
    return None


def _unhealthy(events: list[Any], container: str) -> list[Any]:
    return [e for e in events if e.reason == "Unhealthy" and _about(e, container)]


def _container(service: ServiceSpec | None, name: str, pod: Any,
               container: ContainerState) -> Diagnosis | None:
    pod_name = str(pod.metadata.name)
    if container.waiting in IMAGE_PULL:
        return _image_pull(service, pod, container, container.waiting_message)
    if container.waiting == CONFIG_ERROR:
        return _config_error(service, pod, container)
    if "OOMKilled" in (container.terminated, container.last_terminated):
        limit = f": it was stopped at its memory limit of {container.memory_limit}" \
            if container.memory_limit else ""
        where = f" (memory: {service.memory} in the service spec)" \
            if service is not None and service.memory and container.name == name else ""
        return Diagnosis(f'Out of memory errors. Not enough memory to run "{container.name}"'
                         f"{limit}{where}",
                         "Increase the memory limits in service spec and try redeploying",
                         pod_name, container.name)
    if container.waiting in START_ERRORS or container.last_terminated in START_ERRORS or \
            container.terminated in START_ERRORS:
        said = container.waiting_message if container.waiting in START_ERRORS else \
            container.last_message
        field = " (startCommand in the service spec)" if service is not None and \
            service.start_command and container.name == name else ""
        return Diagnosis(f"Service startup commands failed: {_start_cause(said)}{field}",
                         "Please verify the startCommands in service spec or CMD in Dockerfile",
                         pod_name, container.name)
    if container.waiting == "CrashLoopBackOff" or container.terminated or container.restarts:
        return _crash(container, pod_name)
    return None


def _about(event: Any, container: str) -> bool:
    path = event.involved_object.field_path if event.involved_object else None
    return not path or path == f"spec.containers{{{container}}}"


# -- images ------------------------------------------------------------------------------------
def _pull_cause(text: str) -> str:
    """The innermost cause of containerd's ``failed to pull and unpack image "X": failed to
    resolve reference "X": <cause>`` (the kubelet wraps it again in ``Back-off pulling ...``)."""
    text = text.strip()
    cause = text.rsplit('": ', 1)[-1] if '": ' in text else text
    return cause.removeprefix("rpc error: ").strip() or "no reason given by the node"


def _image_pull(service: ServiceSpec | None, pod: Any, container: ContainerState,
                said: str) -> Diagnosis:
    pod_name = str(pod.metadata.name)
    ours = service is not None and container.name == service.name
    image = service.image.reference if ours and service is not None else container.image
    registry = split_registry(container.image)[0]
    where = f"in {container.name} service spec" if ours else "of the agent in the service spec"
    cause = _pull_cause(said)
    if container.waiting == "InvalidImageName":
        return Diagnosis(f"Invalid Image name or tag provided: {image} is not a valid image "
                         "reference", f"Recheck the image name or tag {where}", pod_name,
                         container.name)
    if PULL_REFUSED.search(said):
        secrets = [s.name for s in (pod.spec.image_pull_secrets or []) if s.name] \
            if pod.spec else []
        if not secrets:
            fix = login_fix(registry)
            return Diagnosis(
                f"Incorrect registry credentials: {registry} refused to serve {image} without a "
                f"login, and the pod has no image pull secret (there is no login for {registry} "
                f"in {login_source()})",
                f"{fix[0].upper()}{fix[1:]} (the tool makes the image pull secret from that "
                "login) and redeploy", pod_name, container.name)
        check = f"in {login_source()}" if reads_registry_config() else \
            f"at {login_source()} ('docker login {registry}' again)"
        return Diagnosis(
            f"Incorrect registry credentials: {registry} refused the login in the image pull "
            f"secret {', '.join(secrets)} to pull {image} ({cause})",
            f"Check them {check} and redeploy", pod_name, container.name)
    if _UNREACHABLE.search(said):
        return Diagnosis(f"Cannot reach the registry {registry} to pull {image}: {cause}",
                         f"Check image.registry {where}, and that the cluster's nodes can reach "
                         "that registry", pod_name, container.name)
    if _NOT_FOUND.search(said):
        named = image.removeprefix(f"{registry}/")
        return Diagnosis(f"Invalid Image name or tag provided: the registry {registry} has no "
                         f"{named}", f"Recheck the image name or tag {where}", pod_name,
                         container.name)
    return Diagnosis(f"Cannot pull image {image}: {cause}",
                     f"Check the image name, tag and registry {where}", pod_name, container.name)


def _pull_secret_unread(pod: Any, container: ContainerState, events: list[Any]) -> Diagnosis | None:
    """A refused pull the kubelet made without the pod's image pull secret, which it could not
    read (``FailedToRetrieveImagePullSecret`` at or after the last refused attempt): the secret
    does not exist, or the node may not read it yet. The login in it was never tried."""
    unread = [e for e in events if e.reason == "FailedToRetrieveImagePullSecret"]
    pulls = [e for e in events if e.reason == "Failed"
             and str(e.message or "").startswith("Failed to pull image")]
    if not unread or (pulls and event_last(unread[-1]) < event_last(pulls[-1])):
        return None
    named = re.search(r"image pull secrets \(([^)]*)\)", str(unread[-1].message or ""))
    secrets = named.group(1) if named else \
        ", ".join(s.name for s in (pod.spec.image_pull_secrets or []) if s.name)
    registry, namespace = split_registry(container.image)[0], str(pod.metadata.namespace)
    login = f"the login for {registry} in {login_source()}" if reads_registry_config() else \
        f"your 'docker login {registry}'"
    return Diagnosis(
        f"{BAD_LOGIN}: {registry} refused to serve {container.image} to a node that could not "
        f"read the image pull secret {secrets} (is it in namespace {namespace}?)",
        f"Redeploy: the tool makes the image pull secret from {login} "
        f"('kubectl -n {namespace} get secret {secrets}' shows whether it is there)",
        str(pod.metadata.name), container.name)


# -- props and secrets -------------------------------------------------------------------------
def _config_error(service: ServiceSpec | None, pod: Any, container: ContainerState) -> Diagnosis:
    pod_name, namespace = str(pod.metadata.name), str(pod.metadata.namespace)
    message = container.waiting_message
    missing = re.search(r"couldn't find key (\S+) in (Secret|ConfigMap) (?:\S+/)?(\S+)", message)
    if missing:
        key, kind, where = missing.groups()
        if kind == "ConfigMap":
            return Diagnosis(f"The ConfigMap {where} has no key {key}, which the service reads "
                             "(props in the service spec)", "Redeploy: the tool writes the "
                             "ConfigMap from props", pod_name, container.name)
        return Diagnosis(
            f"The Secret {where} has no key {key}, which the service reads (secrets in the "
            "service spec)",
            f"Add {key} to the Secret {where} in namespace {namespace}, or remove it from "
            "secrets in the service spec", pod_name, container.name)
    absent = re.search(r'(secret|configmap) "([^"]+)" not found', message, re.I)
    if absent:
        kind, where = absent.group(1).lower(), absent.group(2)
        if kind == "configmap":
            return Diagnosis(f"The ConfigMap {where}, which holds the props of the service, "
                             "does not exist", PROPS_CONFIGMAP_FIX, pod_name, container.name)
        keys = secret_keys(pod, container.name, where)
        reads = f" and the service reads {', '.join(keys)} from it" if keys else ""
        return Diagnosis(
            f"The Secret {where} does not exist{reads} (secrets in the service spec)",
            missing_secret_fix(namespace, where, keys), pod_name, container.name)
    return Diagnosis(f"Cannot start the container {container.name}: {message}",
                     "Check the props and secrets of the service spec", pod_name, container.name)


# -- crashes -----------------------------------------------------------------------------------
def _start_cause(message: str) -> str:
    """runc's reason from ``... unable to start container process: <cause>: unknown``."""
    cause = message.rsplit("unable to start container process: ", 1)[-1]
    return cause.removesuffix(": unknown").strip() or "the container could not be started"


def _crash(container: ContainerState, pod: str) -> Diagnosis:
    fix = "Please verify the startCommands in service spec or CMD in Dockerfile"
    if "Completed" in (container.terminated, container.last_terminated):
        return Diagnosis("Service container exited abruptly",
                         "Possible incorrect startCommands in service spec or CMD in Dockerfile",
                         pod, container.name)
    code = container.last_exit_code
    if code is None:
        return Diagnosis("Service observed to be crashing", fix, pod, container.name)
    said = _SIGNALS.get(code, f"exit code {code}")
    return Diagnosis(f"Service startup commands failed with {said}", fix, pod, container.name)


# -- scheduling --------------------------------------------------------------------------------
def _unschedulable(service: ServiceSpec | None, pod: Any, message: str) -> Diagnosis:
    pod_name = str(pod.metadata.name)
    short = message.split(" preemption:", 1)[0].strip()
    short = re.sub(r"\s*no new claims to deallocate,?", "", short).rstrip(".,; ")
    short_of = re.findall(r"Insufficient (memory|cpu)", message)
    if short_of:
        kind = short_of[0]
        asked = _requested(pod, kind)
        field = service.memory if kind == "memory" and service is not None else \
            service.cpu if service is not None else None
        spec = f" ({kind}: {field} in the service spec)" if field else ""
        return Diagnosis(
            f"Cannot accommodate new services as the cluster is full: no node has "
            f"{asked or 'enough'} of {kind} free for it{spec}",
            "Please contact your cluster administrator to add cluster capacity or deploy to a "
            f"different cluster, or lower {kind} in the service spec", pod_name)
    if "persistentvolumeclaim" in message.lower():
        return Diagnosis(f"Volumes of the service cannot be bound: {short}",
                         "Check the storageClass of the volumes in the service spec", pod_name)
    return Diagnosis(f"The pod cannot be scheduled: {short or 'no reason given'}",
                     "Please contact your cluster administrator", pod_name)


def _requested(pod: Any, kind: str) -> str | None:
    for spec in (pod.spec.containers or []) if pod.spec else []:
        resources = spec.resources
        if resources is not None:
            value = (resources.requests or {}).get(kind) or (resources.limits or {}).get(kind)
            if value:
                return str(value)
    return None


# -- health checks -----------------------------------------------------------------------------
def _check(service: ServiceSpec | None, container: str) -> tuple[str, str] | None:
    """(what the health check does, the spec field) for ``container``."""
    if service is None:
        return None
    ports: tuple[Port, ...] = service.ports
    prefix = "ports"
    if container != service.name:
        agent = next((a for a in service.agents if a.name == container), None)
        if agent is None:
            return None
        index = service.agents.index(agent)
        ports, prefix = agent.ports, f"agents[{index}].ports"
    for index, port in enumerate(ports):
        if port.health is not None:
            what = f"GET {port.health.http_path} on port {port.number}" \
                if port.health.http_path else f"a TCP connection to port {port.number}"
            return what, f"{prefix}[{index}].healthCheck"
    return None


def _probe_said(unhealthy: list[Any]) -> str:
    """What the probes said most often (the latest of equals): a container the kubelet is
    stopping for its failed liveness probe resets the last probe's connection, which is not why
    it failed."""
    said: dict[str, int] = {}
    for event in unhealthy:  # oldest first
        text = re.sub(r"^(Readiness|Liveness|Startup) probe failed:\s*", "",
                      str(event.message or "")).strip()[:200]
        said[text] = said.pop(text, 0) + event_count(event)  # re-inserted: the latest last
    return max(reversed(said.items()), key=lambda item: item[1])[0]


def _health(service: ServiceSpec | None, pod: Any, container: ContainerState,
            unhealthy: list[Any], restarted: bool = False) -> Diagnosis:
    """Every failed probe is one failure of the spec's health check, readiness or liveness
    alike (both run it). "In succession" is said only when the pod has not been ready since the
    first failure: a success in between would have made it ready."""
    failures = sum(event_count(event) for event in unhealthy)
    ready = condition(pod, "Ready")
    first = min(event_first(event) for event in unhealthy)
    since = ready.last_transition_time if ready is not None else None
    in_succession = " in succession" if failures > 1 and ready is not None and \
        ready.status != "True" and since is not None and since <= first else ""
    check = _check(service, container.name)
    where = f" ({check[0]}, {check[1]})" if check else ""
    said = _probe_said(unhealthy)
    then = "; the kubelet restarted the container for it" if restarted else ""
    return Diagnosis(f"Health check specified for service failed {failures} "
                     f"time{'s' if failures != 1 else ''}{in_succession}{where}: {said}{then}",
                     "Fix the health check path or port in the service spec, or make the "
                     "service answer it", str(pod.metadata.name), container.name)
