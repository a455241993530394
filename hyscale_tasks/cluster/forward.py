"""A local port forwarded to a service's pods through the API server, as ``kubectl
port-forward`` does, that survives pod replacements.

A socket listens on 127.0.0.1; each connection it accepts is sent to a ready pod of the
service's current revision, chosen when the connection comes (so a rollout, a restart or a pod
deleted by hand only changes where the next connection goes), through the official client's
``kubernetes.stream.portforward`` (a websocket to the pod's ``portforward`` subresource).

The client's websocket helpers swap ``call_api`` on the ApiClient they are given while they
open the connection: each connection gets an ApiClient of its own, so that the loop's log
streams and the other forwards, on other threads, never go through the swapped one.
"""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.stream import portforward

from hyscale_tasks.cluster.client import Cluster
from hyscale_tasks.cluster.pods import condition, selector
from hyscale_tasks.cluster.revision import current_selector

HOST = "127.0.0.1"
CHUNK = 64 * 1024


class PortForward:
    """``127.0.0.1:<local_port>`` to port ``port`` of the service's pods."""

    def __init__(self, cluster: Cluster, namespace: str, app: str, service: str, port: int,
                 warn: Callable[[str], None]) -> None:
        self.cluster = cluster
        self.namespace, self.app, self.service, self.port = namespace, app, service, port
        self.warn = warn
        self._listener = _listen(port)
        self.local_port = int(self._listener.getsockname()[1])
        self._selector: str | None = None
        self.refresh()
        self._stopped = threading.Event()
        self._warned = False
        threading.Thread(target=self._accept, daemon=True, name=f"forward {self.url}").start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.local_port}"

    def refresh(self) -> None:
        """The service was deployed: send the next connections to its current revision (read
        now, before the caller starts another deploy, which may fail)."""
        try:
            self._selector = current_selector(self.cluster.api, self.namespace, self.app,
                                              self.service)
        except Exception:  # the next connection reads it
            self._selector = None

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed by stop()
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True,
                             name=f"forward connection to {self.service}").start()

    def _serve(self, connection: socket.socket) -> None:
        api = client.ApiClient(configuration=self.cluster.api.configuration)
        forwarded: Any = None
        try:
            pod = self._pod(api)
            if pod is None:
                self._warn_once(f"{self.service}: no ready pod to forward {self.url} to; the "
                                "connection was closed (the next one looks again)")
                return
            forwarded = portforward(client.CoreV1Api(api).connect_get_namespaced_pod_portforward,
                                    pod, self.namespace, ports=str(self.port))
            self._warned = False
            _relay(connection, forwarded.socket(self.port))
        except Exception as exc:  # the pod went away meanwhile, the API refused...: one line
            self._warn_once(f"{self.service}: forwarding {self.url} failed: {exc}")
        finally:
            with contextlib.suppress(Exception):
                connection.close()
            if forwarded is not None:
                with contextlib.suppress(Exception):
                    forwarded.close()
            with contextlib.suppress(Exception):
                api.close()

    def _pod(self, api: client.ApiClient) -> str | None:
        """The newest ready pod of the current revision (else of the service), or None."""
        core = client.CoreV1Api(api)
        if self._selector is None:
            self._selector = current_selector(api, self.namespace, self.app, self.service)
        for chosen in (self._selector, selector(self.app, self.service)):
            listed: list[Any] = core.list_namespaced_pod(self.namespace,
                                                         label_selector=chosen).items
            pods = [p for p in listed if not p.metadata.deletion_timestamp and _ready(p)]
            if pods:
                newest = max(pods, key=lambda p: str(p.metadata.creation_timestamp or ""))
                return str(newest.metadata.name)
        return None

    def _warn_once(self, message: str) -> None:
        if not self._warned and not self._stopped.is_set():
            self._warned = True
            self.warn(message)


def _ready(pod: Any) -> bool:
    found = condition(pod, "Ready")
    return found is not None and found.status == "True"


def _listen(port: int) -> socket.socket:
    """A listening socket on the service's own port number when it is free, else on any."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        listener.bind((HOST, 0))
    listener.listen(16)
    return listener


def _relay(local: socket.socket, remote: Any) -> None:
    """Copy bytes both ways until either side closes (the client library cannot half-close a
    forwarded port: the first end closes both)."""
    sockets = [local, remote]
    while True:
        readable, _, _ = select.select(sockets, [], [])
        for source in readable:
            data = source.recv(CHUNK)
            if not data:
                return
            (remote if source is local else local).sendall(data)
