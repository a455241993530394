"""The counting relay counts requests, not bytes: bodies, keep-alive and odd splits included."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.relay import Relay, RequestParser


def _feed_all(parser: RequestParser, data: bytes, step: int) -> list[tuple[str, str]]:
    found = []
    for start in range(0, len(data), step):
        found += parser.feed(data[start:start + step])
    return found


BODY_THAT_LOOKS_LIKE_A_REQUEST = b"GET /not-a-request HTTP/1.1\r\n\r\n"
STREAM = (
    b"HEAD /v2/app/web/manifests/1.0 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    b"POST /build HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
    b"PATCH /v2/app/web/blobs/uploads/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nGET /\r\n16\r\nGET /x HTTP/1.1\r\n\r\n...\r\n0\r\nTrailer: y\r\n\r\n"
    b"GET /v2/ HTTP/1.1\r\n\r\n"
) % (len(BODY_THAT_LOOKS_LIKE_A_REQUEST), BODY_THAT_LOOKS_LIKE_A_REQUEST)
EXPECTED = [("HEAD", "/v2/app/web/manifests/1.0"), ("POST", "/build"),
            ("PATCH", "/v2/app/web/blobs/uploads/1"), ("GET", "/v2/")]


@pytest.mark.parametrize("step", [1, 7, 64, len(STREAM)])
def test_parser_counts_requests_not_bodies_whatever_the_split(step: int) -> None:
    parser = RequestParser()
    assert _feed_all(parser, STREAM, step) == EXPECTED
    assert not parser.opaque


def test_parser_stops_at_a_protocol_switch_and_at_non_http() -> None:
    hijack = RequestParser()
    found = hijack.feed(b"POST /containers/1/attach HTTP/1.1\r\nConnection: Upgrade\r\n"
                        b"Upgrade: tcp\r\n\r\nGET /raw HTTP/1.1\r\n\r\n")
    assert found == [("POST", "/containers/1/attach")]
    assert hijack.opaque
    assert hijack.feed(b"GET /more HTTP/1.1\r\n\r\n") == []
    tls = RequestParser()
    assert tls.feed(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\r\n\r\n") == []
    assert tls.opaque


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_GET(self) -> None:
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@contextlib.contextmanager
def _serving(server: socketserver.BaseServer) -> Iterator[None]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def relay() -> Iterator[Relay]:
    """A relay in front of a keep-alive HTTP server on a loopback port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    with _serving(server), Relay.tcp("127.0.0.1", server.server_address[1]) as relay:
        yield relay


def _connection(relay: Relay, timeout: float) -> http.client.HTTPConnection:
    host, port = relay.host.split(":")
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def test_tcp_relay_forwards_and_counts_keep_alive_requests(relay: Relay) -> None:
    connection = _connection(relay, 5)
    answers = []
    for method, path, body in [("GET", "/a", None), ("POST", "/b", b"GET /c HTTP/1.1\r\n\r\n"),
                               ("GET", "/d?x=1", None)]:
        connection.request(method, path, body=body)
        answers.append(connection.getresponse().read())
    connection.close()
    assert answers == [b"/a", b"GET /c HTTP/1.1\r\n\r\n", b"/d?x=1"]
    connections, requests = relay.snapshot()
    assert connections == 1
    assert [(r.method, r.path, r.connection) for r in requests] == \
        [("GET", "/a", 1), ("POST", "/b", 1), ("GET", "/d?x=1", 1)]
    assert relay.count("GET") == 2 and relay.count(path_prefix="/d") == 1
    relay.reset()
    assert relay.snapshot() == (0, [])


def test_unix_relay_forwards_to_a_unix_socket(tmp_path: Path) -> None:
    upstream = tmp_path / "up.sock"
    with _serving(_UnixServer(str(upstream), _Handler)), Relay.unix(upstream) as relay:
        assert relay.url.startswith("unix:///")
        for path in ("/one", "/two"):
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(str(relay.address))
                client.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                reply = b""
                while chunk := client.recv(4096):
                    reply += chunk
            assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(path.encode())
        assert relay.snapshot()[0] == 2
        assert [r.path for r in relay.snapshot()[1]] == ["/one", "/two"]


def test_hold_stops_a_request_until_released_and_answer_replaces_it(relay: Relay) -> None:
    relay.hold(lambda method, path: path == "/held")
    replies: list[bytes] = []

    def ask() -> None:
        connection = _connection(relay, 10)
        connection.request("GET", "/held")
        replies.append(connection.getresponse().read())

    asker = threading.Thread(target=ask)
    asker.start()
    assert relay.holding.wait(5)
    asker.join(0.3)
    assert asker.is_alive() and replies == []
    relay.release()
    asker.join(5)
    assert replies == [b"/held"]

    relay.answer(lambda method, path: path == "/refused",
                 b"HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\nConnection: close\r\n\r\ndenied")
    connection = _connection(relay, 5)
    connection.request("GET", "/refused")
    response = connection.getresponse()
    assert (response.status, response.read()) == (403, b"denied")
