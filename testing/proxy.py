"""A fault-injecting HTTP proxy in front of the Kubernetes API, for "the API failed mid-apply" tests.

The tool talks to the cluster through the official client and a kubeconfig; to make one of its
requests fail, the test gives it a kubeconfig whose server is this proxy, and tells the proxy
which request to spoil. Everything else is forwarded to the real API server over TLS, with the
credentials of the kubeconfig the proxy was made from (so the API server audits the requests as
that user's), and the failure happens at the network boundary: the client library, its retries
and the tool's error handling all run for real. Nothing in the tool is patched.

    with FaultProxy(cluster.kubeconfig) as proxy:
        kubeconfig = proxy.kubeconfig(cluster.kubeconfig, tmp_path / "kubeconfig")
        proxy.answer("PATCH", r"/deployments/web$", 500)     # once, then forward again
        proxy.delay("POST", r"/services$", 2.0)              # slow but successful
        proxy.drop("POST", r"/deployments$", after=40)       # hold, then close without an answer
        proxy.race("POST", r"/secrets$")                     # someone else sends it just before

A fault fires ``times`` times (default once) on requests whose method matches and whose path
(without the query) matches the regular expression; :attr:`FaultProxy.fired` lists what it did.
An answered or dropped request never reaches the cluster.

:attr:`FaultProxy.requests` lists every request as it came over the wire, with its Content-Type
and body: what the API server's audit log (level Metadata) does not keep, e.g. which patch type
the tool sent.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import re
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
              "upgrade", "host", "content-length"}
REASONS = {409: "Conflict", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
           429: "TooManyRequests", 422: "Invalid"}


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    kind: str  # answer | delay | drop | race
    status: int = 0
    message: str = ""
    seconds: float = 0.0
    times: int = 1
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.fired < self.times and method == self.method and bool(self.path.search(path))


@dataclass(frozen=True)
class Seen:
    """One request the proxy received (faulted or not)."""

    method: str
    path: str
    content_type: str
    body: bytes
    query: str = ""

    def json(self) -> Any:
        return json.loads(self.body)  # an apply's YAML body is sent as JSON, which YAML reads


@dataclass
class Fired:
    kind: str
    method: str
    path: str
    at: float = field(default_factory=time.monotonic)


def status_body(status: int, message: str) -> bytes:
    """A Kubernetes ``Status`` failure document, as the apiserver sends it."""
    reason = REASONS.get(status, "Unknown")
    return json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": message, "reason": reason, "code": status}).encode()


def tls_to(kubeconfig: Path) -> tuple[tuple[str, int], ssl.SSLContext]:
    """The API server of ``kubeconfig``'s current context, and a TLS context that trusts its CA
    and presents the context user's client certificate."""
    document = yaml.safe_load(kubeconfig.read_text())
    current = next(c["context"] for c in document["contexts"] if c["name"] == document["current-context"])
    cluster = next(c["cluster"] for c in document["clusters"] if c["name"] == current["cluster"])
    user = next(u["user"] for u in document["users"] if u["name"] == current["user"])
    parsed = urllib.parse.urlsplit(cluster["server"])
    assert parsed.scheme == "https", f"the proxy forwards to an https API server, not {cluster['server']}"
    context = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    with tempfile.TemporaryDirectory() as folder:  # ssl loads a client certificate from files only
        certificate, key = Path(folder, "client.crt"), Path(folder, "client.key")
        certificate.write_bytes(base64.b64decode(user["client-certificate-data"]))
        key.write_bytes(base64.b64decode(user["client-key-data"]))
        key.chmod(0o600)
        context.load_cert_chain(certificate, key)
    return (parsed.hostname or "127.0.0.1", parsed.port or 443), context


class FaultProxy:
    def __init__(self, kubeconfig: Path) -> None:
        self.upstream, self._tls = tls_to(kubeconfig)
        self._faults: list[Fault] = []
        self.fired: list[Fired] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="fault-proxy")

    # -- the test's side ---------------------------------------------------------------------------
    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def answer(self, method: str, path: str, status: int, message: str | None = None,
               times: int = 1) -> Fault:
        """Answer matching requests with a Status ``status`` instead of forwarding them."""
        text = message or f"injected by the test proxy: {REASONS.get(status, status)}"
        return self._add(Fault(method, re.compile(path), "answer", status=status, message=text,
                               times=times))

    def delay(self, method: str, path: str, seconds: float, times: int = 1) -> Fault:
        """Forward matching requests ``seconds`` late (a slow, but working, API server)."""
        return self._add(Fault(method, re.compile(path), "delay", seconds=seconds, times=times))

    def drop(self, method: str, path: str, after: float, times: int = 1) -> Fault:
        """Hold matching requests ``after`` seconds without an answer, then close the connection
        (an API server that stopped answering). The request never reaches the cluster."""
        return self._add(Fault(method, re.compile(path), "drop", seconds=after, times=times))

    def race(self, method: str, path: str, times: int = 1) -> Fault:
        """Send matching requests to the cluster twice: a copy first (another client, e.g. a
        parallel deploy, that got there a moment earlier), then the request itself, whose answer
        the tool gets."""
        return self._add(Fault(method, re.compile(path), "race", times=times))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def kubeconfig(self, source: Path, target: Path) -> Path:
        """A copy of ``source`` whose clusters' server is this proxy (plain HTTP on loopback; the
        proxy holds the credentials)."""
        document = yaml.safe_load(source.read_text())
        for entry in document.get("clusters", []):
            entry["cluster"] = {"server": self.url}
        for entry in document.get("users", []):
            entry["user"] = {}
        target.write_text(yaml.safe_dump(document, sort_keys=False))
        target.chmod(0o600)
        return target

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- the wire ----------------------------------------------------------------------------------
    def _pick(self, method: str, path: str, content_type: str, body: bytes,
              query: str = "") -> Fault | None:
        with self._lock:
            self.requests.append(Seen(method, path, content_type, body, query))
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.fired += 1
                    self.fired.append(Fired(fault.kind, method, path))
                    return fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(handler.path)
        fault = self._pick(method, url.path, handler.headers.get("Content-Type") or "", body,
                           url.query)
        if fault is not None and fault.kind == "answer":
            data = status_body(fault.status, fault.message)
            handler.send_response(fault.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return
        if fault is not None and fault.kind == "drop":
            self._stopping.wait(fault.seconds)
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "delay":
            self._stopping.wait(fault.seconds)
        if fault is not None and fault.kind == "race":
            self._send_copy(handler, method, body)
        self._forward(handler, method, body)

    def _connect(self, timeout: float) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(*self.upstream, timeout=timeout, context=self._tls)

    def _send_copy(self, handler: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        upstream = self._connect(60)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            upstream.request(method, handler.path, body=body, headers=headers)
            upstream.getresponse().read()
        finally:
            upstream.close()

    def _forward(self, handler: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        upstream = self._connect(300)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
            if body or method in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(body))
            upstream.request(method, handler.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            handler.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    handler.send_header(key, value)
            length = response.getheader("Content-Length")
            if length is not None:
                data = response.read()
                handler.send_header("Content-Length", str(len(data)))
                handler.end_headers()
                handler.wfile.write(data)
                return
            # a stream (watch, log follow): pass it on as it comes
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    break
                handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                handler.wfile.flush()
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            handler.close_connection = True
        finally:
            upstream.close()
