"""The kubelet boundary: what a node agent must do, and the pod-status logic every agent shares.

The controller manager hands each pod bound to the node to ``Kubelet.sync_pod`` (on every change,
including a ``deletionTimestamp``) and asks ``Kubelet.logs`` for ``pods/log``. Two implementations:

* :mod:`.kubelet_scripted` (``--no-docker``): container states come from a script a test sets;
* :mod:`.docker_kubelet`: runs the containers on the local
  Docker engine.

A kubelet describes each container with a :class:`ContainerView` and lets :func:`build_pod_status`
turn those into ``status`` (phase, conditions, containerStatuses with the exact field set the
kubelet writes), so both implementations report the same shapes a real node does.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .clock import stamp
from .errors import ApiError, bad_request

if TYPE_CHECKING:
    from .api import Api
    from .events import EventRecorder

Obj = dict[str, Any]
NODE_NAME = "standin-node"


@dataclass(frozen=True)
class LogOptions:
    container: str
    follow: bool = False
    previous: bool = False
    tail_lines: int | None = None
    timestamps: bool = False
    since_seconds: int | None = None
    limit_bytes: int | None = None


@dataclass
class Terminated:
    exit_code: int
    reason: str
    message: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    container_id: str | None = None
    signal: int | None = None

    def json(self) -> Obj:
        out: Obj = {"exitCode": self.exit_code, "reason": self.reason}
        if self.signal is not None:
            out["signal"] = self.signal
        if self.message:
            out["message"] = self.message
        out["startedAt"] = self.started_at
        out["finishedAt"] = self.finished_at
        if self.container_id:
            out["containerID"] = self.container_id
        return out


@dataclass
class ContainerView:
    """What the runtime knows about one container of a pod."""

    name: str
    image: str
    state: str = "waiting"  # waiting | running | terminated
    reason: str | None = "ContainerCreating"  # waiting reason
    message: str | None = None  # waiting message
    terminated: Terminated | None = None  # when state == terminated
    started_at: str | None = None  # when state == running
    ready: bool = False
    restart_count: int = 0
    last_terminated: Terminated | None = None
    image_id: str = ""
    container_id: str | None = None

    def json(self) -> Obj:
        state: Obj
        if self.state == "running":
            state = {"running": {"startedAt": self.started_at}}
        elif self.state == "terminated" and self.terminated is not None:
            state = {"terminated": self.terminated.json()}
        else:
            waiting: Obj = {"reason": self.reason}
            if self.message:
                waiting["message"] = self.message
            state = {"waiting": waiting}
        out: Obj = {
            "name": self.name,
            "state": state,
            "lastState": {"terminated": self.last_terminated.json()} if self.last_terminated else {},
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": self.image_id,
            "started": self.state == "running",
        }
        if self.container_id:
            out["containerID"] = self.container_id
        return out


def _condition(
    type_: str, ok: bool, previous: list[Obj], reason: str | None = None, message: str | None = None
) -> Obj:
    status = "True" if ok else "False"
    old = next((c for c in previous if c.get("type") == type_), None)
    since = old["lastTransitionTime"] if old and old.get("status") == status else stamp()
    cond: Obj = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def build_pod_status(
    pod: Obj,
    views: list[ContainerView],
    *,
    host_ip: str = "127.0.0.1",
    pod_ip: str | None = "127.0.0.1",
    init_done: bool = True,
) -> Obj:
    """The status a kubelet writes for these container views (restartPolicy-aware phase)."""
    old = pod.get("status") or {}
    previous = old.get("conditions") or []
    policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    ever_ran = any(v.state != "waiting" or v.restart_count or v.last_terminated for v in views)
    all_terminated = bool(views) and all(v.state == "terminated" for v in views)
    exit_ok = all(v.terminated and v.terminated.exit_code == 0 for v in views if v.state == "terminated")
    if all_terminated and (policy == "Never" or (policy == "OnFailure" and exit_ok)):
        phase = "Succeeded" if exit_ok else "Failed"
    elif ever_ran:
        phase = "Running"
    else:
        phase = "Pending"
    unready = [v.name for v in views if not v.ready]
    ready = not unready and phase == "Running"
    why = f"containers with unready status: [{' '.join(unready)}]" if unready else None
    conditions = [
        _condition("PodReadyToStartContainers", True, previous),
        _condition("Initialized", init_done, previous, None if init_done else "ContainersNotInitialized"),
        _condition(
            "Ready",
            ready,
            previous,
            None if ready else ("PodCompleted" if phase == "Succeeded" else "ContainersNotReady"),
            why,
        ),
        _condition(
            "ContainersReady",
            ready,
            previous,
            None if ready else ("PodCompleted" if phase == "Succeeded" else "ContainersNotReady"),
            why,
        ),
        _condition("PodScheduled", True, previous),
    ]
    status: Obj = {
        "phase": phase,
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": old.get("startTime") or stamp(),
        "containerStatuses": [v.json() for v in views],
        "qosClass": old.get("qosClass", "BestEffort"),
    }
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    return status


def container_names(pod: Obj) -> list[str]:
    return [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]


def resolve_log_container(pod: Obj, requested: str | None) -> str:
    """The container a ``pods/log`` request means, or the 400 the apiserver answers."""
    name = pod["metadata"]["name"]
    names = container_names(pod)
    init_names = [c["name"] for c in (pod.get("spec") or {}).get("initContainers") or []]
    if requested:
        if requested not in names + init_names:
            raise bad_request(f"container {requested} is not valid for pod {name}")
        return requested
    default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if default in names:
        return str(default)
    if len(names) == 1:
        return names[0]
    raise bad_request(
        f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
        + (f" or one of the init containers: [{' '.join(init_names)}]" if init_names else "")
    )


def check_log_status(pod: Obj, container: str, previous: bool) -> None:
    """The kubelet's refusals: a container that never started, or no previous instance."""
    name = pod["metadata"]["name"]
    statuses = {s["name"]: s for s in (pod.get("status") or {}).get("containerStatuses") or []}
    st = statuses.get(container)
    if previous:
        if not st or "terminated" not in (st.get("lastState") or {}):
            raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
        return
    if st is None:
        raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')
    waiting = (st.get("state") or {}).get("waiting")
    if waiting is not None and "terminated" not in (st.get("lastState") or {}):
        reason = waiting.get("reason") or "ContainerCreating"
        text = {
            "ErrImagePull": "image can't be pulled",
            "ImagePullBackOff": "trying and failing to pull image",
        }.get(reason, reason)
        raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: {text}')


def pod_ready(pod: Obj) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


@dataclass
class KubeletContext:
    """What a kubelet may use: the API (as the node's client) and an event recorder."""

    api: Api
    recorder: EventRecorder
    node_name: str = NODE_NAME

    def write_status(self, pod: Obj, status: Obj) -> Obj | None:
        rt = self.api.rt("v1", "Pod")

        def put(obj: Obj) -> None:
            obj["status"] = {
                **status,
                "qosClass": (obj.get("status") or {}).get("qosClass", status.get("qosClass")),
            }

        meta = pod["metadata"]
        try:
            return self.api.mutate(rt, meta["namespace"], meta["name"], put, subresource="status")
        except ApiError:
            return None

    def finish_deletion(self, pod: Obj) -> None:
        """The kubelet's final DELETE with grace 0 once the containers are gone."""
        from .api import DeleteOptions

        rt = self.api.rt("v1", "Pod")
        meta = pod["metadata"]
        try:
            self.api.delete(
                rt, meta["namespace"], meta["name"], DeleteOptions(grace_seconds=0, uid=meta["uid"])
            )
        except ApiError as err:
            if err.code not in (404, 409):
                raise


class Kubelet(abc.ABC):
    """A node agent. All methods but ``logs`` are called from the controller-manager thread, so they
    must return quickly; an implementation that does slow work (pulling images) runs it elsewhere and
    reports back through the context."""

    node_name = NODE_NAME

    @abc.abstractmethod
    def attach(self, ctx: KubeletContext) -> None:
        """Called once before the first pod."""

    @abc.abstractmethod
    def node_status(self) -> Obj:
        """``status`` of this node's Node object (capacity, allocatable, conditions, nodeInfo)."""

    @abc.abstractmethod
    def sync_pod(self, pod: Obj) -> None:
        """A pod bound to this node was added or changed (also: got a deletionTimestamp)."""

    @abc.abstractmethod
    def pod_removed(self, pod: Obj) -> None:
        """A pod bound to this node is gone from the API: drop everything left of it."""

    @abc.abstractmethod
    def logs(self, pod: Obj, options: LogOptions, stopping: Any) -> Iterator[bytes]:
        """Log bytes of one container; with ``follow``, keep yielding until the container stops, the pod
        goes or ``stopping()`` is true. Raise ApiError (400) for what a kubelet refuses."""

    def tick(self) -> None:  # noqa: B027 - optional periodic work (probes, back-off timers)
        """Called about every 100 ms from the controller thread."""

    @abc.abstractmethod
    def shutdown(self) -> None:
        """Stop, and remove every container this kubelet started."""


def node_object(kubelet: Kubelet) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": kubelet.node_name,
            "labels": {
                "kubernetes.io/hostname": kubelet.node_name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {},
    }


def ready_node_status(capacity: Obj, runtime: str) -> Obj:
    at = stamp()
    return {
        "capacity": capacity,
        "allocatable": capacity,
        "conditions": [
            {
                "type": "MemoryPressure",
                "status": "False",
                "reason": "KubeletHasSufficientMemory",
                "message": "kubelet has sufficient memory available",
                "lastHeartbeatTime": at,
                "lastTransitionTime": at,
            },
            {
                "type": "DiskPressure",
                "status": "False",
                "reason": "KubeletHasNoDiskPressure",
                "message": "kubelet has no disk pressure",
                "lastHeartbeatTime": at,
                "lastTransitionTime": at,
            },
            {
                "type": "PIDPressure",
                "status": "False",
                "reason": "KubeletHasSufficientPID",
                "message": "kubelet has sufficient PID available",
                "lastHeartbeatTime": at,
                "lastTransitionTime": at,
            },
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": at,
                "lastTransitionTime": at,
            },
        ],
        "addresses": [
            {"type": "InternalIP", "address": "127.0.0.1"},
            {"type": "Hostname", "address": NODE_NAME},
        ],
        "nodeInfo": {
            "machineID": "",
            "systemUUID": "",
            "bootID": "",
            "kernelVersion": "",
            "osImage": "",
            "containerRuntimeVersion": runtime,
            "kubeletVersion": "v1.32.0",
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
    }
