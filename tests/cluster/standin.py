"""The stand-in assembled: store + API + HTTP server + controllers + a kubelet, started and stopped
as one. Used by ``python -m tests.cluster`` and by the pytest fixtures::

    with StandIn(ScriptedKubelet()) as standin:
        standin.write_kubeconfig(path)
        ...
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from types import TracebackType

from .api import Api
from .audit import AuditLog
from .controllers.common import ControllerContext
from .controllers.manager import ControllerManager
from .kubeconfig import write_kubeconfig
from .kubelet import Kubelet
from .resources import Registry
from .server import App, StandInHTTPServer
from .store import Store

BOOT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class StandIn:
    def __init__(
        self,
        kubelet: Kubelet,
        *,
        audit_log: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
    ) -> None:
        self.kubelet = kubelet
        self.token = token or secrets.token_hex(16)
        self.store = Store()
        self.registry = Registry.with_builtins()
        self.api = Api(self.store, self.registry)
        self.audit = AuditLog(audit_log)
        self.app = App(self.api, kubelet, self.audit, self.token)
        self._bootstrap()
        self.controllers = ControllerManager(ControllerContext(self.api, kubelet, {}))
        self.httpd = StandInHTTPServer((host, port), self.app)
        bound_host, bound_port = str(self.httpd.server_address[0]), int(self.httpd.server_address[1])
        self.url = f"http://{bound_host}:{bound_port}"
        self.app.server_address = f"{bound_host}:{bound_port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="standin-http", daemon=True
        )
        self._started = False

    def _bootstrap(self) -> None:
        ns_rt = self.api.rt("v1", "Namespace")
        for name in BOOT_NAMESPACES:
            self.api.create(ns_rt, None, {"metadata": {"name": name}})
        self.api.create(
            self.api.rt("storage.k8s.io/v1", "StorageClass"),
            None,
            {
                "metadata": {
                    "name": "standard",
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "standin.hyscale.io/hostpath",
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate",
            },
        )

    def start(self) -> StandIn:
        self.controllers.start()
        self._thread.start()
        self._started = True
        return self

    def stop(self) -> None:
        """Stop serving, stop the controllers, and let the kubelet remove what it started."""
        self.app.stopping.set()
        if self._started:
            self.httpd.shutdown()
        self.httpd.close_connections()
        self.httpd.server_close()
        self.controllers.stop()
        try:
            self.kubelet.shutdown()
        finally:
            self.audit.close()

    def write_kubeconfig(self, path: Path) -> Path:
        write_kubeconfig(path, self.url, self.token)
        return path

    def settle(self, timeout: float = 5.0) -> bool:
        """Wait until the controllers have nothing left to do."""
        return self.controllers.wait_idle(timeout)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
