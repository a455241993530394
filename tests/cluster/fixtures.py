"""pytest fixtures for the Kubernetes stand-in (import them from a conftest.py)::

    from tests.cluster.fixtures import cluster  # noqa: F401

``cluster`` starts a fresh stand-in per test (in-process, ~10 ms) with the scripted kubelet and
yields a :class:`Cluster`: ``.kubeconfig`` (path), ``.api_client()``, ``.dynamic_client()``,
``.audit()``, ``.kubelet`` (scripted-kubelet controls), ``.namespace()`` (a fresh namespace),
``.image`` (an image whose pods become ready), ``.raw()``, ``.settle()`` and ``.wait_for()``.

When ``HYSCALE_TEST_KUBECONFIG`` names a kubeconfig, ``cluster`` is that real cluster instead: the
same tests run against it, namespaces made with ``.namespace()`` are deleted afterwards, and what
only the stand-in can do (``.kubelet``, ``.audit()``, ``.standin``) skips the test.

``docker_cluster`` (tests marked ``@pytest.mark.docker``) is the stand-in with the Docker kubelet at
time scale 0.05, plus :class:`DockerCluster` helpers: ``.pull_secret(ns)``, ``.host_port()``,
``.url()``, ``.containers()``. ``.image`` is then a private image in the test registry (busybox
httpd answering ``/health`` on 8080, built once per session) that needs ``.pull_secret(ns)``. It
needs the services ``scripts/test`` starts; without their ``HYSCALE_TEST_*`` variables it fails.
A conftest.py imports it with the session fixtures it uses::

    from tests.cluster.fixtures import docker_cluster, docker_services, standin_web_image  # noqa: F401
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client, config
from kubernetes.dynamic import DynamicClient

from .docker_kubelet import PORTS_ANNOTATION, DockerKubelet
from .docker_services import DockerServices, web_image
from .kubelet_scripted import ScriptedKubelet
from .standin import StandIn

T = TypeVar("T")
REAL_CLUSTER_ENV = "HYSCALE_TEST_KUBECONFIG"
REAL_IMAGE_ENV = "HYSCALE_TEST_IMAGE"
# runs forever, needs no command, is on every cluster's registry mirror: what "a pod that becomes ready"
# means on a real cluster when a test does not care what runs
DEFAULT_REAL_IMAGE = "registry.k8s.io/pause:3.10"


class Cluster:
    def __init__(self, kubeconfig: Path, workdir: Path, standin: StandIn | None = None) -> None:
        self.kubeconfig = kubeconfig
        self._workdir = workdir
        self._standin = standin
        self._clients: list[client.ApiClient] = []
        self._namespaces: list[str] = []

    # ----- what works everywhere -----------------------------------------------------------------

    @property
    def is_standin(self) -> bool:
        return self._standin is not None

    @property
    def image(self) -> str:
        """An image whose pods become Running and Ready: any name under the scripted kubelet;
        ``$HYSCALE_TEST_IMAGE`` (default the pause image) on a real cluster."""
        if self._standin is not None:
            return "registry.local/app:1"
        return os.environ.get(REAL_IMAGE_ENV, DEFAULT_REAL_IMAGE)

    def api_client(self) -> client.ApiClient:
        api: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(self.kubeconfig)
        )
        self._clients.append(api)
        return api

    def dynamic_client(self) -> DynamicClient:
        """A dynamic client with its discovery cache in the test's folder (not the shared /tmp one)."""
        cache = self._workdir / f"discovery-{secrets.token_hex(4)}.json"
        return DynamicClient(self.api_client(), cache_file=str(cache))  # type: ignore[no-untyped-call]

    def raw(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        """A request the typed client would not send (odd content types, raw paths): (status, JSON body)."""
        api = self._first_client()
        data = body if body is None or isinstance(body, bytes | str) else json.dumps(body)
        params = api.param_serialize(
            method,
            path,
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            body=data,
            auth_settings=["BearerToken"],
        )
        response = api.call_api(*params)
        response.read()  # type: ignore[no-untyped-call]
        raw: bytes = response.data or b""
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw.decode(errors="replace")

    def namespace(self, prefix: str = "t") -> str:
        """Create a namespace with a unique name (deleted after the test on a real cluster)."""
        name = f"{prefix}-{secrets.token_hex(3)}"
        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
        client.CoreV1Api(self._first_client()).create_namespace(body)
        self._namespaces.append(name)
        return name

    def settle(self, timeout: float = 5.0) -> None:
        """On the stand-in, wait until the controllers are idle; on a real cluster, nothing."""
        if self._standin is not None and not self._standin.settle(timeout):
            raise AssertionError(f"the stand-in's controllers did not settle within {timeout}s")

    def wait_for(
        self, check: Callable[[], T], timeout: float = 10.0, interval: float = 0.02, what: str = "condition"
    ) -> T:
        return wait_for(check, timeout, interval, what)

    # ----- stand-in only -----------------------------------------------------------------------

    @property
    def standin(self) -> StandIn:
        if self._standin is None:
            pytest.skip("needs the stand-in (HYSCALE_TEST_KUBECONFIG names a real cluster)")
        return self._standin

    @property
    def kubelet(self) -> ScriptedKubelet:
        """The scripted kubelet's controls (``script``, ``set_state``, ``append_log``)."""
        kubelet = self.standin.kubelet
        if not isinstance(kubelet, ScriptedKubelet):
            pytest.skip("needs the scripted kubelet")
        return kubelet

    def audit(self) -> list[dict[str, Any]]:
        """The audit records so far (one per request)."""
        return self.standin.audit.records()

    # ----- teardown --------------------------------------------------------------------------------

    def _first_client(self) -> client.ApiClient:
        return self._clients[0] if self._clients else self.api_client()

    def close(self) -> None:
        if self._standin is None and self._namespaces:
            core = client.CoreV1Api(self._first_client())
            for name in self._namespaces:
                with contextlib.suppress(client.ApiException):
                    core.delete_namespace(name)
        for api in self._clients:
            api.close()  # type: ignore[no-untyped-call]
        self._clients.clear()


def wait_for(
    check: Callable[[], T], timeout: float = 10.0, interval: float = 0.02, what: str = "condition"
) -> T:
    """Poll ``check`` until it returns something truthy; works the same on a real cluster."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def start_standin(workdir: Path, kubelet: ScriptedKubelet | None = None) -> tuple[StandIn, Path]:
    standin = StandIn(kubelet or ScriptedKubelet(), audit_log=workdir / "audit.jsonl").start()
    return standin, standin.write_kubeconfig(workdir / "kubeconfig")


def start_standin_process(kubeconfig: Path, *options: str, env: dict[str, str] | None = None,
                          quiet: bool = False, timeout: float = 30.0) -> subprocess.Popen[str]:
    """``python -m tests.cluster --kubeconfig KUBECONFIG OPTIONS`` in a process of its own,
    returned once it serves (it writes the kubeconfig then). Its output is piped, and shown if it
    stops before serving; ``quiet`` drops it instead (for long runs that nobody reads)."""
    output = subprocess.DEVNULL if quiet else subprocess.PIPE
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.cluster", "--kubeconfig", str(kubeconfig), *options],
        cwd=Path(__file__).resolve().parents[2], stdout=output, stderr=output, text=True, env=env)
    deadline = time.monotonic() + timeout
    while not kubeconfig.exists():
        if process.poll() is not None:
            raise AssertionError(f"the stand-in stopped before serving:\n{process.communicate()[1]}")
        if time.monotonic() > deadline:
            process.kill()
            process.communicate()
            raise AssertionError(f"the stand-in wrote no kubeconfig within {timeout:.0f} s")
        time.sleep(0.05)
    return process


@contextlib.contextmanager
def standin_cluster(workdir: Path) -> Iterator[Cluster]:
    """A stand-in with the scripted kubelet, in this process, for as long as the block runs."""
    standin, kubeconfig = start_standin(workdir)
    handle = Cluster(kubeconfig, workdir, standin)
    try:
        yield handle
    finally:
        handle.close()
        standin.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    real = os.environ.get(REAL_CLUSTER_ENV)
    if real:
        handle = Cluster(Path(real), tmp_path)
        try:
            yield handle
        finally:
            handle.close()
        return
    with standin_cluster(tmp_path) as handle:
        yield handle


# ===== the Docker kubelet ==========================================================================

DOCKER_TIME_SCALE = 0.05  # probe delays of 10 s take 0.5 s, back-offs of 10 s take 0.5 s


class DockerCluster(Cluster):
    """The stand-in with the Docker kubelet: pods run as containers on the local Docker engine."""

    def __init__(
        self, kubeconfig: Path, workdir: Path, standin: StandIn, services: DockerServices, image: str
    ) -> None:
        super().__init__(kubeconfig, workdir, standin)
        self.services = services
        self._image = image
        kubelet = standin.kubelet
        assert isinstance(kubelet, DockerKubelet)
        self.docker_kubelet = kubelet

    @property
    def image(self) -> str:
        """A private image whose pods become ready: httpd on 8080 answering ``/health`` with 200 (pods
        need ``imagePullSecrets`` naming ``.pull_secret(ns)``)."""
        return self._image

    def pull_secret(
        self, namespace: str, name: str = "regcred", user: str | None = None, password: str | None = None
    ) -> str:
        """A ``kubernetes.io/dockerconfigjson`` Secret with the test registry's login (or another one)."""
        return create_pull_secret(self._first_client(), namespace, self.services, name, user, password)

    def host_port(self, namespace: str, pod: str, port: int) -> int:
        """The 127.0.0.1 port that reaches ``port`` of the pod (the ``standin.hyscale.io/ports``
        annotation the kubelet writes once the pod's sandbox runs)."""
        read: Any = client.CoreV1Api(self._first_client()).read_namespaced_pod(pod, namespace)
        ports = json.loads((read.metadata.annotations or {}).get(PORTS_ANNOTATION, "{}"))
        return int(ports[str(port)])

    def url(self, namespace: str, pod: str, port: int, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.host_port(namespace, pod, port)}{path}"

    def containers(self, **labels: str) -> list[dict[str, Any]]:
        """This stand-in's Docker containers (``docker ps -a``), optionally narrowed by labels, e.g.
        ``containers(**{LABEL_POD_UID: uid})``."""
        engine = self.docker_kubelet.engine
        found: list[dict[str, Any]] = engine.api.containers(all=True, filters=engine.mine(**labels))
        return found


def create_pull_secret(
    api: client.ApiClient,
    namespace: str,
    services: DockerServices,
    name: str = "regcred",
    user: str | None = None,
    password: str | None = None,
) -> str:
    auth = base64.b64encode(f"{user or services.user}:{password or services.password}".encode()).decode()
    config = json.dumps({"auths": {services.registry: {"auth": auth}}})
    body = client.V1Secret(
        metadata=client.V1ObjectMeta(name=name),
        type="kubernetes.io/dockerconfigjson",
        data={".dockerconfigjson": base64.b64encode(config.encode()).decode()},
    )
    client.CoreV1Api(api).create_namespaced_secret(namespace, body)
    return name


@pytest.fixture(scope="session")
def docker_services() -> DockerServices:
    """The Docker engine and test registry from ``scripts/test``; FAILS (no skip) without them."""
    services = DockerServices.from_env()
    if isinstance(services, str):
        pytest.fail(services, pytrace=False)
    return services


@pytest.fixture(scope="session")
def standin_web_image(docker_services: DockerServices) -> Iterator[str]:
    with web_image(docker_services) as image:
        yield image


@pytest.fixture
def docker_cluster(
    tmp_path: Path, docker_services: DockerServices, standin_web_image: str
) -> Iterator[DockerCluster]:
    kubelet = DockerKubelet(time_scale=DOCKER_TIME_SCALE)
    try:
        standin = StandIn(kubelet, audit_log=tmp_path / "audit.jsonl").start()
    except BaseException:
        kubelet.shutdown()
        raise
    kubeconfig = standin.write_kubeconfig(tmp_path / "kubeconfig")
    handle = DockerCluster(kubeconfig, tmp_path, standin, docker_services, standin_web_image)
    try:
        yield handle
    finally:
        handle.close()
        standin.stop()
