"""The scripted kubelet (``--no-docker``): container states come from a script, not from a runtime.

For fast tests of status and troubleshooting logic. Each new pod bound to the node gets, per
container, the state of the most recent matching rule (default: running and ready) written as the
real kubelet writes it (phase, conditions, containerStatuses, lastState) plus the events a real node
records (Pulling/Pulled/Created/Started, Unhealthy, BackOff, Failed ...). Logs are scripted text.

Three ways to script, most specific first:

* Python, with the stand-in in-process (the ``cluster`` fixture)::

      kubelet.script(crash_loop(exit_code=3, logs="boom\\n"), selector={"app": "web"})
      kubelet.set_state("ns", "web-abc12", not_ready())          # an existing pod, now
      kubelet.append_log("ns", "web-abc12", "line\\n")

* Through the API, from any process: a ConfigMap ``kube-system/standin-kubelet-script`` whose
  ``rules`` key holds a JSON list of ``{"match": {...}, "script": {...}}`` (keys as in ``script()``
  and ``Script``), read whenever a pod starts;
* Through the API, per pod: ``PATCH pods/NAME/status``; the scripted kubelet never overwrites a
  status it did not write since (a real kubelet would).
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .clock import stamp, stamp_micro
from .errors import ApiError
from .kubelet import (
    NODE_NAME,
    ContainerView,
    Kubelet,
    KubeletContext,
    LogOptions,
    Terminated,
    build_pod_status,
    check_log_status,
    ready_node_status,
)
from .selectors import LabelSelector, parse_label_selector

Obj = dict[str, Any]
SCRIPT_CONFIGMAP = ("kube-system", "standin-kubelet-script")


@dataclass(frozen=True)
class Script:
    """How one container behaves. Build one with the helpers below rather than by hand."""

    state: str = "running"  # running | waiting | terminated
    ready: bool = True
    reason: str | None = None  # waiting reason, or terminated reason
    message: str | None = None
    exit_code: int = 0  # when terminated
    restarts: int = 0
    last_exit_code: int | None = None  # lastState.terminated, when set
    last_reason: str | None = None
    logs: str = ""
    previous_logs: str = ""
    events: tuple[tuple[str, str, str], ...] | None = None  # (type, reason, message); None: the usual ones

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Script:
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        if "events" in kwargs and kwargs["events"] is not None:
            kwargs["events"] = tuple(tuple(e) for e in kwargs["events"])
        return cls(**kwargs)


def running(logs: str = "", ready: bool = True) -> Script:
    return Script("running", ready=ready, logs=logs)


def not_ready(
    logs: str = "", probe_message: str = "Readiness probe failed: HTTP probe failed with statuscode: 503"
) -> Script:
    return Script("running", ready=False, logs=logs, message=probe_message)


def crash_loop(
    exit_code: int = 1,
    reason: str = "Error",
    restarts: int = 5,
    logs: str = "",
    previous_logs: str | None = None,
) -> Script:
    """CrashLoopBackOff: waiting, with ``lastState.terminated`` carrying the exit code and reason."""
    return Script(
        "waiting",
        ready=False,
        reason="CrashLoopBackOff",
        restarts=restarts,
        last_exit_code=exit_code,
        last_reason=reason,
        logs=logs,
        previous_logs=logs if previous_logs is None else previous_logs,
    )


def oom_killed(restarts: int = 3, logs: str = "") -> Script:
    return crash_loop(exit_code=137, reason="OOMKilled", restarts=restarts, logs=logs)


def image_pull_backoff(message: str | None = None) -> Script:
    return Script("waiting", ready=False, reason="ImagePullBackOff", message=message)


def err_image_pull(message: str | None = None) -> Script:
    return Script("waiting", ready=False, reason="ErrImagePull", message=message)


def config_error(message: str) -> Script:
    """CreateContainerConfigError, e.g. ``couldn't find key X in ConfigMap ns/name``."""
    return Script("waiting", ready=False, reason="CreateContainerConfigError", message=message)


def container_creating() -> Script:
    """Stays in ContainerCreating until a test moves it on with ``set_state``."""
    return Script("waiting", ready=False, reason="ContainerCreating", events=())


def terminated(exit_code: int = 0, reason: str | None = None, logs: str = "") -> Script:
    return Script(
        "terminated",
        ready=False,
        exit_code=exit_code,
        reason=reason or ("Completed" if exit_code == 0 else "Error"),
        logs=logs,
    )


@dataclass(frozen=True)
class Rule:
    script: Script
    namespace: str | None = None
    selector: LabelSelector | None = None
    pod: str | None = None  # name or glob
    container: str | None = None
    image: str | None = None  # image or glob

    def matches(self, pod: Obj, container: Obj) -> bool:
        meta = pod["metadata"]
        return (
            (self.namespace is None or meta.get("namespace") == self.namespace)
            and (self.selector is None or self.selector.matches(meta.get("labels")))
            and (self.pod is None or fnmatch.fnmatchcase(meta["name"], self.pod))
            and (self.container is None or container["name"] == self.container)
            and (self.image is None or fnmatch.fnmatchcase(container.get("image", ""), self.image))
        )


def _selector(selector: Mapping[str, str] | str | None) -> LabelSelector | None:
    if selector is None:
        return None
    if isinstance(selector, str):
        return parse_label_selector(selector)
    return parse_label_selector(",".join(f"{k}={v}" for k, v in selector.items()))


@dataclass
class _Log:
    lines: list[tuple[str, str]] = field(default_factory=list)  # (timestamp, line with "\n")
    previous: list[tuple[str, str]] = field(default_factory=list)

    def add(self, text: str, previous: bool = False) -> None:
        at = stamp_micro()
        target = self.previous if previous else self.lines
        for line in text.splitlines(keepends=True):
            target.append((at, line if line.endswith("\n") else line + "\n"))


@dataclass
class _Pod:
    uid: str
    namespace: str
    name: str
    views: dict[str, ContainerView]
    logs: dict[str, _Log]
    wrote: bool = True
    removed: bool = False


class ScriptedKubelet(Kubelet):
    def __init__(self, capacity: Mapping[str, str] | None = None) -> None:
        self._ctx: KubeletContext | None = None
        self._rules: list[Rule] = []
        self._pods: dict[str, _Pod] = {}
        self._lock = threading.Condition()
        self.capacity = dict(
            capacity or {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"}
        )

    # ----- the test-facing API -------------------------------------------------------------------

    def script(
        self,
        script: Script,
        *,
        namespace: str | None = None,
        selector: Mapping[str, str] | str | None = None,
        pod: str | None = None,
        container: str | None = None,
        image: str | None = None,
    ) -> None:
        """Containers of pods started from now on that match get ``script`` (the latest rule wins)."""
        with self._lock:
            self._rules.append(Rule(script, namespace, _selector(selector), pod, container, image))

    def clear_scripts(self) -> None:
        with self._lock:
            self._rules.clear()

    def set_state(self, namespace: str, pod: str, script: Script, container: str | None = None) -> None:
        """Move containers of an existing pod to ``script``'s state now (all containers by default)."""
        obj = self._api_pod(namespace, pod)
        with self._lock:
            record = self._pods.get(obj["metadata"]["uid"])
            if record is None:
                raise KeyError(f"pod {namespace}/{pod} has not started on the scripted kubelet")
            for c in obj["spec"]["containers"]:
                if container is None or c["name"] == container:
                    record.views[c["name"]] = self._view(c, script, record.views.get(c["name"]))
                    if script.logs:
                        record.logs[c["name"]].add(script.logs)
                    if script.previous_logs:
                        record.logs[c["name"]].add(script.previous_logs, previous=True)
            self._lock.notify_all()
        self._publish(
            obj,
            record,
            {
                c["name"]: script
                for c in obj["spec"]["containers"]
                if container is None or c["name"] == container
            },
        )

    def append_log(
        self, namespace: str, pod: str, text: str, container: str | None = None, previous: bool = False
    ) -> None:
        obj = self._api_pod(namespace, pod)
        name = container or obj["spec"]["containers"][0]["name"]
        with self._lock:
            record = self._pods[obj["metadata"]["uid"]]
            record.logs[name].add(text, previous)
            self._lock.notify_all()

    def started(self, namespace: str, pod: str) -> bool:
        with self._lock:
            return any(
                p.namespace == namespace and p.name == pod and not p.removed for p in self._pods.values()
            )

    # ----- Kubelet -------------------------------------------------------------------------------

    def attach(self, ctx: KubeletContext) -> None:
        self._ctx = ctx

    def node_status(self) -> Obj:
        return ready_node_status(dict(self.capacity), "scripted://hyscale-standin")

    def sync_pod(self, pod: Obj) -> None:
        ctx = self._require_ctx()
        meta = pod["metadata"]
        uid = meta["uid"]
        if meta.get("deletionTimestamp"):
            with self._lock:
                record = self._pods.get(uid)
                if record is not None:
                    record.removed = True
                    self._lock.notify_all()
            for c in pod["spec"]["containers"]:
                if (
                    record is not None
                    and record.views.get(c["name"], ContainerView("", "")).state == "running"
                ):
                    ctx.recorder.record(
                        pod,
                        "Normal",
                        "Killing",
                        f"Stopping container {c['name']}",
                        f"spec.containers{{{c['name']}}}",
                    )
            ctx.finish_deletion(pod)
            return
        with self._lock:
            record = self._pods.get(uid)
            if record is not None:
                # a pod update may change images only: a changed image restarts that container
                changed = {
                    c["name"]: self._pick(pod, c)
                    for c in pod["spec"]["containers"]
                    if c.get("image") != record.views[c["name"]].image
                }
                for c in pod["spec"]["containers"]:
                    if c["name"] in changed:
                        view = self._view(c, changed[c["name"]], None)
                        view.restart_count = record.views[c["name"]].restart_count + 1
                        record.views[c["name"]] = view
                if not changed:
                    return
                scripts = changed
            else:
                scripts = {c["name"]: self._pick(pod, c) for c in pod["spec"]["containers"]}
                record = _Pod(
                    uid,
                    meta["namespace"],
                    meta["name"],
                    {c["name"]: self._view(c, scripts[c["name"]], None) for c in pod["spec"]["containers"]},
                    {c["name"]: _Log() for c in pod["spec"]["containers"]},
                )
                for name, script in scripts.items():
                    record.logs[name].add(script.logs)
                    record.logs[name].add(script.previous_logs, previous=True)
                self._pods[uid] = record
        self._publish(pod, record, scripts)

    def pod_removed(self, pod: Obj) -> None:
        with self._lock:
            record = self._pods.pop(pod["metadata"]["uid"], None)
            if record is not None:
                record.removed = True
            self._lock.notify_all()

    def logs(self, pod: Obj, options: LogOptions, stopping: Callable[[], bool]) -> Iterator[bytes]:
        check_log_status(pod, options.container, options.previous)
        with self._lock:
            record = self._pods.get(pod["metadata"]["uid"])
        if record is None:
            return
        log = record.logs.get(options.container)
        if log is None:
            return
        with self._lock:
            lines = list(log.previous if options.previous else log.lines)
        if options.since_seconds is not None:
            cutoff = stamp_micro(_ago(options.since_seconds))
            lines = [entry for entry in lines if entry[0] >= cutoff]
        if options.tail_lines is not None:
            lines = lines[-options.tail_lines :] if options.tail_lines > 0 else []
        budget = options.limit_bytes
        sent = 0
        for at, line in lines:
            chunk = (f"{at} {line}" if options.timestamps else line).encode()
            if budget is not None and sent + len(chunk) > budget:
                yield chunk[: budget - sent]
                return
            sent += len(chunk)
            yield chunk
        if not options.follow or options.previous:
            return
        seen = len(log.lines)

        def progressed(count: int) -> Callable[[], bool]:
            return lambda: (
                len(log.lines) > count
                or record.removed
                or record.views[options.container].state == "terminated"
            )

        while not stopping():
            with self._lock:
                self._lock.wait_for(progressed(seen), timeout=0.25)
                fresh = log.lines[seen:]
                seen = len(log.lines)
                done = record.removed or record.views[options.container].state == "terminated"
            for at, line in fresh:
                yield (f"{at} {line}" if options.timestamps else line).encode()
            if done:
                return

    def shutdown(self) -> None:
        with self._lock:
            for record in self._pods.values():
                record.removed = True
            self._lock.notify_all()

    # ----- internals -----------------------------------------------------------------------------

    def _require_ctx(self) -> KubeletContext:
        if self._ctx is None:
            raise RuntimeError("the scripted kubelet is not attached to a stand-in")
        return self._ctx

    def _api_pod(self, namespace: str, name: str) -> Obj:
        ctx = self._require_ctx()
        return ctx.api.get(ctx.api.rt("v1", "Pod"), namespace, name)

    def _pick(self, pod: Obj, container: Obj) -> Script:
        for rule in reversed(self._rules + self._api_rules()):
            if rule.matches(pod, container):
                return rule.script
        return running()

    def _api_rules(self) -> list[Rule]:
        """Rules from the ConfigMap channel; they come before Python rules (which win)."""
        ctx = self._require_ctx()
        cm = ctx.api.find(ctx.api.rt("v1", "ConfigMap"), *SCRIPT_CONFIGMAP)
        if cm is None:
            return []
        try:
            raw = json.loads((cm.get("data") or {}).get("rules", "[]"))
            return [
                Rule(
                    Script.from_json(r.get("script") or {}),
                    r.get("match", {}).get("namespace"),
                    _selector(r.get("match", {}).get("selector")),
                    r.get("match", {}).get("pod"),
                    r.get("match", {}).get("container"),
                    r.get("match", {}).get("image"),
                )
                for r in raw
            ]
        except (ValueError, TypeError, AttributeError, ApiError):
            return []

    def _view(self, container: Obj, script: Script, old: ContainerView | None) -> ContainerView:
        image = container.get("image", "")
        now = stamp()
        image_id = (
            ""
            if script.state == "waiting"
            and script.reason in ("ErrImagePull", "ImagePullBackOff", "ContainerCreating")
            else f"scripted://{image}"
        )
        view = ContainerView(
            name=container["name"],
            image=image,
            image_id=image_id,
            ready=script.ready and script.state == "running",
            restart_count=script.restarts or (old.restart_count if old else 0),
        )
        if image_id:
            view.container_id = f"scripted://{container['name']}-{time.monotonic_ns():x}"
        if script.state == "running":
            view.state, view.reason, view.started_at = "running", None, now
        elif script.state == "terminated":
            view.state = "terminated"
            view.terminated = Terminated(
                script.exit_code, script.reason or "Completed", script.message, now, now, view.container_id
            )
        else:
            view.state, view.reason = "waiting", script.reason or "ContainerCreating"
            view.message = script.message or _waiting_message(script.reason, image, container["name"])
        if script.last_exit_code is not None:
            view.last_terminated = Terminated(
                script.last_exit_code, script.last_reason or "Error", None, now, now, view.container_id
            )
        return view

    def _publish(self, pod: Obj, record: _Pod, scripts: Mapping[str, Script]) -> None:
        ctx = self._require_ctx()
        fresh = ctx.api.find(ctx.api.rt("v1", "Pod"), record.namespace, record.name)
        if fresh is None or fresh["metadata"].get("deletionTimestamp"):
            return
        with self._lock:
            views = [record.views[c["name"]] for c in fresh["spec"]["containers"]]
        ctx.write_status(fresh, build_pod_status(fresh, views))
        for c in fresh["spec"]["containers"]:
            if c["name"] not in scripts:
                continue
            for type_, reason, message in _events(scripts[c["name"]], c, fresh):
                ctx.recorder.record(fresh, type_, reason, message, f"spec.containers{{{c['name']}}}")


def _ago(seconds: int) -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)


def _waiting_message(reason: str | None, image: str, name: str) -> str | None:
    if reason == "ImagePullBackOff":
        return f'Back-off pulling image "{image}"'
    if reason == "ErrImagePull":
        return (
            f'failed to pull and unpack image "{image}": failed to resolve reference "{image}": '
            f"{image}: not found"
        )
    if reason == "CrashLoopBackOff":
        return f"back-off 5m0s restarting failed container={name}"
    return None


def _events(script: Script, container: Obj, pod: Obj) -> list[tuple[str, str, str]]:
    """The events a real kubelet records for a container reaching this state."""
    if script.events is not None:
        return list(script.events)
    image, name = container.get("image", ""), container["name"]
    pulled = [
        ("Normal", "Pulling", f'Pulling image "{image}"'),
        (
            "Normal",
            "Pulled",
            f'Successfully pulled image "{image}" in 120ms (120ms including waiting). '
            "Image size: 1048576 bytes.",
        ),
    ]
    started = [
        ("Normal", "Created", f"Created container: {name}"),
        ("Normal", "Started", f"Started container {name}"),
    ]
    if script.state == "waiting" and script.reason in ("ImagePullBackOff", "ErrImagePull"):
        why = script.message or _waiting_message("ErrImagePull", image, name) or ""
        out = [
            ("Normal", "Pulling", f'Pulling image "{image}"'),
            ("Warning", "Failed", f'Failed to pull image "{image}": {why}'),
            ("Warning", "Failed", "Error: ErrImagePull"),
        ]
        if script.reason == "ImagePullBackOff":
            out += [
                ("Normal", "BackOff", f'Back-off pulling image "{image}"'),
                ("Warning", "Failed", "Error: ImagePullBackOff"),
            ]
        return out
    if script.state == "waiting" and script.reason == "CreateContainerConfigError":
        return [*pulled, ("Warning", "Failed", f"Error: {script.message}")]
    if script.state == "waiting" and script.reason == "CrashLoopBackOff":
        meta = pod["metadata"]
        return (
            pulled
            + started
            + [
                (
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod "
                    f"{meta['name']}_{meta['namespace']}({meta['uid']})",
                )
            ]
        )
    if script.state == "running" and not script.ready:
        return pulled + started + [("Warning", "Unhealthy", script.message or "Readiness probe failed")]
    if script.state == "waiting":
        return []
    return pulled + started


__all__ = [
    "NODE_NAME",
    "Rule",
    "Script",
    "ScriptedKubelet",
    "config_error",
    "container_creating",
    "crash_loop",
    "err_image_pull",
    "image_pull_backoff",
    "not_ready",
    "oom_killed",
    "running",
    "terminated",
]
