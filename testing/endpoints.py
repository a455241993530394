"""Servers at the network boundary that are not what the tool expects, on loopback ports.

* :class:`SilentServer` accepts connections and never answers: a cluster (or registry) that
  hangs. It counts the connections, so a test can wait until the tool is blocked on it.
* :class:`WebServer` answers every request with a small HTML page and a fixed status: a
  kubeconfig that points at a web server instead of a Kubernetes API server.

:func:`kubeconfig_for` writes a kubeconfig whose only context points at one of them,
:func:`down_kubeconfig` one whose cluster refuses connections (a port nothing listens on).
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from pathlib import Path
from typing import Self

import yaml


class SilentServer:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._accepted: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                self._accepted.append(connection)  # kept open, never read, never answered

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._accepted)

    def wait_for_connections(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.connections < count:
            assert time.monotonic() < deadline, f"{self.connections} of {count} connections came"
            time.sleep(0.02)

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for connection in self._accepted:
                connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


PAGE = b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>\n"


class WebServer:
    def __init__(self, status: int) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(PAGE)

            # http.server's names for the handlers of each method
            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.close()


def kubeconfig_for(url: str, path: Path, context: str = "elsewhere", verify: bool = True) -> Path:
    cluster: dict[str, object] = {"server": url}
    if not verify:
        cluster["insecure-skip-tls-verify"] = True
    config = {"apiVersion": "v1", "kind": "Config", "current-context": context,
              "clusters": [{"name": context, "cluster": cluster}],
              "users": [{"name": "someone", "user": {"token": "not-a-real-token"}}],
              "contexts": [{"name": context, "context": {"cluster": context, "user": "someone"}}]}
    path.write_text(yaml.safe_dump(config))
    return path


def closed_port() -> int:
    with socket.socket() as probe:  # bound, never listened on, closed: connections are refused
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def down_kubeconfig(path: Path) -> Path:
    """A kubeconfig whose only context, ``down``, names an https cluster on a closed port; no
    certificate is asked for, as the connection is refused before TLS."""
    return kubeconfig_for(f"https://127.0.0.1:{closed_port()}", path, context="down", verify=False)


def prebuilt_app(apps: Path, app: str, services: tuple[str, ...]) -> None:
    """An app of services whose image exists already: deploying them needs no Docker."""
    folder = apps / app
    folder.mkdir(parents=True)
    for service in services:
        spec = {"name": service, "image": {"registry": "127.0.0.1:5000", "name": f"{app}/{service}",
                                           "tag": "1.0"}, "ports": [{"port": "8080/http"}]}
        (folder / f"{service}.hspec").write_text(yaml.safe_dump(spec, sort_keys=False))
