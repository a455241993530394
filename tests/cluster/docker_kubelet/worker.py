"""One pod on Docker: a worker thread per pod, as the kubelet's pod workers.

The loop brings each container toward its spec: pull (per ``imagePullPolicy``, with the pod's pull
secrets), resolve env and mounts, create, start; watch it (Docker events wake the worker), run its
probes, restart it per ``restartPolicy`` with the kubelet's back-off (at once, then 10 s, 20 s ...
5 min, all times multiplied by the kubelet's time scale); and writes the pod status whenever what
it shows changes. On deletion it stops the containers within the grace period, removes them with
the sandbox and per-pod volumes, and confirms the deletion.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import docker.errors

from ..clock import stamp
from ..errors import ApiError
from ..kubelet import ContainerView, Terminated
from .containers import (
    create_container,
    create_sandbox,
    go_duration,
    stop,
    terminated_of,
)
from .engine import ENGINE_ERRORS, LABEL_POD_UID, explanation
from .env import ConfigError, command_line, container_env
from .images import InvalidImageNameError, PullError, credentials_for, image_id, parse_image, present, pull
from .pod_api import PodApi
from .probes import Prober
from .volumes import MountError, PodVolumes

if TYPE_CHECKING:
    from .kubelet import DockerKubelet

Obj = dict[str, Any]
CRASH_BACKOFF = (10.0, 300.0)  # the kubelet's container restart back-off: initial, max
PULL_BACKOFF = (10.0, 300.0)  # and its image pull back-off
RETRY_SECONDS = 10.0  # CreateContainerConfigError, FailedMount, sandbox failures: try again after
RESYNC_SECONDS = 1.0  # inspect containers, refresh configMap/secret files, even without an event


@dataclass
class Instance:
    """One Docker container of a pod's container (a new one per restart)."""

    id: str
    probers: dict[str, Prober] = field(default_factory=dict)

    def stop_probes(self) -> None:
        for prober in self.probers.values():
            prober.stop()


@dataclass
class Run:
    spec: Obj
    view: ContainerView
    current: Instance | None = None
    dead: list[str] = field(default_factory=list)  # exited instances kept for logs, newest last
    not_before: float = 0.0  # back-off: no new attempt before (monotonic)
    backoff: float = 0.0  # next crash back-off, unscaled seconds (0: restart at once)
    pull_backoff: float = 0.0
    backoff_shown_at: float | None = None  # ErrImagePull becomes ImagePullBackOff then
    done: bool = False  # terminated and not restarted (restartPolicy)
    dirty: bool = True  # inspect the instance


class PodWorker:
    def __init__(self, kubelet: DockerKubelet, pod: Obj) -> None:
        self.kubelet = kubelet
        self.engine = kubelet.engine
        self.report = PodApi(kubelet.ctx, pod)
        self.scale = kubelet.time_scale
        self.pod = pod
        meta = pod["metadata"]
        self.uid, self.namespace, self.name = meta["uid"], meta["namespace"], meta["name"]
        self.volumes = PodVolumes(self.engine, pod, kubelet.root / self.uid, kubelet.lookup)
        self.runs: dict[str, Run] = {
            c["name"]: Run(c, ContainerView(c["name"], c.get("image", ""))) for c in pod["spec"]["containers"]
        }
        self.sandbox: str | None = None
        self.host_ports: dict[int, int] = {}
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._grace: float | None = None  # set: terminate, waiting this long for containers to stop
        self._removed = False  # the pod is gone from the API: nothing to confirm
        self._next_resync = 0.0
        self._retry_at = 0.0
        self._thread = threading.Thread(target=self._main, name=f"standin-pod-{self.name}", daemon=True)

    # ----- called from other threads ---------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def update(self, pod: Obj) -> None:
        with self._lock:
            self.pod = self.report.pod = pod
            if pod["metadata"].get("deletionTimestamp") and self._grace is None:
                self._grace = float(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
        self._wake.set()

    def removed(self) -> None:
        with self._lock:
            self._removed = True
            self._grace = 0.0
        self._wake.set()

    def container_event(self, container_id: str) -> None:
        for run in self.runs.values():
            if run.current is not None and (not container_id or run.current.id == container_id):
                run.dirty = True
        self._wake.set()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    # ----- the loop ----------------------------------------------------------------------------------

    def _stopping(self) -> bool:
        return self._grace is not None or self.kubelet.closing.is_set()

    def _main(self) -> None:
        try:
            while not self._stopping():
                self._wake.clear()  # before the work: a wake-up during it is not lost
                try:
                    self._sync()
                    self._publish()
                except ENGINE_ERRORS as exc:  # the daemon hiccuped: try again shortly
                    self._complain(str(exc))
                    self._wake.wait(0.5)
                except Exception:  # a bug here must not take the pod down with it: say so, go on
                    self._complain(traceback.format_exc())
                    self._wake.wait(1.0)
                self._wake.wait(0.1)
        finally:
            self._tear_down()

    def _complain(self, text: str) -> None:
        print(f"stand-in docker kubelet: pod {self.namespace}/{self.name}: {text}", file=sys.stderr)

    def _sync(self) -> None:
        now = time.monotonic()
        resync = now >= self._next_resync
        if resync:
            self._next_resync = now + RESYNC_SECONDS
        if self.sandbox is None:
            if now < self._retry_at or not self._prepare_pod():
                return
        elif resync:
            self._set_up_volumes()  # configMap and secret files follow their objects
        with self._lock:
            pod = self.pod
        for spec in pod["spec"]["containers"]:
            if self._stopping():
                return
            run = self.runs[spec["name"]]
            run.spec = spec
            self._step(run, resync)

    def _set_up_volumes(self) -> bool:
        try:
            self.volumes.set_up()
        except MountError as exc:
            self._event(
                "Warning", "FailedMount", f'MountVolume.SetUp failed for volume "{exc.volume}" : {exc}'
            )
            return False
        return True

    def _prepare_pod(self) -> bool:
        """Volumes, then the sandbox. False: not yet, the containers stay ContainerCreating."""
        if self.pod["spec"].get("initContainers"):
            # said loudly rather than skipped: a pod that ran without its init containers would pass
            # tests it should not
            self._event(
                "Warning",
                "FailedCreatePodSandBox",
                "the stand-in's Docker kubelet does not run init containers",
            )
            self._retry_at = time.monotonic() + max(RETRY_SECONDS * self.scale, 0.2)
            return False
        if not self._set_up_volumes():
            self._retry_at = time.monotonic() + max(RETRY_SECONDS * self.scale, 0.2)
            return False
        if self.kubelet.closing.is_set():
            return False
        try:
            self.sandbox, ports = create_sandbox(self.engine, self.pod, self.kubelet.pause_image)
        except ENGINE_ERRORS as exc:
            self._event(
                "Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {explanation(exc)}"
            )
            self._retry_at = time.monotonic() + max(RETRY_SECONDS * self.scale, 0.2)
            return False
        self.host_ports = {int(k): v for k, v in ports.items() if k.isdigit()}
        self.report.annotate_ports(ports)
        return True

    # ----- one container -------------------------------------------------------------------------

    def _step(self, run: Run, resync: bool) -> None:
        if run.done:
            return
        if run.current is not None:
            if run.spec.get("image") != run.view.image:
                self._event(
                    "Normal",
                    "Killing",
                    f"Container {run.spec['name']} definition changed, will be restarted",
                    run,
                )
                self._kill(run, self._grace_seconds())
                run.backoff, run.not_before = 0.0, 0.0
            elif any(p.fired for p in run.current.probers.values()):
                kind = next(p.kind for p in run.current.probers.values() if p.fired)
                self._event(
                    "Normal",
                    "Killing",
                    f"Container {run.spec['name']} failed {kind.lower()} probe, will be restarted",
                    run,
                )
                self._kill(run, self._grace_seconds())
            if run.dirty or resync:
                run.dirty = False
                self._observe(run)
            if run.current is not None:
                self._readiness(run)
                return
            if run.done:
                return
        now = time.monotonic()
        if now < run.not_before:
            if run.backoff_shown_at is not None and now >= run.backoff_shown_at:
                self._image_pull_backoff(run)
            return
        self._start(run)

    def _observe(self, run: Run) -> None:
        assert run.current is not None
        try:
            state = self.engine.api.inspect_container(run.current.id)["State"]
        except docker.errors.NotFound:
            state = {"Status": "exited", "ExitCode": 137, "Running": False}  # removed behind our back
        if state.get("Running"):
            return
        self._exited(run, terminated_of(state, run.current.id))

    def _readiness(self, run: Run) -> None:
        assert run.current is not None
        probers = run.current.probers
        ready = all(p.ok for kind, p in probers.items() if kind in ("Readiness", "Startup"))
        run.view.ready = ready

    def _exited(self, run: Run, terminated: Terminated) -> None:
        """The instance ended: keep it for logs, then restart per restartPolicy with back-off."""
        instance = run.current
        assert instance is not None
        instance.stop_probes()
        # keep the last two dead instances: lastState's, and the one before it, which a log request
        # that read the pod status a moment ago may still name
        run.dead.append(instance.id)
        while len(run.dead) > 2:
            self.engine.remove_container(run.dead.pop(0))
        run.current = None
        view = run.view
        view.ready = False
        view.container_id = f"docker://{instance.id}"
        policy = self.pod["spec"].get("restartPolicy", "Always")
        if policy == "Never" or (policy == "OnFailure" and terminated.exit_code == 0):
            view.state, view.terminated = "terminated", terminated  # lastState: the run before, if any
            run.done = True
            return
        view.last_terminated = terminated
        # the kubelet's back-off: the first restart at once, then 10 s, 20 s, 40 s ... up to 5 min
        delay = run.backoff
        run.backoff = CRASH_BACKOFF[0] if not delay else min(delay * 2, CRASH_BACKOFF[1])
        run.not_before = time.monotonic() + delay * self.scale
        if delay:
            self._crash_loop(run, delay)

    def _crash_loop(self, run: Run, delay: float) -> None:
        name = run.spec["name"]
        pod = f"{self.name}_{self.namespace}({self.uid})"
        run.view.state, run.view.reason = "waiting", "CrashLoopBackOff"
        run.view.message = f"back-off {go_duration(delay)} restarting failed container={name} pod={pod}"
        self._event("Warning", "BackOff", f"Back-off restarting failed container {name} in pod {pod}", run)

    def _start(self, run: Run) -> None:
        spec, view = run.spec, run.view
        if self.kubelet.closing.is_set():
            return
        if view.image != spec.get("image"):
            view.image, run.pull_backoff, view.image_id = spec.get("image", ""), 0.0, ""
        try:
            image = parse_image(spec.get("image", ""))
        except InvalidImageNameError as exc:
            self._waiting(run, "InvalidImageName", str(exc))
            self._event("Warning", "InspectFailed", str(exc), run)
            self._event("Warning", "Failed", "Error: InvalidImageName", run)
            run.not_before = time.monotonic() + max(RETRY_SECONDS * self.scale, 0.2)
            return
        if not self._ensure_image(run, image):
            return
        try:
            lookup = self.kubelet.lookup
            env = container_env(
                self.pod,
                spec,
                lookup,
                self.kubelet.capacity,
                lambda text: self._event("Warning", "InvalidEnvironmentVariableNames", text, run),
            )
            mounts = self.volumes.mounts(spec)
        except (ConfigError, MountError) as exc:
            self._waiting(run, "CreateContainerConfigError", str(exc))
            self._event("Warning", "Failed", f"Error: {exc}", run)
            run.not_before = time.monotonic() + max(RETRY_SECONDS * self.scale, 0.2)
            return
        assert self.sandbox is not None
        attempt = view.restart_count + (1 if view.last_terminated or view.state == "terminated" else 0)
        try:
            container_id = create_container(
                self.engine, self.pod, spec, attempt, self.sandbox, env, command_line(spec, env), mounts
            )
        except ENGINE_ERRORS as exc:
            self._waiting(run, "CreateContainerError", explanation(exc))
            self._event("Warning", "Failed", f"Error: {explanation(exc)}", run)
            run.not_before = time.monotonic() + max(RETRY_SECONDS * self.scale, 0.2)
            return
        self._event("Normal", "Created", f"Created container: {spec['name']}", run)
        view.restart_count = attempt
        run.current = Instance(container_id)
        try:
            self.engine.api.start(container_id)
        except ENGINE_ERRORS as exc:
            said = explanation(exc)
            self._event(
                "Warning", "Failed", f'Error: failed to start container "{spec["name"]}": {said}', run
            )
            failed = Terminated(128, "StartError", said, None, stamp(), f"docker://{container_id}")
            self._exited(run, failed)
            return
        self._event("Normal", "Started", f"Started container {spec['name']}", run)
        view.state, view.reason, view.message = "running", None, None
        view.started_at, view.terminated = stamp(), None
        view.container_id, view.ready = f"docker://{container_id}", False
        run.current.probers = self._probers(spec, container_id)
        self._readiness(run)

    def _ensure_image(self, run: Run, image: Any) -> bool:
        spec, view = run.spec, run.view
        policy = spec.get("imagePullPolicy") or "IfNotPresent"
        api = self.engine.api
        inspected = present(api, image.reference) if policy != "Always" else None
        if inspected is not None:
            self._event("Normal", "Pulled", f'Container image "{view.image}" already present on machine', run)
        elif policy == "Never":
            message = f'Container image "{view.image}" is not present with pull policy of Never'
            self._waiting(run, "ErrImageNeverPull", message)
            self._event("Warning", "ErrImageNeverPull", message, run)
            run.not_before = time.monotonic() + max(RETRY_SECONDS * self.scale, 0.2)
            return False
        else:
            self._event("Normal", "Pulling", f'Pulling image "{view.image}"', run)
            try:
                pulled = pull(api, image, credentials_for(image, self._pull_secrets()))
            except PullError as exc:
                self._failed_pull(run, str(exc))
                return False
            inspected = pulled.image
            took = f"{pulled.seconds:.3f}s"
            self._event(
                "Normal",
                "Pulled",
                f'Successfully pulled image "{view.image}" in {took} ({took} '
                f"including waiting). Image size: {inspected.get('Size', 0)} bytes.",
                run,
            )
        run.pull_backoff, run.backoff_shown_at = 0.0, None
        view.image_id = image_id(inspected, image)
        return True

    def _pull_secrets(self) -> list[Obj]:
        found, missing = [], []
        for ref in self.pod["spec"].get("imagePullSecrets") or []:
            secret = self.kubelet.lookup("Secret", self.namespace, str(ref.get("name", "")))
            if secret is None:
                missing.append(str(ref.get("name", "")))
            else:
                found.append(secret)
        if missing:
            self._event(
                "Warning",
                "FailedToRetrieveImagePullSecret",
                f"Unable to retrieve some image pull secrets ({', '.join(missing)}); attempting to pull "
                "the image may not succeed.",
            )
        return found

    def _failed_pull(self, run: Run, message: str) -> None:
        image = run.view.image
        self._waiting(run, "ErrImagePull", message)
        self._event("Warning", "Failed", f'Failed to pull image "{image}": {message}', run)
        self._event("Warning", "Failed", "Error: ErrImagePull", run)
        delay = run.pull_backoff or PULL_BACKOFF[0]
        run.pull_backoff = min(delay * 2, PULL_BACKOFF[1])
        now = time.monotonic()
        run.not_before = now + delay * self.scale
        # ErrImagePull stays a moment (a real node shows it until its next sync), within the back-off
        run.backoff_shown_at = now + min(max(2 * self.scale, 0.2), delay * self.scale / 2)

    def _image_pull_backoff(self, run: Run) -> None:
        """ErrImagePull turns into ImagePullBackOff while the kubelet waits to pull again."""
        run.backoff_shown_at = None
        image, said = run.view.image, run.view.message
        self._waiting(run, "ImagePullBackOff", f'Back-off pulling image "{image}": ErrImagePull: {said}')
        self._event("Normal", "BackOff", f'Back-off pulling image "{image}"', run)
        self._event("Warning", "Failed", "Error: ImagePullBackOff", run)

    def _waiting(self, run: Run, reason: str, message: str | None) -> None:
        view = run.view
        view.state, view.reason, view.message, view.ready = "waiting", reason, message, False

    def _probers(self, spec: Obj, container_id: str) -> dict[str, Prober]:
        probers: dict[str, Prober] = {}
        startup: list[Prober] = []

        def failed(kind: str, message: str) -> None:
            self._event("Warning", "Unhealthy", f"{kind} probe failed: {message}", self.runs[spec["name"]])

        for kind in ("Startup", "Readiness", "Liveness"):
            probe = spec.get(f"{kind[0].lower()}{kind[1:]}Probe")
            if not probe:
                continue
            prober = Prober(
                kind,
                probe,
                spec,
                container_id,
                self.host_ports,
                self.scale,
                lambda: self.engine.api,
                failed,
                self._wake.set,
                gate=(lambda: all(s.ok for s in startup)),
            )
            probers[kind] = prober
            if kind == "Startup":
                startup.append(prober)
        if "Readiness" not in probers:  # no readiness probe: ready once started
            probers["Readiness"] = Prober(
                "Readiness",
                {},
                spec,
                container_id,
                {},
                self.scale,
                lambda: self.engine.api,
                failed,
                self._wake.set,
            )
            probers["Readiness"].ok = True
        else:
            probers["Readiness"].start()
        for kind in ("Startup", "Liveness"):
            if kind in probers:
                probers[kind].start()
        return probers

    def _kill(self, run: Run, grace: float) -> None:
        if run.current is None:
            return
        run.current.stop_probes()
        stop(self.engine, run.current.id, grace)
        run.dirty = True

    def _grace_seconds(self) -> float:
        return float(self.pod["spec"].get("terminationGracePeriodSeconds", 30)) * self.scale

    # ----- API writes --------------------------------------------------------------------------------

    def _event(self, type_: str, reason: str, message: str, run: Run | None = None) -> None:
        self.report.event(type_, reason, message, run.spec["name"] if run is not None else None)

    def _publish(self) -> None:
        if not self._stopping():
            self.report.publish({name: run.view for name, run in self.runs.items()})

    # ----- the end -----------------------------------------------------------------------------------

    def _tear_down(self) -> None:
        """Stop within the grace period, remove everything of the pod, confirm the deletion."""
        closing = self.kubelet.closing.is_set()
        grace = 0.0 if closing else (self._grace or 0.0) * self.scale
        live = [run for run in self.runs.values() if run.current is not None]
        for run in live:
            assert run.current is not None
            run.current.stop_probes()
            if grace > 0:
                self._event("Normal", "Killing", f"Stopping container {run.spec['name']}", run)
        threads = [
            threading.Thread(target=stop, args=(self.engine, run.current.id, grace), daemon=True)
            for run in live
            if run.current is not None and grace > 0
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(grace + 15)
        try:
            self.engine.sweep(**{LABEL_POD_UID: self.uid})  # every container and emptyDir of this pod
            self.volumes.tear_down()
        except ENGINE_ERRORS as exc:
            self._complain(f"cleaning up: {exc}")
        if self._grace is not None and not closing and not self._removed:
            try:
                self.report.finish_deletion()
            except ApiError as exc:
                self._complain(f"confirming the deletion: {exc}")
        self.kubelet.worker_done(self.uid)
