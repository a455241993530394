"""The tool next to its peers, side by side on the real test cluster.

One app of 10 services (benchmarks/peersapp.py: 4 generated Dockerfiles, 1 user Dockerfile, 4
images used as they are, 1 stateful service on an image used as it is; props, secrets, HTTP
health checks), deployed by
each tool into a namespace of its own on the same cluster, with the same manifests (the tool's
render: ``$HYSCALE_HOME/apps/peers/<service>/generated-files/manifests/``, no namespace in them)
and the same images (the tool's generated Dockerfile folders and the user's build context, built
by the same Docker engine with its classic builder: the tool's docker SDK has no BuildKit, the
peers get ``DOCKER_BUILDKIT=0`` or ``useBuildkit: false``; pushed to the same registry). Each tool
builds into a repository of its own (``<registry>/peers-<run>/<tool>/<service>``) and every
first deploy and artifact change writes content of its own (a marker in the site), so no tool
finds its images already built by another. Images go through a counting relay in front of the
test registry (uploads = PUT/POST/PATCH), the Docker API through a relay in front of the engine's
socket (builds = ``POST /build``); API writes are the audit log's create/update/patch/delete
requests in that tool's namespace (dry runs apart); every tool talks to the cluster as user
``hyscale-tool`` (HYSCALE_TEST_TOOL_KUBECONFIG).

What each tool runs (timed: the command, nothing else):

* **tool -n1** / **tool -n4**: ``python -m doit -f dodo.py apps=APPS app=peers namespace=NS
  [-n 1 | -n 4 -P process] deploy``, with its own HYSCALE_HOME (a new, empty one for each first
  deploy) and DOCKER_CONFIG. Every workload is that same command, after the edit (the spec's
  prop, the artifact file).
* **floor**: a bash script, written out for each workload (``--show-scripts`` prints them):
  first deploy: for each built service ``docker build -t REF CONTEXT``, ``docker push REF``,
  its digest put into its manifest (sed); ``kubectl create namespace NS``, ``kubectl apply -n NS
  -f DIR`` (the app's manifests, the shared image-pull Secret once), ``kubectl rollout status``
  of the 10 workloads (in parallel); no-op: nothing (so no ratio to the floor); prop change:
  ``kubectl apply -f`` of the files that changed (the ConfigMap, the Deployment whose pod
  template carries the props' checksum) and ``kubectl rollout status`` of that Deployment;
  artifact change: build, push, pin the digest, apply that Deployment, its rollout status.
* **helm**: the same manifests as a chart (Chart.yaml, templates/ = the files, the built images
  as values in values.yaml); ``helm upgrade --install --wait --timeout 10m peers CHART -n NS
  --create-namespace`` for every workload, preceded for the first deploy and the artifact change
  by the floor's ``docker build``/``docker push`` and the new digest written into values.yaml
  (Helm does not build).
* **skaffold**: ``skaffold run -n NS`` for every workload (``kubectl create namespace NS``
  first, for the first deploy): a skaffold.yaml whose artifacts are the built services (contexts:
  the tool's generated Dockerfile folders, the user's build context; ``tagPolicy: inputDigest``,
  ``local: {push: true, useBuildkit: false}``), ``manifests.rawYaml`` the same manifests with the
  built images named as the artifacts so that Skaffold substitutes its tag and digest,
  ``deploy.kubectl``, status check on; its own HOME (metrics and update checks off).

For the peers, the edit of a workload (a prop in a spec, an artifact) is made in their own copy
of the app and rendered again by the tool before the timed command (untimed: it stands for the
user's edit of the manifest or the build context). The changes go to services without a health
check (peersapp.PROP_SERVICE, peersapp.ARTIFACT_SERVICE); the services with one are ready about
30 s after their pod starts (HyScale's probe timings) and make up most of a first deploy.

Runs alternate between the tools (round robin, the order rotated each round): the first deploy
``--first-rounds`` times (the namespaces deleted, and gone, between rounds), the no-op, prop and
artifact changes ``--rounds`` times each; medians are printed. Before each timed run the
benchmark waits (untimed) until every pod of the app in its namespaces is ready and none is
terminating, so that no run pays for the pods the previous one started or stopped, then 1 to
2 s (at random: the kubelet's once-a-second relist must not meet every run at the same moment).
``python -m doit --version`` is timed in each no-op round. A thread watches the app's pods (the
kubernetes client, admin user): the pods each run started, and for the artifact changes the
moment the service's new pod became Ready; the lag is the time from there to the tool's
``Service address : <service>`` line, and to each tool's exit.

Needs the test services and Go for the peers (cached after the first build):

    W=$(mktemp -d); scripts/test-services start $W .venv/bin/python; . $W/env
    .venv/bin/python -m benchmarks.bench_peers [--rounds 3] [--first-rounds 1] [--logs DIR]

(``--logs DIR``: each run's output, its lines timed; ``--show-scripts``: the peers' scripts.)

Its namespaces (``peers-*``), Helm releases, pushed images and local images are removed at the
end, also after a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import random
import re
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.peersapp import (
    ARTIFACT_SERVICE,
    BUILT,
    PROP,
    PROP_SERVICE,
    SERVICES,
    WITH_HEALTH,
    set_artifact,
    set_prop,
    write_app,
)
from benchmarks.timing import as_users_run_it
from testing.audit import MARK_LABEL, TOOL_USER, record_of
from testing.cluster import Cluster, KubeEnv
from testing.images import remove_images_named
from testing.registry import Registry, write_docker_config
from testing.relay import Relay, docker_engine_socket

REPO = Path(__file__).resolve().parents[1]
APP = "peers"
TAG = "1.0"
TOOLS = ("tool-n1", "tool-n4", "floor", "helm", "skaffold")
WORKLOADS = ("first", "noop", "prop", "artifact")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UPLOADS = frozenset({"PUT", "POST", "PATCH"})
RUN_TIMEOUT = 15 * 60  # seconds: a run that takes longer is stopped and reported as failed
SCRUBBED = ("HYSCALE_APPS", "HYSCALE_APP", "HYSCALE_NAMESPACE", "HYSCALE_PROFILE", "HYSCALE_SPECS",
            "HYSCALE_VERBOSE", "HYSCALE_HOME", "KUBECONFIG", "DOCKER_HOST", "DOCKER_CONFIG",
            "HYS_ROLLOUT_TIMEOUT", "HYS_POD_RESTART_COUNT", "HYS_LB_READY_TIMEOUT",
            "HYS_IMAGE_CLEANUP_POLICY", "HYS_REUSE_REGISTRY_IMAGES")
STARTED = time.monotonic()

# A stand-in for the docker CLI where there is none: the same two commands, through the SDK.
DOCKER_SHIM = '''\
#!{python}
"""docker build -q -t REF CONTEXT | docker push REF, through the docker SDK (no docker CLI here)."""
import sys, docker
engine = docker.from_env(timeout=600)
if sys.argv[1] == "build":
    image, _ = engine.images.build(path=sys.argv[-1], tag=sys.argv[sys.argv.index("-t") + 1], rm=True)
    print(image.id)
elif sys.argv[1] == "push":
    repository, _, tag = sys.argv[2].rpartition(":")
    for event in engine.images.push(repository, tag, stream=True, decode=True):
        if "error" in event:
            sys.exit(event["error"])
        if "Digest" in (event.get("aux") or {{}}):
            print(f"{{tag}}: digest: {{event['aux']['Digest']}} size: 0")
else:
    sys.exit(f"docker shim: {{sys.argv[1]}} is not supported")
'''


def say(message: str) -> None:
    print(f"[bench_peers {time.monotonic() - STARTED:6.0f}s] {message}", file=sys.stderr, flush=True)


# -- running a command, its output lines timed ---------------------------------------------------
@dataclass
class Outcome:
    code: int
    started: float  # time.monotonic()
    ended: float
    lines: list[tuple[float, str]]  # (time.monotonic(), line) of stdout and stderr

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def tail(self, count: int = 25) -> str:
        return "\n".join(line for _, line in self.lines[-count:])

    def first_line(self, pattern: str) -> float | None:
        return next((when for when, line in self.lines if re.search(pattern, line)), None)


def execute(argv: list[str], env: dict[str, str], timeout: float = RUN_TIMEOUT) -> Outcome:
    """Run ``argv`` in a session of its own; its exit code, start and end, and its output lines,
    each with the moment it was read."""
    lines: list[tuple[float, str]] = []
    lock = threading.Lock()
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, errors="replace",
                               start_new_session=True)

    def read(stream: Any) -> None:
        for line in stream:
            with lock:
                lines.append((time.monotonic(), line.rstrip("\n")))

    readers = [threading.Thread(target=read, args=(s,), daemon=True)
               for s in (process.stdout, process.stderr)]
    for reader in readers:
        reader.start()
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        os.killpg(process.pid, signal.SIGKILL)  # the session we started, by its id

    # A blocking wait sees the exit when it happens; wait(timeout=...) polls, with sleeps that
    # grow to 50 ms, which added up to 50 ms to every time measured (a sixth of a no-op).
    deadline = threading.Timer(timeout, stop)
    deadline.start()
    try:
        code = process.wait()
    except BaseException:  # Ctrl-C: the command is in a session of its own and would go on
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    finally:
        deadline.cancel()
    ended = time.monotonic()
    if stopped.is_set():
        lines.append((ended, f"(stopped after {timeout:.0f} s)"))
    for reader in readers:
        reader.join(timeout=10)
    return Outcome(code, started, ended, sorted(lines, key=lambda item: item[0]))


def output(argv: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip()


# -- the audit log, read on from where the last read stopped ------------------------------------
class Audit:
    """The API server's audit log from the last :meth:`take` on: the requests of the tools'
    user (``hyscale-tool``) about one namespace. Each read first sends a marked request and waits
    for its line, so that every request made before it is in the file."""

    def __init__(self, path: Path, cluster: Cluster) -> None:
        self.path = path
        self._core = cluster.core()
        self._offset = path.stat().st_size

    def _flush(self) -> bytes:
        mark = secrets.token_hex(8)
        self._core.list_namespace(label_selector=f"{MARK_LABEL}={mark}")
        deadline = time.monotonic() + 10
        while True:
            with self.path.open("rb") as log:
                log.seek(self._offset)
                data = log.read()
            if mark.encode() in data:
                return data[:data.rfind(b"\n") + 1]
            if time.monotonic() > deadline:
                raise AssertionError(f"the audit log {self.path} did not record a request within 10 s")
            time.sleep(0.02)

    def skip(self) -> None:
        self._offset += len(self._flush())

    def take(self, namespace: str) -> list[dict[str, Any]]:
        data = self._flush()
        self._offset += len(data)
        found = []
        for line in data.splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            if (event.get("user") or {}).get("username") != TOOL_USER:
                continue
            record = record_of(event)
            if record["namespace"] == namespace or \
                    (record["resource"] == "namespaces" and record["name"] == namespace):
                found.append(record)
        return found


def writes_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["verb"] in WRITES and "dryRun" not in str(r["query"])]


def describe_writes(records: list[dict[str, Any]]) -> str:
    counts = Counter(f"{r['action']} {r['resource']}{'/' + r['subresource'] if r['subresource'] else ''}"
                     for r in writes_of(records))
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "none"


# -- when pods became ready ----------------------------------------------------------------------
class PodWatch:
    """Watches the app's pods in every namespace (a thread, the admin's client) and notes, by the
    local monotonic clock, when each pod was first seen and first seen Ready."""

    def __init__(self, cluster: Cluster) -> None:
        from kubernetes import client, watch

        self._core = client.CoreV1Api(cluster.api_client())
        self._watch = watch.Watch()  # type: ignore[no-untyped-call]
        self.seen: dict[str, tuple[str, str, str, float]] = {}  # uid -> ns, name, service, first seen
        self.ready: dict[str, float] = {}  # uid -> first seen Ready
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pod watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                stream = self._watch.stream(  # type: ignore[no-untyped-call]
                    self._core.list_pod_for_all_namespaces, label_selector=f"hyscale.io/app-name={APP}",
                    timeout_seconds=120)
                for event in stream:
                    self._note(event["object"], time.monotonic())
                    if self._stop.is_set():
                        return
            except Exception as exc:  # a dropped watch: start it again (noted, in case it loops)
                if not self._stop.is_set():
                    say(f"pod watch restarted after {type(exc).__name__}: {exc}")
                    time.sleep(0.5)

    def _note(self, pod: Any, now: float) -> None:
        uid = pod.metadata.uid
        ready = any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
        with self._lock:
            if uid not in self.seen:
                service = (pod.metadata.labels or {}).get("hyscale.io/service-name", "")
                self.seen[uid] = (pod.metadata.namespace, pod.metadata.name, service, now)
            if ready and uid not in self.ready:
                self.ready[uid] = now

    def last_ready(self, namespace: str, service: str, since: float) -> float | None:
        """When the last pod of ``service`` in ``namespace`` first seen after ``since`` became
        Ready (None: no such pod, or one is not ready)."""
        with self._lock:
            new = [uid for uid, (ns, _, svc, seen) in self.seen.items()
                   if ns == namespace and svc == service and seen >= since]
            if not new or any(uid not in self.ready for uid in new):
                return None
            return max(self.ready[uid] for uid in new)

    def started(self, namespace: str, since: float, until: float) -> int:
        """How many pods of the app were first seen in ``namespace`` between the two moments."""
        with self._lock:
            return sum(1 for ns, _, _, seen in self.seen.values()
                       if ns == namespace and since <= seen <= until)

    def close(self) -> None:
        self._stop.set()
        self._watch.stop()  # type: ignore[no-untyped-call]
        self._thread.join(timeout=5)


# -- the sides: the tool and its peers -----------------------------------------------------------
@dataclass
class Bench:
    """What every side shares."""

    root: Path
    run: str  # peers-<hex>: the repositories' prefix
    registry: str  # the registry relay's host:port (the images' registry)
    stack: str
    app_image: str
    docker_config: Path
    env: dict[str, str]  # the base environment of every command
    bin: Path  # kubectl, helm, skaffold (and a docker stand-in where needed)
    rounds: int = 0


@dataclass
class Side:
    key: str
    bench: Bench
    namespace: str = ""
    folder: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder = self.bench.root / self.key
        self.folder.mkdir(parents=True, exist_ok=True)
        self.namespace = f"peers-{self.key}-{self.bench.run.rsplit('-', 1)[1]}"

    @property
    def label(self) -> str:
        return self.key.replace("tool-n", "tool -n")

    @property
    def apps(self) -> Path:
        return self.folder / "apps"

    @property
    def app(self) -> Path:
        return self.apps / APP

    @property
    def repo(self) -> str:
        return f"{self.bench.run}/{self.key}"

    def ref(self, service: str) -> str:
        return f"{self.bench.registry}/{self.repo}/{service}:{TAG}"

    def write(self, marker: str) -> None:
        if self.app.exists():
            shutil.rmtree(self.app)
        write_app(self.app, registry=self.bench.registry, repo=self.repo, stack=self.bench.stack,
                  app_image=self.bench.app_image, marker=marker)

    def env(self) -> dict[str, str]:
        return dict(self.bench.env)

    # each returns the command to time (None: nothing to run), after the untimed edit
    def first(self, marker: str) -> list[str] | None:
        raise NotImplementedError

    def noop(self) -> list[str] | None:
        raise NotImplementedError

    def prop(self, value: str) -> list[str] | None:
        raise NotImplementedError

    def artifact(self, marker: str) -> list[str] | None:
        raise NotImplementedError

    def scripts(self) -> list[Path]:
        return sorted(self.folder.glob("*.sh"))


class Tool(Side):
    """``doit deploy`` with ``jobs`` workers."""

    jobs = 1
    firsts = 0
    home: Path

    def __post_init__(self) -> None:
        super().__post_init__()
        self.jobs = int(self.key.rsplit("n", 1)[1])
        self.home = self.folder / "home"

    def env(self) -> dict[str, str]:
        return {**self.bench.env, "HYSCALE_HOME": str(self.home)}

    def command(self) -> list[str]:
        parallel = ["-n", str(self.jobs), "-P", "process"] if self.jobs > 1 else ["-n", "1"]
        return [sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), f"apps={self.apps}",
                f"app={APP}", f"namespace={self.namespace}", *parallel, "deploy"]

    def first(self, marker: str) -> list[str]:
        self.write(marker)
        self.firsts += 1
        self.home = self.folder / f"home-{self.firsts}"  # a new, empty HYSCALE_HOME
        return self.command()

    def noop(self) -> list[str]:
        return self.command()

    def prop(self, value: str) -> list[str]:
        set_prop(self.app, value)
        return self.command()

    def artifact(self, marker: str) -> list[str]:
        set_artifact(self.app, ARTIFACT_SERVICE, marker)
        return self.command()

    def manifests(self) -> dict[str, str]:
        """The manifests of the last deploy: ``<service>/<file>`` -> text."""
        base = self.home / "apps" / APP
        return {f"{s}/{p.name}": p.read_text() for s in SERVICES
                for p in sorted((base / s / "generated-files" / "manifests").glob("*.yaml"))}


class Peer(Side):
    """A peer: the tool renders its copy of the app (untimed); the peer deploys the manifests."""

    @property
    def render_home(self) -> Path:
        return self.folder / "render"

    def render(self) -> dict[str, str]:
        """Render the app (the tool's default tasks: Dockerfiles and manifests, untimed); the
        manifests as ``<service>-<file>`` -> text, the shared image-pull Secret once as
        ``pull-secret.yaml``."""
        argv = [sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), f"apps={self.apps}",
                f"app={APP}", f"namespace={self.namespace}"]
        done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False,
                              env={**self.bench.env, "HYSCALE_HOME": str(self.render_home)})
        if done.returncode:
            raise RuntimeError(f"render for {self.key} failed:\n{done.stdout}\n{done.stderr}")
        files: dict[str, str] = {}
        for service in SERVICES:
            folder = self.render_home / "apps" / APP / service / "generated-files" / "manifests"
            for path in sorted(folder.glob("*.yaml")):
                text = path.read_text()
                if "type: kubernetes.io/dockerconfigjson" in text:
                    files["pull-secret.yaml"] = text
                else:
                    files[f"{service}-{path.name}"] = text
        for service in BUILT:
            line = f"image: {self.ref(service)}\n"
            if line not in files[f"{service}-deployment.yaml"]:
                raise RuntimeError(f"no '{line.strip()}' in the rendered {service}/deployment.yaml")
        return files

    def context(self, service: str) -> Path:
        if service == "custom":
            return self.app / "custom"
        return self.render_home / "apps" / APP / service / "generated-files" / "dockerfiles"

    def workloads(self) -> list[str]:
        return [f"{'statefulset' if s == 'store' else 'deployment'}/{s}" for s in SERVICES]

    def script(self, name: str, body: list[str]) -> list[str]:
        path = self.folder / f"{name}.sh"
        path.write_text("\n".join(["#!/usr/bin/env bash",
                                   f"# {self.label}, {name}: benchmarks/bench_peers.py",
                                   "set -euo pipefail", *body]) + "\n")
        path.chmod(0o755)
        return ["bash", str(path)]

    def build_lines(self, services: tuple[str, ...], pin: Callable[[str], tuple[Path, str]]) -> list[str]:
        """Build, push and pin each service's image: ``pin(service)`` is (file, the text before
        the reference on its line) where the new digest goes."""
        lines = ["export DOCKER_BUILDKIT=0  # the classic builder, as the tool's (no buildx here)"]
        for service in services:
            ref = self.ref(service)
            target, before = pin(service)
            pattern = re.escape(f"{before}{ref}").replace("#", r"\#") + r"\(@sha256:[0-9a-f]*\)\?\$"
            lines += [f"docker build -q -t {ref} {shlex.quote(str(self.context(service)))} >/dev/null",
                      f"digest=$(docker push {ref} | sed -n 's/.*digest: \\(sha256:[0-9a-f]*\\).*/\\1/p')",
                      f"sed -i \"s#{pattern}#{before}{ref}@$digest#\" {shlex.quote(str(target))}"]
        return lines

    def write_files(self, folder: Path, files: dict[str, str]) -> list[str]:
        """Write ``files`` into ``folder`` where their content changed (others are removed); the
        names that changed."""
        folder.mkdir(parents=True, exist_ok=True)
        changed = []
        for name, text in files.items():
            path = folder / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                changed.append(name)
        for path in folder.glob("*.yaml"):
            if path.name not in files:
                path.unlink()
        return changed

class Floor(Peer):
    """docker build/push, kubectl apply and rollout status, in bash scripts."""

    @property
    def manifests(self) -> Path:
        return self.folder / "kubectl"

    def sync(self) -> list[str]:
        """Render; the changed files of the kubectl folder (the built images stay as pinned)."""
        files = self.render()
        for service in BUILT:
            name, ref = f"{service}-deployment.yaml", self.ref(service)
            current = self.manifests / name
            pinned = [line.strip() for line in current.read_text().splitlines()
                      if line.strip().startswith(f"image: {ref}")] if current.exists() else []
            if pinned:
                files[name] = files[name].replace(f"image: {ref}\n", f"{pinned[0]}\n", 1)
        return self.write_files(self.manifests, files)

    def pin(self, service: str) -> tuple[Path, str]:
        return self.manifests / f"{service}-deployment.yaml", "image: "

    def rollout(self, workloads: list[str]) -> list[str]:
        waits = " ".join(workloads)
        return ["pids=()",
                f"for workload in {waits}; do",
                f"  kubectl rollout status -n {self.namespace} --timeout 10m $workload >/dev/null &",
                "  pids+=($!)",
                "done",
                'for pid in "${pids[@]}"; do wait $pid; done']

    def first(self, marker: str) -> list[str]:
        self.write(marker)
        self.sync()
        return self.script("first", [
            *self.build_lines(BUILT, self.pin),
            f"kubectl create namespace {self.namespace} >/dev/null",
            f"kubectl apply -n {self.namespace} -f {self.manifests} >/dev/null",
            *self.rollout(self.workloads())])

    def noop(self) -> None:
        return None

    def prop(self, value: str) -> list[str]:
        set_prop(self.app, value)
        changed = self.sync()
        files = " ".join(f"-f {self.manifests / name}" for name in changed)
        return self.script("prop", [f"kubectl apply -n {self.namespace} {files} >/dev/null",
                                    *self.rollout([f"deployment/{PROP_SERVICE}"])])

    def artifact(self, marker: str) -> list[str]:
        set_artifact(self.app, ARTIFACT_SERVICE, marker)
        self.sync()
        return self.script("artifact", [
            *self.build_lines((ARTIFACT_SERVICE,), self.pin),
            f"kubectl apply -n {self.namespace} -f "
            f"{self.manifests / f'{ARTIFACT_SERVICE}-deployment.yaml'} >/dev/null",
            *self.rollout([f"deployment/{ARTIFACT_SERVICE}"])])


class Helm(Peer):
    """The manifests as a chart, the built images as values; helm upgrade --install --wait."""

    @property
    def chart(self) -> Path:
        return self.folder / "chart"

    def env(self) -> dict[str, str]:
        helm = self.folder / "helm-home"
        return {**self.bench.env, "HELM_CONFIG_HOME": str(helm / "config"),
                "HELM_CACHE_HOME": str(helm / "cache"), "HELM_DATA_HOME": str(helm / "data")}

    def sync(self) -> None:
        files = self.render()
        templates = {}
        for name, text in files.items():
            text = text.replace("{{", '{{ "{{" }}')
            service = name.split("-", 1)[0]
            if service in BUILT and name.endswith("-deployment.yaml"):
                text = text.replace(f"image: {self.ref(service)}\n",
                                    f"image: {{{{ .Values.images.{service} }}}}\n", 1)
            templates[name] = text
        self.write_files(self.chart / "templates", templates)
        (self.chart / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: {APP}\ndescription: the bench_peers app, as the tool renders it\n"
            "type: application\nversion: 0.1.0\n")
        values = self.chart / "values.yaml"
        pinned = {s: self.ref(s) for s in BUILT}
        if values.exists():
            pinned.update((yaml.safe_load(values.read_text()) or {}).get("images") or {})
        values.write_text("images:\n" + "".join(f"  {s}: {pinned[s]}\n" for s in BUILT))

    def pin(self, service: str) -> tuple[Path, str]:
        return self.chart / "values.yaml", f"  {service}: "

    def upgrade(self) -> str:
        return (f"helm upgrade --install --wait --timeout 10m {APP} {self.chart} -n {self.namespace} "
                "--create-namespace >/dev/null")

    def first(self, marker: str) -> list[str]:
        self.write(marker)
        self.sync()
        return self.script("first", [*self.build_lines(BUILT, self.pin), self.upgrade()])

    def noop(self) -> list[str]:
        return self.script("noop", [self.upgrade()])

    def prop(self, value: str) -> list[str]:
        set_prop(self.app, value)
        self.sync()
        return self.script("prop", [self.upgrade()])

    def artifact(self, marker: str) -> list[str]:
        set_artifact(self.app, ARTIFACT_SERVICE, marker)
        self.sync()
        return self.script("artifact", [*self.build_lines((ARTIFACT_SERVICE,), self.pin),
                                        self.upgrade()])


class Skaffold(Peer):
    """skaffold run: build (inputDigest tags), push, kubectl apply, status check."""

    @property
    def project(self) -> Path:
        return self.folder / "skaffold"

    def env(self) -> dict[str, str]:
        return {**self.bench.env, "HOME": str(self.folder / "skaffold-home"),
                "SKAFFOLD_UPDATE_CHECK": "false", "SKAFFOLD_INTERACTIVE": "false"}

    def image(self, service: str) -> str:
        return self.ref(service).rsplit(":", 1)[0]

    def sync(self) -> None:
        files = self.render()
        for service in BUILT:
            name = f"{service}-deployment.yaml"
            files[name] = files[name].replace(f"image: {self.ref(service)}\n",
                                              f"image: {self.image(service)}\n", 1)
        self.write_files(self.project / "manifests", files)
        artifacts = [{"image": self.image(s),
                      "context": os.path.relpath(self.context(s), self.project),
                      "docker": {"dockerfile": "Dockerfile"}} for s in BUILT]
        config = {"apiVersion": "skaffold/v4beta14", "kind": "Config", "metadata": {"name": APP},
                  "build": {"tagPolicy": {"inputDigest": {}},
                            "local": {"push": True, "useBuildkit": False, "useDockerCLI": False},
                            "artifacts": artifacts},
                  "manifests": {"rawYaml": ["manifests/*.yaml"]},
                  "deploy": {"kubectl": {}, "statusCheck": True}}
        (self.project / "skaffold.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    def run_lines(self) -> list[str]:
        return [f"cd {self.project}", f"skaffold run -n {self.namespace} --status-check=true >/dev/null"]

    def first(self, marker: str) -> list[str]:
        self.write(marker)
        self.sync()
        return self.script("first", [f"kubectl create namespace {self.namespace} >/dev/null",
                                     *self.run_lines()])

    def noop(self) -> list[str]:
        return self.script("run", self.run_lines())

    def prop(self, value: str) -> list[str]:
        set_prop(self.app, value)
        self.sync()
        return self.script("run", self.run_lines())

    def artifact(self, marker: str) -> list[str]:
        set_artifact(self.app, ARTIFACT_SERVICE, marker)
        self.sync()
        return self.script("run", self.run_lines())


# -- one timed run -------------------------------------------------------------------------------
@dataclass
class Result:
    tool: str
    workload: str
    round: int
    seconds: float | None  # None: not run (the floor's no-op) or failed
    code: int = 0
    writes: int = 0
    builds: int = 0
    uploads: int = 0
    pods: int = 0  # pods started (first seen by the watch) during the run
    wrote: str = ""
    ready_lag: float | None = None  # the tool's "Service address" line - the last new pod Ready
    exit_lag: float | None = None  # the process's exit - the last new pod Ready
    error: str = ""


@dataclass
class Counters:
    registry: Relay
    docker: Relay
    audit: Audit
    pods: PodWatch
    cluster: Cluster
    namespaces: list[str]
    logs: Path | None = None


def settle(counters: Counters, timeout: float = 120.0) -> None:
    """Wait (untimed) until the app's pods in the benchmark's namespaces are all ready and none is
    terminating, then a second more: a run never starts while the previous one's pods still start
    or stop on this small machine (Skaffold's runs restart every pod). Then up to one second
    more, at random: the kubelet notices a started container at its next relist, once a second,
    and the pods this wait sees go are seen at a relist too, so without it every run of a tool
    would start at the same moment of that second and the tool's own start-up time, not chance,
    would decide whether its new pod is seen in the first or the second relist (a whole second
    either way, the same in every round)."""
    core: Any = counters.cluster.core()  # (the models: every field optional)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pods = core.list_pod_for_all_namespaces(label_selector=f"hyscale.io/app-name={APP}").items
        busy = [p for p in pods if p.metadata.namespace in counters.namespaces
                and (p.metadata.deletion_timestamp is not None
                     or not any(c.type == "Ready" and c.status == "True"
                                for c in (p.status.conditions or [])))]
        if not busy:
            break
        time.sleep(0.5)
    else:
        say(f"pods still starting or stopping after {timeout:.0f} s; going on")
    time.sleep(1 + random.random())


def timed(side: Side, workload: str, round_: int, argv: list[str] | None,
          counters: Counters) -> Result:
    if argv is None:
        return Result(side.key, workload, round_, None)
    settle(counters)
    counters.audit.skip()
    counters.registry.reset()
    counters.docker.reset()
    outcome = execute(argv, side.env())
    records = counters.audit.take(side.namespace)
    if counters.logs is not None:
        log = counters.logs / f"{side.key}-{workload}-{round_ + 1}.log"
        log.write_text(f"$ {shlex.join(argv)}\n(exit {outcome.code}, {outcome.seconds:.2f} s)\n" +
                       "".join(f"{when - outcome.started:8.3f} {line}\n" for when, line in outcome.lines))
    requests = counters.registry.snapshot()[1]
    calls = counters.docker.snapshot()[1]
    result = Result(side.key, workload, round_, outcome.seconds if outcome.code == 0 else None,
                    outcome.code, len(writes_of(records)),
                    sum(1 for c in calls if c.method == "POST" and c.path.split("?")[0].endswith("/build")),
                    sum(1 for r in requests if r.method in UPLOADS),
                    counters.pods.started(side.namespace, outcome.started, outcome.ended + 1),
                    describe_writes(records))
    if outcome.code:
        result.error = outcome.tail()
        say(f"{side.label} {workload} round {round_ + 1} FAILED (exit {outcome.code}):\n{result.error}")
        return result
    if workload == "artifact":
        ready = counters.pods.last_ready(side.namespace, ARTIFACT_SERVICE, outcome.started)
        if ready is not None:
            result.exit_lag = outcome.ended - ready
            line = outcome.first_line(rf"Service address : {ARTIFACT_SERVICE}\.")
            if isinstance(side, Tool) and line is not None:
                result.ready_lag = line - ready
    say(f"{side.label} {workload} round {round_ + 1}: {outcome.seconds:.2f} s, {result.writes} API writes, "
        f"{result.builds} builds, {result.uploads} uploads, {result.pods} pods started")
    return result


# -- the cluster's namespaces --------------------------------------------------------------------
def delete_namespaces(cluster: Cluster, namespaces: list[str], wait: float) -> list[str]:
    """Delete ``namespaces`` and wait up to ``wait`` seconds until they are gone; those left."""
    from kubernetes.client import ApiException

    core = cluster.core()
    for name in namespaces:
        with contextlib.suppress(ApiException):
            core.delete_namespace(name)
    deadline = time.monotonic() + wait
    left = list(namespaces)
    while left and time.monotonic() < deadline:
        still = []
        for name in left:
            try:
                core.read_namespace(name)
                still.append(name)
            except ApiException as exc:
                if exc.status != 404:
                    still.append(name)
        left = still
        if left:
            time.sleep(1)
    return left


# -- the report ----------------------------------------------------------------------------------
def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def spread(values: list[int]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def seconds_of(results: list[Result], tool: str, workload: str) -> list[float]:
    return [r.seconds for r in results if r.tool == tool and r.workload == workload
            and r.seconds is not None]


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def report(results: list[Result], versions: list[float], sides: list[Side], meta: dict[str, Any],
           notes: list[str]) -> None:
    keys = [s.key for s in sides]
    label = {s.key: s.label for s in sides}
    med = {(t, w): median(seconds_of(results, t, w)) for t in keys for w in WORKLOADS}
    version = median(versions)
    print(f"bench_peers: one app of {len(SERVICES)} services ({len(BUILT)} built: 4 generated "
          f"Dockerfiles and 1 user Dockerfile; {len(SERVICES) - len(BUILT)} images used as they are, "
          "1 of them stateful), one namespace per tool on the test cluster")
    print(f"machine: {meta['machine']}, {meta['nproc']} cores, Python {meta['python']}; "
          f"Kubernetes {meta['kubernetes']}, helm {meta['helm']}, skaffold {meta['skaffold']}, "
          f"kubectl {meta['kubectl']}, Docker engine {meta['docker_engine']}")
    print(f"changes: prop = {PROP_SERVICE}'s {PROP} (its ConfigMap, and the props checksum in its pod "
          f"template); artifact = {ARTIFACT_SERVICE}'s site; HTTP health checks (ready ~30 s after a "
          f"pod starts) on {', '.join(WITH_HEALTH)}")
    print(f"python -m doit --version: {version * 1000:.0f} ms (median of {len(versions)})"
          if version else "python -m doit --version: not measured")
    print()
    header = (f"{'workload':<9} {'tool':<9} {'wall s':>7} {'n':>2} {'x floor':>7} {'x helm':>6} "
              f"{'API writes':>10} {'builds':>6} {'uploads':>7} {'new pods':>8}")
    print(header)
    print("-" * len(header))
    for workload in WORKLOADS:
        for key in keys:
            runs = [r for r in results if r.tool == key and r.workload == workload]
            if not runs:
                continue
            wall = med.get((key, workload))
            ok = [r for r in runs if r.seconds is not None]
            failed = sum(1 for r in runs if r.code)
            if key == "floor" and workload == "noop":
                print(f"{workload:<9} {label[key]:<9} {'(nothing to do: not run)':>30}")
                continue
            floor = med.get(("floor", workload)) if workload != "noop" and key != "floor" else None
            helm = med.get(("helm", workload)) if key != "helm" else None
            wall_text = f"{wall:7.2f}" if wall is not None else f"{'failed':>7}"
            print(f"{workload:<9} {label[key]:<9} {wall_text} {len(ok):>2} {ratio(wall, floor):>7} "
                  f"{ratio(wall, helm):>6} {spread([r.writes for r in ok]):>10} "
                  f"{spread([r.builds for r in ok]):>6} {spread([r.uploads for r in ok]):>7} "
                  f"{spread([r.pods for r in ok]):>8}"
                  + (f"   ({failed} failed)" if failed else ""))
    print()
    print("API writes of the last no-op run, by kind:")
    for key in keys:
        runs = [r for r in results if r.tool == key and r.workload == "noop" and r.seconds is not None]
        if runs:
            print(f"  {label[key]:<9} {runs[-1].wrote}")
    print()
    print("goals (issue #12):")

    def goal(text: str, value: float | None, limit: float) -> None:
        verdict = "not measured" if value is None else ("met" if value <= limit else "NOT met")
        shown = "-" if value is None else f"{value:.2f}"
        print(f"  {text}: {shown} (goal <= {limit}) -> {verdict}")

    def over(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    for key in ("tool-n1", "tool-n4"):
        if key not in keys:
            continue
        noop = med.get((key, "noop"))
        goal(f"no-op, {label[key]} / helm no-op", over(noop, med.get(("helm", "noop"))), 0.3)
        goal(f"no-op, {label[key]} / doit --version", over(med.get((key, "noop")), version), 3.0)
    for workload in ("prop", "artifact"):
        for key in ("tool-n4", "tool-n1"):
            if key in keys:
                goal(f"{workload} change, {label[key]} / floor",
                     over(med.get((key, workload)), med.get(("floor", workload))), 1.15)
    goal("first deploy, tool -n4 / tool -n1", over(med.get(("tool-n4", "first")),
                                                   med.get(("tool-n1", "first"))), 0.6)
    for key in ("tool-n1", "tool-n4"):
        if key not in keys:  # (--tools left it out)
            continue
        lags = [r.ready_lag for r in results if r.tool == key and r.workload == "artifact"
                and r.ready_lag is not None]
        goal(f"rollout wait, {label[key]}: seconds from the new pod Ready to 'Service address' "
             f"(worst of {len(lags)})", max(lags) if lags else None, 1.0)
    print()
    print(f"artifact change: seconds from {ARTIFACT_SERVICE}'s new pod Ready (seen by a watch) to the "
          "tool's 'Service address' line / to the exit (median, worst):")
    for key in keys:
        runs = [r for r in results if r.tool == key and r.workload == "artifact" and r.exit_lag is not None]
        line = [r.ready_lag for r in runs if r.ready_lag is not None]
        exits = [r.exit_lag for r in runs if r.exit_lag is not None]
        if exits:
            line_text = (f"line {statistics.median(line):.2f} / {max(line):.2f}, " if line else "")
            print(f"  {label[key]:<9} {line_text}exit {statistics.median(exits):.2f} / {max(exits):.2f}")
    for key in keys:
        noops = [r for r in results if r.tool == key and r.workload == "noop" and r.seconds is not None]
        if noops and max(r.pods for r in noops) > 0:
            why = (": it labels every object and pod template with a new skaffold.dev/run-id on each "
                   "run, so every run patches every labelled object and rolls every workload, and its "
                   "status check waits for the pods with health checks") if key == "skaffold" else ""
            notes.append(f"{label[key]}'s no-op restarted {spread([r.pods for r in noops])} pods{why}")
        if key == "helm" and noops and noops[-1].writes:
            notes.append("helm's every upgrade, a no-op too, writes a new release Secret (create) and "
                         "updates the earlier ones (update), and server-side applies every object of "
                         "the chart (patches that change nothing but are writes on the wire)")
    if notes:
        print()
        print("notes:")
        for note in notes:
            print(f"  - {note}")
    print()
    print("raw figures:")
    print(json.dumps({**meta, "doit_version_s": [round(v, 4) for v in versions],
                      "runs": [{k: (round(v, 4) if isinstance(v, float) else v)
                                for k, v in vars(r).items() if k not in ("error",)} for r in results]},
                     indent=None, separators=(",", ":")))


# -- set-up --------------------------------------------------------------------------------------
def peers() -> dict[str, Path]:
    say("benchmarks/peers/build helm skaffold kubectl")
    done = subprocess.run([str(REPO / "benchmarks" / "peers" / "build"), "helm", "skaffold", "kubectl"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"benchmarks/peers/build failed:\n{done.stderr}")
    paths = [Path(line) for line in done.stdout.split()]
    return dict(zip(("helm", "skaffold", "kubectl"), paths, strict=True))


def versions_of(binaries: dict[str, Path], cluster: Cluster, env: dict[str, str]) -> dict[str, Any]:
    from kubernetes import client

    server = client.VersionApi(cluster.api_client()).get_code().git_version
    kubectl = json.loads(output([str(binaries["kubectl"]), "version", "--client", "-o", "json"]))
    engine = output(["docker", "version", "--format", "{{.Server.Version}}"], env) \
        if shutil.which("docker") else "(no docker CLI)"
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(), "nproc": os.cpu_count(),
        "python": platform.python_version(), "kubernetes": server,
        "helm": output([str(binaries["helm"]), "version", "--short"]),
        "skaffold": output([str(binaries["skaffold"]), "version"], {**env, "SKAFFOLD_UPDATE_CHECK": "false"}),
        "kubectl": kubectl["clientVersion"]["gitVersion"], "docker_engine": engine,
        "docker_cli": output(["docker", "version", "--format", "{{.Client.Version}}"], env)
        if shutil.which("docker") else None,
    }


def make_sides(bench: Bench, keys: list[str]) -> list[Side]:
    kinds: dict[str, type[Side]] = {"tool-n1": Tool, "tool-n4": Tool, "floor": Floor, "helm": Helm,
                                    "skaffold": Skaffold}
    return [kinds[key](key, bench) for key in keys]


def configure_skaffold(side: Side) -> None:
    env = side.env()
    Path(env["HOME"]).mkdir(parents=True, exist_ok=True)
    for key, value in (("collect-metrics", "false"), ("update-check", "false"),
                       ("survey.disable-prompt", "true")):
        subprocess.run(["skaffold", "config", "set", "--global", key, value], env=env,
                       capture_output=True, check=False)


@contextlib.contextmanager
def cleanup(cluster: Cluster, sides: list[Side], registry: Registry, run: str) -> Iterator[None]:
    try:
        yield
    finally:
        say("cleaning up: Helm release, namespaces, pushed and local images")
        for side in sides:
            if isinstance(side, Helm):
                subprocess.run(["helm", "uninstall", APP, "-n", side.namespace, "--wait"],
                               env=side.env(), capture_output=True, check=False, timeout=300)
        left = delete_namespaces(cluster, [s.namespace for s in sides], 180)
        if left:
            say(f"namespaces still terminating (they go on their own): {', '.join(left)}")
        for side in sides:
            for service in BUILT:
                repository = f"{run}/{side.key}/{service}"
                with contextlib.suppress(Exception):
                    digests = {registry.served_digest(repository, tag) for tag in registry.tags(repository)}
                    for digest in digests - {None}:
                        with contextlib.suppress(Exception):
                            registry.delete(repository, str(digest))
        with contextlib.suppress(Exception):
            remove_images_named(run)
        cluster.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3, help="no-op, prop and artifact rounds")
    parser.add_argument("--first-rounds", type=int, default=1, help="first-deploy rounds")
    parser.add_argument("--tools", default=",".join(TOOLS), help="a subset of " + ",".join(TOOLS))
    parser.add_argument("--workloads", default=",".join(WORKLOADS[1:]),
                        help="after the first deploy, a subset of noop,prop,artifact")
    parser.add_argument("--show-scripts", action="store_true", help="print the peers' scripts at the end")
    parser.add_argument("--logs", type=Path, help="write each run's output (timed lines) into this folder")
    args = parser.parse_args()
    keys = [k for k in TOOLS if k in args.tools.split(",")]
    later = [w for w in WORKLOADS[1:] if w in args.workloads.split(",")]

    registry = Registry.from_env()
    app_image = os.environ.get("HYSCALE_TEST_APP_IMAGE", "")
    if not app_image:
        raise SystemExit("HYSCALE_TEST_APP_IMAGE is not set: . DIR/env after scripts/test-services start")
    binaries = peers()
    notes: list[str] = []
    run = f"peers-{secrets.token_hex(3)}"
    host, port = registry.host.rsplit(":", 1)
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as folder, \
            Relay.tcp(host, int(port)) as registry_relay, \
            Relay.unix(docker_engine_socket()) as docker_relay:
        root = Path(folder)
        cluster = Cluster(KubeEnv.from_env(), root)
        bin_dir = root / "bin"
        bin_dir.mkdir()
        for name, path in binaries.items():
            (bin_dir / name).symlink_to(path)
        if not shutil.which("docker"):
            notes.append("no docker CLI on this machine: the peers' scripts run `docker build` and "
                         "`docker push` through a stand-in on the docker SDK (bin/docker)")
            (bin_dir / "docker").write_text(DOCKER_SHIM.format(python=sys.executable))
            (bin_dir / "docker").chmod(0o755)
        config = write_docker_config(root / "docker", {
            registry_relay.host: (registry.user, registry.password),
            registry.host: (registry.user, registry.password)})
        env = as_users_run_it({k: v for k, v in os.environ.items() if k not in SCRUBBED})
        env.update(DOCKER_CONFIG=str(config), DOCKER_HOST=docker_relay.url,
                   KUBECONFIG=str(cluster.kubeconfig), PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
        bench = Bench(root, run, registry_relay.host, registry.stack_image,
                      f"{registry_relay.host}/{app_image.split('/', 1)[1]}", config, env, bin_dir)
        sides = make_sides(bench, keys)
        for side in sides:
            cluster.track(side.namespace)
        results: list[Result] = []
        versions: list[float] = []
        with cleanup(cluster, sides, registry, run):
            meta = versions_of(binaries, cluster, env)
            for side in sides:
                if isinstance(side, Skaffold):
                    configure_skaffold(side)
            if cluster.env.audit_log is None:
                raise SystemExit("HYSCALE_TEST_AUDIT_LOG is not set: the API writes are counted in the "
                                 "test cluster's audit log (. DIR/env after scripts/test-services start)")
            if args.logs is not None:
                args.logs.mkdir(parents=True, exist_ok=True)
            counters = Counters(registry_relay, docker_relay, Audit(cluster.env.audit_log, cluster),
                                PodWatch(cluster), cluster, [s.namespace for s in sides], args.logs)
            try:
                measure(sides, cluster, counters, args.first_rounds, args.rounds, later, results,
                        versions, notes)
            except Exception as exc:  # what was measured is still reported (and cleaned up)
                say(f"the run stopped: {type(exc).__name__}: {exc}")
                notes.append(f"the run stopped early ({type(exc).__name__}: {exc}); figures are partial")
                results.append(Result("-", "-", 0, None, code=1, error=str(exc)))
            finally:
                counters.pods.close()
            if args.show_scripts:
                for side in sides:
                    for script in side.scripts():
                        print(f"--- {side.label}: {script.name}\n{script.read_text()}")
            report(results, versions, sides, meta, notes)
    return 0 if all(r.code == 0 for r in results) else 1


def measure(sides: list[Side], cluster: Cluster, counters: Counters, first_rounds: int, rounds: int,
            later: list[str], results: list[Result], versions: list[float], notes: list[str]) -> None:
    """Run the workloads, round robin, appending to ``results`` and ``versions``."""

    def order(round_: int) -> list[Side]:
        shift = round_ % len(sides)
        return sides[shift:] + sides[:shift]

    for round_ in range(first_rounds):
        if round_:
            say(f"deleting the namespaces before first-deploy round {round_ + 1}")
            left = delete_namespaces(cluster, [s.namespace for s in sides], 300)
            if left:
                raise RuntimeError(f"namespaces not gone after 300 s: {left}")
        for side in order(round_):
            say(f"{side.label}: first deploy, round {round_ + 1}")
            argv = side.first(f"{side.key} first {time.time_ns()}-{round_}")
            results.append(timed(side, "first", round_, argv, counters))
    compare_manifests(sides, notes)
    failed = {r.tool for r in results if r.workload == "first" and r.code}
    if failed:
        notes.append(f"first deploy failed for {', '.join(sorted(failed))}: not measured further")
    active = [s for s in sides if s.key not in failed]
    for workload in later:
        for round_ in range(rounds):
            if workload == "noop":
                versions.append(version_seconds(active[0].env() if active else dict(os.environ)))
            for side in order(round_):
                if side not in active:
                    continue
                say(f"{side.label}: {workload}, round {round_ + 1}")
                tag = f"changed {side.key}-{workload}-{round_}-{secrets.token_hex(2)}"
                argv = side.noop() if workload == "noop" else \
                    side.prop(tag) if workload == "prop" else side.artifact(tag)
                results.append(timed(side, workload, round_, argv, counters))
    if not versions:
        versions.append(version_seconds(dict(os.environ)))


def version_seconds(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "doit", "--version"], cwd=REPO, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def compare_manifests(sides: list[Side], notes: list[str]) -> None:
    """Check that every peer deployed the manifests the tool deployed, apart from the images."""
    tools = [s for s in sides if isinstance(s, Tool)]
    if not tools:
        return
    ours = tools[0].manifests()

    def plain(text: str, side: Side) -> str:
        return re.sub(r"@sha256:[0-9a-f]{64}", "", text.replace(f"{side.repo}/", "REPO/"))

    for side in sides:
        if not isinstance(side, Peer):
            continue
        theirs = {}
        for service in SERVICES:
            folder = side.render_home / "apps" / APP / service / "generated-files" / "manifests"
            theirs.update({f"{service}/{p.name}": p.read_text() for p in sorted(folder.glob("*.yaml"))})
        differ = [name for name in sorted(set(ours) | set(theirs))
                  if plain(ours.get(name, ""), tools[0]) != plain(theirs.get(name, ""), side)]
        if differ:
            notes.append(f"{side.label}'s manifests differ from {tools[0].label}'s beyond the images: "
                         f"{', '.join(differ)}")


if __name__ == "__main__":
    raise SystemExit(main())
