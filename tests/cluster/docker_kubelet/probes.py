"""Readiness, liveness and startup probes, run from the stand-in against the container.

``httpGet`` and ``tcpSocket`` go to 127.0.0.1:<published host port> of the probed container port
(the pod's sandbox publishes every container port and probe port); ``exec`` runs in the container.
Messages are the kubelet's, with the pod IP 127.0.0.1 and the container port, so events read as on
a node: ``Readiness probe failed: HTTP probe failed with statuscode: 404``.

Docker publishes ports through docker-proxy, which accepts a TCP connection even when nothing
listens in the container and then closes it at once. So a TCP probe that connects waits a moment
for that close: an immediate EOF means "connection refused", as a direct dial would have said.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
USER_AGENT = "kube-probe/1.32"
PROXY_GRACE = 0.15  # seconds docker-proxy needs to give up on a port nobody listens on


@dataclass
class ProbeResult:
    ok: bool
    message: str = ""


def named_port(port: object, container: Obj) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for declared in container.get("ports") or []:
        if declared.get("name") == port:
            return int(declared["containerPort"])
    return None


def probe_ports(container: Obj) -> list[int]:
    """Numeric ports the container's probes dial (the sandbox publishes them too)."""
    out = []
    for key in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(key) or {}
        action = probe.get("httpGet") or probe.get("tcpSocket")
        if action:
            port = named_port(action.get("port"), container)
            if port is not None:
                out.append(port)
    return out


def http_probe(action: Obj, host_port: int, container_port: int, timeout: float) -> ProbeResult:
    scheme = str(action.get("scheme", "HTTP")).lower()
    path = str(action.get("path") or "/")
    if not path.startswith("/"):
        path = "/" + path
    url = f"{scheme}://127.0.0.1:{container_port}{path}"
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Host": f"127.0.0.1:{container_port}"}
    for header in action.get("httpHeaders") or []:
        headers[str(header["name"])] = str(header["value"])
    conn: http.client.HTTPConnection
    if scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", host_port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", host_port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read(10 * 1024)
        if 200 <= response.status < 400:
            return ProbeResult(True)
        return ProbeResult(False, f"HTTP probe failed with statuscode: {response.status}")
    except TimeoutError:
        return ProbeResult(
            False, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        )
    except (ConnectionError, http.client.HTTPException, OSError):
        # refused, or docker-proxy closing because nothing listens behind it
        return ProbeResult(
            False, f'Get "{url}": dial tcp 127.0.0.1:{container_port}: connect: connection refused'
        )
    finally:
        conn.close()


def tcp_probe(host_port: int, container_port: int, timeout: float) -> ProbeResult:
    refused = ProbeResult(False, f"dial tcp 127.0.0.1:{container_port}: connect: connection refused")
    try:
        sock = socket.create_connection(("127.0.0.1", host_port), timeout=timeout)
    except TimeoutError:
        return ProbeResult(False, f"dial tcp 127.0.0.1:{container_port}: i/o timeout")
    except OSError:
        return refused
    try:
        sock.settimeout(min(PROXY_GRACE, timeout))
        try:
            if sock.recv(1) == b"":
                return refused
        except TimeoutError:
            pass  # connected and the server waits for us: the port is open
        except OSError:
            return refused
        return ProbeResult(True)
    finally:
        sock.close()


def exec_probe(api: Any, container_id: str, command: list[str], timeout: float) -> ProbeResult:
    exec_id = api.exec_create(container_id, command, stdout=True, stderr=True)["Id"]
    output: bytes = api.exec_start(exec_id)
    code = api.exec_inspect(exec_id).get("ExitCode")
    if code == 0:
        return ProbeResult(True)
    return ProbeResult(
        False, output.decode(errors="replace").strip() or f"command {command} exited with {code}"
    )


@dataclass
class Prober:
    """One probe of one container instance, on its own thread, as the kubelet's probe workers are."""

    kind: str  # Readiness | Liveness | Startup
    spec: Obj
    container: Obj
    container_id: str
    host_ports: Mapping[int, int]
    scale: float
    api: Callable[[], Any]
    on_failure: Callable[[str, str], None]  # (kind, message): an Unhealthy event
    changed: Callable[[], None]  # wake the pod worker
    gate: Callable[[], bool] = lambda: True  # startup probe passed (or none)
    ok: bool = False
    fired: bool = False  # failureThreshold reached (liveness/startup: restart the container)
    last_message: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        # a container is unready until its readiness probe passes; liveness starts out healthy
        self.ok = self.kind == "Liveness"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"standin-probe-{self.kind}-{self.container['name']}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _seconds(self, key: str, default: float) -> float:
        return float(self.spec.get(key, default)) * self.scale

    def _run(self) -> None:
        if self._stop.wait(self._seconds("initialDelaySeconds", 0)):
            return
        period = max(self._seconds("periodSeconds", 10), 0.02)
        successes = failures = 0
        while not self._stop.is_set():
            if self.kind == "Startup" or self.gate():
                started = time.monotonic()
                result = self.run_once()
                if self._stop.is_set():
                    return
                if result.ok:
                    successes, failures = successes + 1, 0
                    if successes >= int(self.spec.get("successThreshold", 1)) and not self.ok:
                        self.ok = True
                        self.changed()
                else:
                    successes, failures = 0, failures + 1
                    self.last_message = result.message
                    self.on_failure(self.kind, result.message)
                    if failures >= int(self.spec.get("failureThreshold", 3)):
                        if self.ok or self.kind != "Readiness":
                            self.ok = False
                            self.fired = self.kind != "Readiness"
                            self.changed()
                        if self.fired:
                            return  # the container is killed; a new instance gets new probers
                if self.kind == "Startup" and self.ok:
                    return
                self._stop.wait(max(period - (time.monotonic() - started), 0))
            else:
                self._stop.wait(0.05)

    def run_once(self) -> ProbeResult:
        timeout = max(self._seconds("timeoutSeconds", 1), 0.05)
        if "exec" in self.spec:
            return exec_probe(
                self.api(), self.container_id, list(self.spec["exec"].get("command") or []), timeout
            )
        action = self.spec.get("httpGet") or self.spec.get("tcpSocket")
        if action is None:
            return ProbeResult(True)  # grpc: not supported here, treated as passing
        port = named_port(action.get("port"), self.container)
        host_port = self.host_ports.get(port) if port is not None else None
        if port is None or host_port is None:
            return ProbeResult(False, f"port {action.get('port')} is not published by the pod")
        if "httpGet" in self.spec:
            return http_probe(action, host_port, port, timeout)
        return tcp_probe(host_port, port, timeout)
