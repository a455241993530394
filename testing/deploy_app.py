"""Apps for the deploy tests: a workspace pointed at a cluster, and the services they deploy.

A :class:`DeployApp` is a :class:`~testing.workspace.Workspace` (its own apps folder, HYSCALE_HOME
and DOCKER_CONFIG) holding one app, whose ``doit`` runs get ``KUBECONFIG`` (the test cluster's, or a
fault proxy's in front of it) and a short ``HYS_ROLLOUT_TIMEOUT``. It writes the two kinds of
service the deploy tests need:

* :meth:`DeployApp.web`: a Deployment service (props, map secrets, ``health=True``: an HTTP
  health check);
* :meth:`DeployApp.stateful`: a StatefulSet service (volumes, ``health=True``: a TCP health check).

Health checks are off unless a test is about them: HyScale's probes run every 30 s, and a real
kubelet's first probe after the 10 s initial delay comes on its next 30 s tick, so a service with
one is ready about 30 s after its pod starts; without one, once its container runs.

Each is either *built* (``built=True``: a buildSpec on the test registry's stack image, so the
deploy runs spec -> dockerfile -> build -> push -> manifests -> deploy against the real Docker
engine and registry) or *prebuilt*: the test image ``hyscale-tests/testapp`` that scripts/test
pushes to the test registry (testing/testapp), named as it is, nothing to build or push, the
fast path for tests of the deploy stage itself. Either way the pods pull their image from the
authenticated registry with the app's image-pull Secret, which the tool makes from the docker
login that :func:`make_app` writes. The test image's ``TESTAPP_*`` props make a service fail for
real: :func:`~testing.testimage.crash`, :data:`~testing.testimage.UNHEALTHY`,
:func:`out_of_memory`.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyscale_tasks.cluster.client import READ_RETRIES
from hyscale_tasks.cluster.endpoint import REQUEST_TIMEOUT
from hyscale_tasks.spec.names import normalize
from testing.cluster import Cluster
from testing.proxy import FaultProxy
from testing.registry import Registry
from testing.workspace import DoitResult, Workspace

RUN_ID = "d" + secrets.token_hex(3)
_numbers = itertools.count(1)
TEST_IMAGE = "hyscale-tests/testapp"  # in the test registry, tag 1.0 (scripts/test-services)


# A built web service's run commands. Not `exec httpd`: as the container's PID 1, httpd would
# ignore SIGTERM and every stop of the pod would sit out its 30 s grace period.
SERVE_HTTP = "trap 'exit 0' TERM\nhttpd -f -p 8080 -h /www &\nwait"


def out_of_memory(amount: str = "200m") -> dict[str, str]:
    """Spec fields (a ``startCommand``) that make the test image's container hold ``amount`` of
    memory and die when the kernel kills it: give the service a smaller ``memory``. (On cgroup
    v1 the kernel kills only the process that holds the memory; as the container's main process
    its death ends the container, which the runtime then reports as OOMKilled.)"""
    return {"startCommand": f"sh,-c,echo eating {amount} of memory; head -c {amount} /dev/zero | tail"}


def app_name(word: str) -> str:
    """A unique app name (also the namespace and, for built services, the image repository)."""
    assert len(word) <= 16, word
    return f"{word}-{RUN_ID}-{next(_numbers)}"


@dataclass
class DeployApp(Workspace):
    registry_host: str = ""
    stack_image: str = ""
    timeout: float = field(default=150.0, kw_only=True)

    def deploy(self, *services: str, check: bool = True, extra: Iterable[str] = ()) -> DoitResult:
        tasks = [f"deploy:{s}" for s in services] or ["deploy"]
        return self.run(*extra, *tasks, check=check)

    # -- writing services ----------------------------------------------------------------------
    @property
    def pull_secret(self) -> str:
        """The name of the app's image-pull Secret (the registry's, normalized)."""
        return normalize(self.registry_host)

    def _image(self, service: str, built: bool, run: str, tag: str) -> dict[str, Any]:
        if not built:
            return {"registry": self.registry_host, "name": TEST_IMAGE, "tag": tag}
        assert self.stack_image, "a built service needs the test registry (use the built_app fixture)"
        site = self.folder / f"{service}-site" / "index.html"
        site.parent.mkdir(parents=True, exist_ok=True)
        if not site.exists():
            site.write_text(f"<h1>{service} of {self.name}</h1>\n")
        return {"registry": self.registry_host, "name": f"{self.name}/{service}", "tag": tag,
                "buildSpec": {"stackImage": self.stack_image,
                              "artifacts": [{"name": "site", "source": f"{service}-site/index.html",
                                             "destination": "/www/"}],
                              "runCommands": run}}

    def web(self, service: str = "web", *, built: bool = False, props: dict[str, str] | None = None,
            secrets: dict[str, str] | None = None, replicas: int | dict[str, Any] | None = None,
            memory: str | None = None, external: bool = False, tag: str = "1.0",
            health: bool = False, run: str = SERVE_HTTP, **more: Any) -> Path:
        """A Deployment service: httpd on 8080 (the test image, or when built ``run``), props,
        map secrets, an HTTP health check if ``health``; ``more`` adds spec fields as they are.
        ``replicas``: a count, or HyScale's autoscaling (``{"min": 1, "max": 3, ...}``)."""
        spec: dict[str, Any] = {"name": service, "image": self._image(service, built, run, tag)}
        if replicas is not None:
            spec["replicas"] = replicas
        if memory is not None:
            spec["memory"] = memory
        if props:
            spec["props"] = props
        if secrets:
            spec["secrets"] = secrets
        if external:
            spec["external"] = True
        spec["ports"] = [{"port": "8080/http", **({"healthCheck": {"httpPath": "/"}} if health else {})}]
        spec.update(more)
        return self.write_spec(spec)

    def stateful(self, service: str = "store", *, built: bool = False,
                 props: dict[str, str] | None = None, replicas: int | None = None,
                 volumes: list[dict[str, str]] | None = None, tag: str = "1.0",
                 health: bool = False) -> Path:
        """A StatefulSet service: volumes (one claim each per replica), port 6379 (a TCP health
        check if ``health``)."""
        spec: dict[str, Any] = {
            "name": service,
            # not `exec nc`: as the container's PID 1, nc would ignore SIGTERM and every stop of
            # the pod (an undeploy waits for it) would take the kubelet's 30 s grace period
            "image": self._image(service, built, "mkdir -p /data/db\ntrap 'exit 0' TERM\n"
                                 "nc -ll -p 6379 -e cat &\nwait", tag),
            "volumes": volumes or [{"name": "data", "path": "/data", "size": "1Gi"}],
            "ports": [{"port": "6379/tcp", **({"healthCheck": {}} if health else {})}]}
        if props:
            spec["props"] = props
        if replicas is not None:
            spec["replicas"] = replicas
        return self.write_spec(spec)


def make_app(root: Path, word: str, kubeconfig: Path | None, *, registry: Registry) -> DeployApp:
    """An empty app under ``root`` whose DOCKER_CONFIG holds the login of ``registry``, the
    prebuilt test image's and built services' home."""
    return DeployApp.create(root, app_name(word), kubeconfig=kubeconfig,
                            logins={registry.host: (registry.user, registry.password)},
                            registry_host=registry.host, stack_image=registry.stack_image)


NewApp = Callable[..., DeployApp]  # the new_app fixture: new_app(word, built=False, kubeconfig=None)


# -- a deploy against an API that stops answering, run in the background -------------------------
STALL_TEST = "test_an_api_that_stops_answering_fails_within_the_request_timeout"
STALL_HOLD = REQUEST_TIMEOUT + 4  # the proxy holds each try this long, then hangs up


@dataclass
class StalledDeploy:
    """``doit deploy:web`` whose Deployment apply the proxy holds unanswered for
    :data:`STALL_HOLD` seconds, each try; :meth:`result` waits for it and says how long it ran after the
    proxy got that request (not from its start: how long doit takes to load and get there
    depends on the machine's load, the request timeout does not)."""

    app: DeployApp
    cluster: Cluster
    proxy: FaultProxy
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    outcome: list[Any] = field(default_factory=list)  # [DoitResult, time.monotonic() at its end]

    def result(self) -> tuple[DoitResult, float]:
        assert self.done.wait((READ_RETRIES + 1) * STALL_HOLD + 60), "the stalled deploy never ended"
        result, ended = self.outcome
        assert isinstance(result, DoitResult), result
        stalled = [f.at for f in self.proxy.fired if f.kind == "drop"]
        assert stalled, f"the proxy never got the request to hold:\n{result.stdout}\n{result.stderr}"
        return result, ended - stalled[0]


def assert_converges(app: DeployApp, api: Any, service: str = "web", rerun: bool = True) -> None:
    """The next run deploys (``rerun``), the one after is a no-op, and the Deployment is ready and
    carries the digest of the deployed manifests. ``api``: a kubernetes ApiClient."""
    from kubernetes import client

    if rerun:
        assert f"deploy:{service}" in app.deploy(service).executed
    assert app.deploy(service).executed == []
    live = client.AppsV1Api(api).read_namespaced_deployment(service, app.namespace)
    ready = live.status.ready_replicas if live.status else None
    annotations = (live.metadata.annotations if live.metadata else None) or {}
    assert ready == 1
    assert annotations.get("hyscale.io/service-manifests-digest") == \
        app.deploy_record(service)["serviceDigest"]


def current_pods(api: Any, namespace: str, service: str) -> list[str]:
    """The names of the service's pods that are not being deleted, sorted. ``api``: a
    kubernetes ApiClient."""
    from kubernetes import client

    pods = client.CoreV1Api(api).list_namespaced_pod(
        namespace, label_selector=f"hyscale.io/service-name={service}").items
    return sorted(str(p.metadata.name) for p in pods if p.metadata and not p.metadata.deletion_timestamp)


def exec_in(api: Any, namespace: str, pod: str, container: str, script: str) -> str:
    """Run ``sh -c script`` in the container, as ``kubectl exec`` does (through the API server
    and the kubelet); its output, stdout and stderr together."""
    from kubernetes import client
    from kubernetes.stream import stream

    output: str = stream(client.CoreV1Api(api).connect_get_namespaced_pod_exec, pod, namespace,
                         container=container, command=["sh", "-c", script],
                         stderr=True, stdin=False, stdout=True, tty=False)
    return output
