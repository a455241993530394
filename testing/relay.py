"""A counting relay at the network boundary: what did the tool ask the Docker engine and the registry?

A :class:`Relay` listens on a unix socket or a loopback TCP port and forwards every connection,
byte for byte, to an upstream (the Docker engine's socket, the test registry's port). On the way it
counts connections and the HTTP requests on the client->server side, and records each request's
(method, path). Tests put it between the tool and a real component to pin "a no-op run makes no
Docker API call and at most one registry read per service" against the real wire, not against a
mock: a relay that saw no connection proves the tool opened none.

Counting HTTP requests
    Each connection's client->server bytes go through a small HTTP/1.x framing parser: request line
    and headers, then the body by ``Content-Length`` or ``Transfer-Encoding: chunked``, then the
    next request (keep-alive and pipelining both work). So a request body (a build context tar, a
    layer upload) is never mistaken for a request, which matters because the daemon's push goes
    through the registry relay too. Limits: a connection that switches protocol (``Upgrade``,
    ``CONNECT``: the Docker API's attach/exec hijack), that is TLS or HTTP/2, or whose bytes do not
    parse as HTTP/1.x is marked ``opaque``: it is still counted as a connection, the requests seen
    before the switch are kept, and nothing after it is counted. Responses are not parsed.

Why specs name the registry *relay* (and what is counted)
    The tool derives its registry probe from ``image.registry``; nothing else (no proxy setting)
    routes it, so the only way to see the tool's registry reads on the wire is to name the relay's
    address (``127.0.0.1:<relay port>``) as the image's registry. The Docker daemon then pushes
    through the relay as well, which is fine and even useful:

    * in a no-op run, the daemon only talks to the registry when the tool asks it to through the
      Docker API, and the Docker relay shows that the tool made no Docker call at all; so every
      request the registry relay sees in that run is the tool's own, and the count is exact;
    * in a run that pushes, tests count only the tool's probe shape (``HEAD /v2/<repo>/manifests/
      <tag>``) or look at the whole request list on purpose (what the push did).

    The alternative, naming the real registry and giving the tool an HTTP proxy, would make the
    count depend on the tool's HTTP client honouring proxy variables: a client that ignores them
    would talk to the registry directly and the relay would report zero reads, a test that passes
    for the wrong reason. Images named with a relay's port are only reachable while that relay
    lives, so a relay lives as long as the fixture that named images after it.

Holding or answering a request
    :meth:`Relay.hold` makes the relay stop forwarding a connection's client->server bytes when a
    request matching a predicate arrives (before the request reaches upstream), until
    :meth:`Relay.release`; :attr:`Relay.holding` is set meanwhile. Tests use it to interrupt the
    tool at an exact point (mid-push) instead of racing a timer. :meth:`Relay.answer` answers
    matching requests itself (say, a registry's 403) and closes the connection: a refusal at an
    exact point of the push, from a registry that is otherwise real.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

MAX_HEAD = 64 * 1024  # a request head larger than this is not HTTP we understand: opaque
BUFFER = 64 * 1024


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # the request target as sent (path and query; absolute URI for a proxy request)
    connection: int  # 1-based number of the connection it came on (since the relay started)


class RequestParser:
    """HTTP/1.x request framing on one connection's client->server bytes.

    :meth:`feed` takes bytes as they arrive (any split) and returns the (method, target) of each
    request whose head completed in them.
    """

    def __init__(self) -> None:
        self.opaque = False
        self._buffer = b""
        self._state = "head"  # head | body | chunk-size | chunk-data | trailer
        self._remaining = 0

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if self.opaque:
            return found
        self._buffer += data
        while self._step(found):
            pass
        return found

    def _step(self, found: list[tuple[str, str]]) -> bool:
        """Consume one unit from the buffer; False when more bytes are needed."""
        if self.opaque:
            return False
        if self._state == "body" or self._state == "chunk-data":
            taken = min(self._remaining, len(self._buffer))
            self._buffer = self._buffer[taken:]
            self._remaining -= taken
            if self._remaining:
                return False
            self._state = "head" if self._state == "body" else "chunk-size"
            return True
        if self._state == "head":
            return self._head(found)
        line, separator, rest = self._buffer.partition(b"\r\n")
        if not separator:
            if len(self._buffer) > MAX_HEAD:
                self.opaque = True
            return False
        self._buffer = rest
        if self._state == "chunk-size":
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.opaque = True
                return False
            if size:
                self._state, self._remaining = "chunk-data", size + 2  # data and its CRLF
            else:
                self._state = "trailer"
            return True
        if not line:  # the empty line that ends the trailer section
            self._state = "head"
        return True

    def _head(self, found: list[tuple[str, str]]) -> bool:
        while self._buffer.startswith(b"\r\n"):  # tolerated between requests (RFC 9112 §2.2)
            self._buffer = self._buffer[2:]
        head, separator, rest = self._buffer.partition(b"\r\n\r\n")
        if not separator:
            if len(self._buffer) > MAX_HEAD:
                self.opaque = True
            return False
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self.opaque = True
            return False
        method, target = parts[0], parts[1]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        found.append((method, target))
        self._buffer = rest
        if method == "CONNECT" or "upgrade" in headers.get("connection", "").lower():
            self.opaque = True  # the connection stops being HTTP after the answer
            return False
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._state = "chunk-size"
        elif headers.get("content-length", "0").strip() not in ("", "0"):
            try:
                self._state, self._remaining = "body", int(headers["content-length"])
            except ValueError:
                self.opaque = True
                return False
        return True


Address = tuple[str, int] | str  # (host, port) for TCP, a path for a unix socket


class Relay:
    """Forwards connections from :attr:`address` to ``upstream`` and counts what went through.

    Use :meth:`tcp` or :meth:`unix` to make one; it is a context manager (``close`` on exit).
    """

    def __init__(self, listener: socket.socket, upstream: Address, address: Address,
                 cleanup: Callable[[], None] | None = None) -> None:
        self.upstream = upstream
        self.address = address
        self.requests: list[Request] = []
        self.connections = 0
        self.opaque_connections = 0
        self.holding = threading.Event()
        self._listener = listener
        self._cleanup = cleanup
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        self._numbered = 0  # connection numbers never restart, even across reset()
        self._hold: Callable[[str, str], bool] | None = None
        self._answer: tuple[Callable[[str, str], bool], bytes] | None = None
        self._released = threading.Event()
        self._released.set()
        self._thread = threading.Thread(target=self._accept, name=f"relay {address}", daemon=True)
        self._thread.start()

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def tcp(cls, upstream_host: str, upstream_port: int) -> Relay:
        """A relay on a free 127.0.0.1 port in front of ``upstream_host:upstream_port``."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        return cls(listener, (upstream_host, upstream_port), listener.getsockname()[:2])

    @classmethod
    def unix(cls, upstream_path: str | Path, folder: Path | None = None) -> Relay:
        """A relay on a new unix socket (in ``folder`` or a short temporary folder) in front of
        the unix socket ``upstream_path``. Unix socket paths are limited to ~107 bytes, hence
        the short default folder."""
        own_folder = folder is None
        where = Path(tempfile.mkdtemp(prefix="relay-", dir="/tmp")) if folder is None else folder
        path = where / "relay.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(64)

        def cleanup() -> None:
            path.unlink(missing_ok=True)
            if own_folder:
                with contextlib.suppress(OSError):
                    where.rmdir()

        return cls(listener, str(upstream_path), str(path), cleanup)

    @property
    def url(self) -> str:
        """``unix:///…`` or ``tcp://127.0.0.1:PORT``: a value for ``DOCKER_HOST``."""
        if isinstance(self.address, str):
            return f"unix://{self.address}"
        return f"tcp://{self.address[0]}:{self.address[1]}"

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT`` of a TCP relay: a registry address for image names."""
        if isinstance(self.address, str):
            raise TypeError("a unix-socket relay has no host:port")
        return f"{self.address[0]}:{self.address[1]}"

    # -- what went through -----------------------------------------------------------------
    def snapshot(self) -> tuple[int, list[Request]]:
        with self._lock:
            return self.connections, list(self.requests)

    def reset(self) -> None:
        """Forget what was counted so far (connections still open keep being forwarded)."""
        with self._lock:
            self.connections = 0
            self.opaque_connections = 0
            self.requests.clear()

    def count(self, method: str | None = None, path_prefix: str = "",
              path_contains: str = "") -> int:
        with self._lock:
            return sum(1 for r in self.requests
                       if (method is None or r.method == method) and r.path.startswith(path_prefix)
                       and path_contains in r.path)

    # -- holding ---------------------------------------------------------------------------
    def hold(self, predicate: Callable[[str, str], bool]) -> None:
        """Stop forwarding a connection's requests from the first one where
        ``predicate(method, path)`` is true, until :meth:`release`."""
        with self._lock:
            self._hold = predicate
            self._released.clear()
            self.holding.clear()

    def answer(self, predicate: Callable[[str, str], bool] | None, response: bytes = b"") -> None:
        """Answer requests where ``predicate(method, path)`` is true with ``response`` (a whole
        HTTP response) instead of forwarding them, and close that connection; None stops it."""
        with self._lock:
            self._answer = (predicate, response) if predicate is not None else None

    def release(self) -> None:
        with self._lock:
            self._hold = None
        self._released.set()

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sockets = list(self._sockets)
        self.release()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._thread.join(timeout=5)
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- forwarding ------------------------------------------------------------------------
    def _connect_upstream(self) -> socket.socket:
        if isinstance(self.upstream, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.connect(self.upstream)
        return sock

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if self._closed:
                    client.close()
                    return
                self.connections += 1
                self._numbered += 1
                number = self._numbered
            try:
                upstream = self._connect_upstream()
            except OSError:
                client.close()  # the component is down: the client sees a reset, as it would
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            done = threading.Barrier(2, action=functools.partial(self._forget, client, upstream))
            threading.Thread(target=self._pump_requests, args=(client, upstream, number, done),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, done), daemon=True).start()

    def _forget(self, client: socket.socket, upstream: socket.socket) -> None:
        with self._lock:
            self._sockets.difference_update((client, upstream))
        client.close()
        upstream.close()

    def _pump_requests(self, source: socket.socket, sink: socket.socket, number: int,
                       done: threading.Barrier) -> None:
        parser = RequestParser()
        try:
            while data := source.recv(BUFFER):
                was_opaque = parser.opaque
                found = parser.feed(data)
                held = answered = False
                with self._lock:
                    self.requests.extend(Request(m, p, number) for m, p in found)
                    if parser.opaque and not was_opaque:
                        self.opaque_connections += 1
                    if self._hold is not None and any(self._hold(m, p) for m, p in found):
                        held = True
                    if self._answer is not None and any(self._answer[0](m, p) for m, p in found):
                        answered, response = True, self._answer[1]
                if answered:
                    with contextlib.suppress(OSError):
                        source.sendall(response)
                        source.shutdown(socket.SHUT_RDWR)
                    sink.shutdown(socket.SHUT_RDWR)
                    return
                if held:
                    self.holding.set()
                    self._released.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _finish(sink, done)

    def _pump(self, source: socket.socket, sink: socket.socket, done: threading.Barrier) -> None:
        try:
            while data := source.recv(BUFFER):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _finish(sink, done)


def _finish(sink: socket.socket, done: threading.Barrier) -> None:
    """One direction is over: tell the far end, then wait for the other direction to end."""
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
    _wait(done)


def _wait(barrier: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()


def docker_engine_socket() -> str:
    """The unix socket of the Docker engine the tests use (``DOCKER_HOST`` or the default)."""
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    if host:
        raise RuntimeError(f"the docker relay forwards to a unix socket; DOCKER_HOST is {host}")
    return "/var/run/docker.sock"
