"""Why a service is not running, said in terms of its spec (HyScale's troubleshooter, §8).

HyScale's reasons and fixes are kept word for word; where the spec says more (which health-check
path failed, which secret key is missing, which memory limit was hit), the message names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.pods import ContainerState, aggregated_status, containers, pod_events
from hyscale_tasks.spec.model import ServiceSpec

IMAGE_PULL = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName"}
_SIGNALS = {137: "SIGKILL", 143: "SIGTERM", 1: "FAILURE"}


@dataclass(frozen=True)
class Diagnosis:
    reason: str
    fix: str
    pod: str | None = None
    container: str | None = None

    def __str__(self) -> str:
        return f"{self.reason}. {self.fix}" if self.fix else self.reason


def not_deployed() -> Diagnosis:
    return Diagnosis("No such service found in this cluster",
                     "Ensure you are querying for the correct service name in the correct "
                     "namespace and cluster")


def diagnose(core: client.CoreV1Api, namespace: str, service: ServiceSpec | None, name: str,
             pods: list[Any]) -> Diagnosis:
    """The first problem found among ``pods`` of service ``name``."""
    if not pods:
        return Diagnosis("Deployment is still in progress, service is not yet ready",
                         "Try querying after sometime")
    for pod in pods:
        found = _pod(core, namespace, service, name, pod)
        if found is not None:
            return found
    return Diagnosis("Deployment is still in progress, service is not yet ready",
                     "Try querying after sometime")


def _pod(core: client.CoreV1Api, namespace: str, service: ServiceSpec | None, name: str,
         pod: Any) -> Diagnosis | None:
    status = aggregated_status(pod)
    pod_name = str(pod.metadata.name)
    events = pod_events(core, namespace, pod_name)
    main = next((c for c in containers(pod) if c.name == name), None)
    failing = next((c for c in containers(pod) if not c.ready and (c.waiting or c.terminated or
                                                                    c.last_terminated)), main)
    if status in IMAGE_PULL:
        return _image_pull(service, name, events, pod_name)
    if status == "CreateContainerConfigError" and failing is not None:
        return _config_error(failing, pod_name)
    if failing is not None and (failing.last_terminated == "OOMKilled" or status == "OOMKilled"):
        limit = f" (memory limit {service.memory})" if service and service.memory else ""
        return Diagnosis(f'Out of memory errors. Not enough memory to run "{name}"{limit}',
                         "Increase the memory limits in service spec and try redeploying",
                         pod_name, failing.name)
    if failing is not None and (status in ("CrashLoopBackOff", "Error", "Completed")
                                or failing.restarts > 0):
        return _crash(failing, pod_name, status)
    if status == "Pending":
        return _pending(events, pod_name)
    unhealthy = [e for e in events if e.reason == "Unhealthy"]
    if unhealthy and failing is not None and not failing.ready:
        return _health(service, unhealthy, pod_name, failing)
    return None


def _image_pull(service: ServiceSpec | None, name: str, events: list[Any], pod: str) -> Diagnosis:
    messages = " ".join(str(e.message or "") for e in events if e.reason in ("Failed", "BackOff"))
    image = service.image.reference if service else "the image"
    if re.search(r"unauthorized|authentication required|no basic auth credentials|"
                 r"incorrect username or password|pull access denied", messages):
        return Diagnosis(f"Incorrect registry credentials for {image}",
                         "Check them with 'docker login' for that registry and redeploy: the "
                         "image pull secret is made from your docker login", pod, name)
    if re.search(r"manifest .* not found|manifest unknown|not found", messages):
        return Diagnosis(f"Invalid Image name or tag provided ({image})",
                         f"Recheck the image name or tag in {name} service spec", pod, name)
    return Diagnosis(f"Cannot pull image {image}: {messages[-300:] or 'no event from the node'}",
                     "Check the image name, tag and registry credentials", pod, name)


def _config_error(container: ContainerState, pod: str) -> Diagnosis:
    message = container.waiting_message
    missing = re.search(r"couldn't find key (\S+) in (Secret|ConfigMap) (\S+)", message)
    if missing:
        key, kind, where = missing.groups()
        field = "secrets" if kind == "Secret" else "props"
        return Diagnosis(f"Key {key} is missing in {kind} {where}",
                         f"Add {key} to the {kind} (list-form secrets live in a Secret you "
                         f"create), or remove it from '{field}' in the service spec",
                         pod, container.name)
    absent = re.search(r'(secret|configmap) "([^"]+)" not found', message)
    if absent:
        kind, where = absent.groups()
        return Diagnosis(f"The {kind} {where} the service reads does not exist",
                         f"Create {where} (kubectl create {kind} generic {where} ...) or use map-"
                         "form secrets, which the tool creates", pod, container.name)
    return Diagnosis(f"Cannot start the container: {message}", "Check the props and secrets of "
                     "the service spec", pod, container.name)


def _crash(container: ContainerState, pod: str, status: str) -> Diagnosis:
    fix = "Please verify the startCommands in service spec or CMD in Dockerfile"
    if container.last_terminated == "Completed" or status == "Completed":
        return Diagnosis("Service container exited abruptly",
                         "Possible incorrect startCommands in service spec or CMD in Dockerfile",
                         pod, container.name)
    code = container.last_exit_code
    if code is None:
        return Diagnosis("Service observed to be crashing", fix, pod, container.name)
    said = f"{_SIGNALS[code]} (exit code {code})" if code in _SIGNALS else f"exit code {code}"
    return Diagnosis(f"Service startup commands failed with {said}, after {container.restarts} "
                     "restarts", fix, pod, container.name)


def _pending(events: list[Any], pod: str) -> Diagnosis:
    for event in reversed(events):
        message = str(event.message or "")
        if event.reason == "FailedScheduling" and "Insufficient memory" in message:
            return Diagnosis("Cannot accommodate new services as the cluster is full",
                             "Please contact your cluster administrator to add cluster capacity "
                             "or deploy to a different cluster", pod)
        if event.reason == "FailedScheduling" and "persistentvolumeclaim" in message.lower():
            return Diagnosis("Volumes of the service cannot be bound: " + message,
                             "Check the storageClass of the volumes in the service spec", pod)
        if event.reason == "FailedScheduling":
            return Diagnosis(f"The pod cannot be scheduled: {message}",
                             "Please contact your cluster administrator", pod)
    return Diagnosis("Deployment is still in progress, service is not yet ready",
                     "Try querying after sometime", pod)


def _health(service: ServiceSpec | None, unhealthy: list[Any], pod: str,
            container: ContainerState) -> Diagnosis:
    where = ""
    if service is not None:
        for index, port in enumerate(service.ports):
            if port.health is not None:
                check = f"GET {port.health.http_path}" if port.health.http_path else "TCP"
                where = f" ({check} on port {port.number}, ports[{index}].healthCheck)"
                break
    failures = sum(int(event.count or 1) for event in unhealthy)
    return Diagnosis(f"Health check specified for service failed {failures} times in "
                     f"succession{where}: {str(unhealthy[-1].message or '')[:200]}",
                     "Fix the health check path or port in the service spec, or what the "
                     "service answers there", pod, container.name)
