"""The Docker engine as the node's container runtime: clients, labels, the pause image, events.

Every container and volume the kubelet creates carries ``hyscale-standin=<instance id>``: other
processes (another engineer's tests) share the daemon, and cleanup removes only what is labelled
with this instance's id.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

Obj = dict[str, Any]

LABEL_INSTANCE = "hyscale-standin"
LABEL_POD_UID = "io.kubernetes.pod.uid"
LABEL_POD_NAME = "io.kubernetes.pod.name"
LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace"
LABEL_CONTAINER = "io.kubernetes.container.name"
SANDBOX = "POD"  # the container name dockershim gave the sandbox (pause) container

# what a dead daemon or a broken stream raises besides docker.errors.* (test-infra.md §3)
ENGINE_ERRORS: tuple[type[BaseException], ...] = (
    docker.errors.DockerException,
    requests.exceptions.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
)


class DockerUnavailableError(RuntimeError):
    pass


def explanation(exc: BaseException) -> str:
    """The daemon's own words for an error (what ``docker`` prints after "Error response from daemon")."""
    if isinstance(exc, docker.errors.APIError):
        said = exc.explanation
        if isinstance(said, bytes):
            said = said.decode(errors="replace")
        return str(said or exc).strip()
    return str(exc).strip() or type(exc).__name__


class Engine:
    def __init__(self, instance: str) -> None:
        self.instance = instance
        try:
            probe = docker.from_env()
            self.version: str = probe.api.api_version
            self.info: Obj = probe.info()
            probe.close()
        except ENGINE_ERRORS as exc:
            raise DockerUnavailableError(
                f"the Docker kubelet needs a Docker engine and none answers ({explanation(exc)}); start one "
                "(scripts/test-services start DIR PYTHON) or run the stand-in with --no-docker"
            ) from exc
        self._local = threading.local()

    @property
    def api(self) -> Any:
        """This thread's low-level client (requests sessions are not shared between threads)."""
        client = getattr(self._local, "api", None)
        if client is None:
            client = docker.from_env(version=self.version).api
            self._local.api = client
        return client

    def labels(self, pod: Obj, container: str) -> dict[str, str]:
        meta = pod["metadata"]
        return {
            LABEL_INSTANCE: self.instance,
            LABEL_POD_UID: meta["uid"],
            LABEL_POD_NAME: meta["name"],
            LABEL_POD_NAMESPACE: meta["namespace"],
            LABEL_CONTAINER: container,
        }

    def mine(self, **labels: str) -> dict[str, list[str]]:
        """A docker ``filters`` value: this instance's objects, narrowed by more labels."""
        wanted = {LABEL_INSTANCE: self.instance, **labels}
        return {"label": [f"{k}={v}" for k, v in wanted.items()]}

    def remove_container(self, container_id: str) -> None:
        try:
            self.api.remove_container(container_id, force=True, v=False)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "already in progress" not in explanation(exc):
                raise

    def remove_volume(self, name: str) -> None:
        # a container that is still being removed may hold the volume for a moment
        for _ in range(20):
            try:
                self.api.remove_volume(name, force=True)
                return
            except docker.errors.NotFound:
                return
            except docker.errors.APIError as exc:
                if "in use" not in explanation(exc):
                    raise
                time.sleep(0.1)

    def sweep(self, **labels: str) -> None:
        """Remove this instance's containers (and volumes) that match ``labels``: nothing else's."""
        for found in self.api.containers(all=True, filters=self.mine(**labels)):
            self.remove_container(found["Id"])
        volumes = self.api.volumes(filters=self.mine(**labels)).get("Volumes") or []
        for volume in volumes:
            self.remove_volume(volume["Name"])

    def ensure_pause_image(self) -> str:
        """The sandbox image, built here from the host's static busybox (a node's pause image is node
        configuration, not something pulled with a pod's credentials). Content-addressed tag, so it is
        built once per daemon and shared by every stand-in."""
        found = shutil.which("busybox") or "/bin/busybox"
        try:
            binary = Path(found).read_bytes()
        except OSError as exc:
            raise DockerUnavailableError(
                f"the Docker kubelet builds its pause image from a static busybox and found none ({exc}); "
                "install Debian's busybox-static"
            ) from exc
        tag = f"hyscale-standin/pause:{hashlib.sha256(binary).hexdigest()[:12]}"
        try:
            self.api.inspect_image(tag)
            return tag
        except docker.errors.ImageNotFound:
            pass
        dockerfile = b'FROM scratch\nCOPY busybox /busybox\nENTRYPOINT ["/busybox", "sleep", "2147483647"]\n'
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as tar:
            for name, data, mode in (("Dockerfile", dockerfile, 0o644), ("busybox", binary, 0o755)):
                entry = tarfile.TarInfo(name)
                entry.size, entry.mode = len(data), mode
                tar.addfile(entry, io.BytesIO(data))
        context.seek(0)
        for event in self.api.build(fileobj=context, custom_context=True, tag=tag, rm=True, decode=True):
            if "error" in event:
                raise DockerUnavailableError(f"could not build the pause image {tag}: {event['error']}")
        return tag

    def watch_events(self, notify: Callable[[str], None], stopping: threading.Event) -> Callable[[], None]:
        """Call ``notify(container id)`` when one of this instance's containers starts, dies or is
        OOM-killed. Returns a function that stops the watch. One stream instead of polling every
        container keeps the daemon quiet while another engineer's tests share it."""
        holder: list[Any] = []

        def run() -> None:
            while not stopping.is_set():
                try:
                    stream = self.api.events(
                        decode=True,
                        filters={**self.mine(), "type": ["container"], "event": ["start", "die", "oom"]},
                    )
                    holder[:] = [stream]
                    for event in _events(stream):
                        notify(str(event.get("id") or ""))
                except ENGINE_ERRORS:
                    pass
                if not stopping.wait(0.5):
                    notify("")  # a gap in the stream: let every worker look again

        thread = threading.Thread(target=run, name="standin-docker-events", daemon=True)
        thread.start()

        def stop() -> None:
            stopping.set()
            for stream in holder:
                with contextlib.suppress(*ENGINE_ERRORS):
                    stream.close()
            thread.join(timeout=2)

        return stop


def _events(stream: Any) -> Iterator[Obj]:
    for event in stream:
        if isinstance(event, dict):
            yield event
