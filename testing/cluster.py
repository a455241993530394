"""The Kubernetes the tests deploy to, seen from a test.

``scripts/test`` starts a real single-node cluster (scripts/cluster/up) and exports:

* ``HYSCALE_TEST_KUBECONFIG``: cluster-admin, for the tests' own reads and writes;
* ``HYSCALE_TEST_TOOL_KUBECONFIG``: cluster-admin as user ``hyscale-tool``, for the tool under
  test (so the audit log tells its requests from the tests');
* ``HYSCALE_TEST_AUDIT_LOG``: the API server's audit log;
* ``HYSCALE_TEST_NODE_IP``: the node's address (node ports answer there);
* ``HYSCALE_TEST_APP_IMAGE``: the prebuilt test image in the test registry (testing/testapp).

A developer who points ``HYSCALE_TEST_KUBECONFIG`` at a cluster of their own (kind, minikube) gets
the same tests there; the tool then uses that kubeconfig too, and the tests that count requests
in the audit log fail and say that they need it.

A :class:`Cluster` is one test's view: the namespaces it tracks (made with :meth:`namespace` or
:meth:`track`) are deleted after the test, and :meth:`audit` lists the tool's requests about
them since the test started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kubernetes import client, config
from kubernetes.dynamic import DynamicClient

from testing.audit import MARK_LABEL, AuditLog

T = TypeVar("T")
MISSING = (
    "No Kubernetes for the tests: HYSCALE_TEST_KUBECONFIG is not set.\n"
    "  fix: run the tests through scripts/test, which builds and starts a real single-node cluster "
    "(scripts/cluster/up) and exports it; or point HYSCALE_TEST_KUBECONFIG at a cluster of yours")
NO_AUDIT = (
    "This test counts the tool's requests in the API server's audit log, and HYSCALE_TEST_AUDIT_LOG "
    "is not set (a cluster of your own). Run it on the test cluster that scripts/test starts.")


class ClusterMissingError(RuntimeError):
    """HYSCALE_TEST_KUBECONFIG is not set."""


@dataclass(frozen=True)
class KubeEnv:
    admin_kubeconfig: Path
    tool_kubeconfig: Path
    audit_log: Path | None
    node_ip: str | None

    @classmethod
    def from_env(cls) -> KubeEnv:
        admin = os.environ.get("HYSCALE_TEST_KUBECONFIG")
        if not admin:
            raise ClusterMissingError(MISSING)
        tool = os.environ.get("HYSCALE_TEST_TOOL_KUBECONFIG") or admin
        audit = os.environ.get("HYSCALE_TEST_AUDIT_LOG")
        return cls(Path(admin), Path(tool), Path(audit) if audit else None,
                   os.environ.get("HYSCALE_TEST_NODE_IP"))


class Cluster:
    def __init__(self, env: KubeEnv, workdir: Path) -> None:
        self.env = env
        self._workdir = workdir
        self._clients: list[client.ApiClient] = []
        self._namespaces: list[str] = []
        self._audit = AuditLog(env.audit_log, self._mark) if env.audit_log else None

    @property
    def kubeconfig(self) -> Path:
        """The kubeconfig the tool under test gets (user ``hyscale-tool`` on the test cluster)."""
        return self.env.tool_kubeconfig

    @property
    def admin_kubeconfig(self) -> Path:
        return self.env.admin_kubeconfig

    @property
    def node_ip(self) -> str:
        if not self.env.node_ip:
            raise AssertionError("HYSCALE_TEST_NODE_IP is not set: which address do node ports answer on?")
        return self.env.node_ip

    def api_client(self) -> client.ApiClient:
        """A client of the tests' own (cluster-admin)."""
        api = client.ApiClient(self.settings(self.env.admin_kubeconfig))
        self._clients.append(api)
        return api

    def settings(self, kubeconfig: Path) -> client.Configuration:
        """What the official client resolves from ``kubeconfig``. The certificate and key it
        writes from the kubeconfig go in the test's folder, not in /tmp, where a test process
        that is killed would leave them."""
        settings = client.Configuration()
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig), client_configuration=settings,
            temp_file_path=str(self._workdir / "client-files"))
        return settings

    def dynamic_client(self) -> DynamicClient:
        """A dynamic client with its discovery cache in the test's folder (not the shared /tmp one)."""
        cache = self._workdir / f"discovery-{secrets.token_hex(4)}.json"
        return DynamicClient(self.api_client(), cache_file=str(cache))  # type: ignore[no-untyped-call]

    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self._first_client())

    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self._first_client())

    def raw(self, method: str, path: str, body: Any = None,
            content_type: str = "application/json") -> tuple[int, Any]:
        """A request the typed client would not send: (status, JSON body)."""
        api = self._first_client()
        data = body if body is None or isinstance(body, bytes | str) else json.dumps(body)
        params = api.param_serialize(method, path, body=data, auth_settings=["BearerToken"],
                                     header_params={"Content-Type": content_type,
                                                    "Accept": "application/json"})
        response = api.call_api(*params)
        response.read()  # type: ignore[no-untyped-call]
        raw: bytes = response.data or b""
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw.decode(errors="replace")

    # -- namespaces ------------------------------------------------------------------------------
    def namespace(self, prefix: str = "t") -> str:
        """Create a namespace with a unique name, deleted after the test."""
        name = f"{prefix}-{secrets.token_hex(3)}"
        self.core().create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        return self.track(name)

    def track(self, namespace: str) -> str:
        """Count the tool's requests about ``namespace`` in :meth:`audit`, and delete the namespace
        (if anyone made it) after the test."""
        if namespace not in self._namespaces:
            self._namespaces.append(namespace)
        return namespace

    # -- the audit log ---------------------------------------------------------------------------
    def audit(self) -> list[dict[str, Any]]:
        """The tool's requests about the tracked namespaces since the test started (see
        testing/audit.py); a test takes ``len(...)`` as a mark and slices after it."""
        if self._audit is None:
            raise AssertionError(NO_AUDIT)
        return self._audit.records(self._namespaces)

    def _mark(self, mark: str) -> None:
        self.core().list_namespace(label_selector=f"{MARK_LABEL}={mark}")

    # -- waiting ---------------------------------------------------------------------------------
    def wait_for(self, check: Callable[[], T], timeout: float = 60.0, interval: float = 0.2,
                 what: str = "condition") -> T:
        return wait_for(check, timeout, interval, what)

    # -- teardown --------------------------------------------------------------------------------
    def _first_client(self) -> client.ApiClient:
        return self._clients[0] if self._clients else self.api_client()

    def close(self) -> None:
        if self._namespaces:
            core = self.core()
            for name in self._namespaces:  # not waited for: the pods end in the background
                with contextlib.suppress(client.ApiException):
                    core.delete_namespace(name)
        for api in self._clients:
            api.close()  # type: ignore[no-untyped-call]
        self._clients.clear()


def wait_for(check: Callable[[], T], timeout: float = 60.0, interval: float = 0.2,
             what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def http_get(url: str, wanted: str = "", timeout: float = 30.0) -> str:
    """GET ``url`` until its body contains ``wanted`` (any body if ""); the body. A Service's
    ClusterIP or node port routes only once kube-proxy has synced the Service's endpoints, a
    moment after the pods are ready (and right after a rollout it can still send to a pod that is
    gone): until then a request is refused or unanswered. Never answering fails, with the last
    answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                last = str(answer.read().decode(errors="replace"))
            if wanted in last:
                return last
        except OSError as exc:  # refused, timed out, an HTTP error status (URLError is one)
            last = repr(exc)
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer {wanted!r} within {timeout}s; last: {last}")
        time.sleep(0.3)
