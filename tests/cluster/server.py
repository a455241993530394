"""The HTTP front: Kubernetes REST paths over ``http.server`` (one thread per connection, HTTP/1.1
keep-alive, chunked streaming for watches and followed logs).

Routing follows the apiserver's path grammar::

    /api/v1[/watch][/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]
    /apis/GROUP/VERSION[/watch][/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]

plus discovery (/version, /api, /apis, /apis/GROUP, /apis/GROUP/VERSION) and /healthz, /livez,
/readyz. Authentication: a request with a bearer token other than the kubeconfig's is 401; one
without credentials is served, as the apiserver's old insecure (plain-HTTP, loopback) port did,
because Go clients (kubectl) never send credentials over plain HTTP. Each answered request is one
audit record.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .api import Api, DeleteOptions
from .audit import AuditLog
from .errors import ApiError, bad_request, method_not_allowed, no_such_path, unauthorized
from .kubelet import Kubelet, LogOptions, resolve_log_container
from .patch import APPLY_PATCH, PATCH_TYPES, apply_patch
from .resources import ResourceType
from .tables import to_table, wants_table
from .watch import watch

VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-hyscale-standin",
    "gitCommit": "0" * 40,
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")


@dataclass
class Route:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None
    watch_path: bool


class StandInHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock keep-alive and streaming handler threads so nothing outlives the server."""
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections close after this
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall
    server: StandInHTTPServer

    def do_GET(self) -> None:
        self.server.app.handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the audit log is the request log


class Exchange:
    """One request/response, with helpers to answer it."""

    def __init__(self, handler: Handler) -> None:
        self.h = handler
        url = urlsplit(handler.path)
        self.method = handler.command
        self.path = url.path.rstrip("/") or "/"
        self.raw_query = url.query
        self.query = dict(parse_qsl(url.query, keep_blank_values=True))
        self.content_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip()
        self.accept = handler.headers.get("Accept") or ""
        self.code: int | None = None
        self._body: bytes | None = None
        self.route: Route | None = None
        self.action: str | None = None
        # called once, just before the status line goes out: the audit record is written before the
        # client can see the answer, so a test that reads the log after a call always finds it
        self.on_status: Callable[[Exchange], None] | None = None

    def _status(self, code: int) -> None:
        self.code = code
        if self.on_status is not None:
            self.on_status(self)
        self.h.send_response(code)

    def body_bytes(self) -> bytes:
        if self._body is None:
            if (self.h.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.h.rfile.readline()
                        break
                    chunks.append(self.h.rfile.read(size))
                    self.h.rfile.readline()
                self._body = b"".join(chunks)
            else:
                length = int(self.h.headers.get("Content-Length") or 0)
                self._body = self.h.rfile.read(length) if length else b""
        return self._body

    def json_body(self) -> Any:
        raw = self.body_bytes()
        if not raw.strip():
            return None
        if self.content_type == APPLY_PATCH:
            import yaml

            try:
                return yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                raise bad_request(f"error decoding YAML: {exc}") from None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise bad_request(f"error decoding request body as JSON: {exc}") from None

    def client_gone(self) -> bool:
        """True once the client closed its end: how a stream notices a watcher that left while idle."""
        conn = self.h.connection
        try:
            readable, _, _ = select.select([conn], [], [], 0)
            return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def send(self, code: int, body: bytes, content_type: str) -> None:
        self._status(code)
        self.h.send_header("Content-Type", content_type)
        self.h.send_header("Content-Length", str(len(body)))
        self.h.send_header("Cache-Control", "no-cache, private")
        self.h.end_headers()
        if self.method != "HEAD":
            self.h.wfile.write(body)

    def send_json(self, code: int, obj: Any) -> None:
        self.send(code, json.dumps(obj, separators=(",", ":")).encode(), "application/json")

    def begin_stream(self, content_type: str) -> None:
        self._status(200)
        self.h.send_header("Content-Type", content_type)
        self.h.send_header("Transfer-Encoding", "chunked")
        self.h.send_header("Cache-Control", "no-cache, private")
        self.h.end_headers()
        self.h.wfile.flush()

    def write_chunk(self, chunk: bytes) -> None:
        if chunk:
            self.h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.h.wfile.flush()

    def end_stream(self) -> None:
        self.h.wfile.write(b"0\r\n\r\n")
        self.h.wfile.flush()

    def stream(self, content_type: str, chunks: Iterator[bytes]) -> None:
        """A chunked response; a client that goes away ends it quietly (and closes the connection)."""
        self.begin_stream(content_type)
        try:
            for chunk in chunks:
                self.write_chunk(chunk)
            self.end_stream()
        except OSError:
            self.h.close_connection = True


class App:
    def __init__(self, api: Api, kubelet: Kubelet, audit: AuditLog, token: str) -> None:
        self.api = api
        self.kubelet = kubelet
        self.audit = audit
        self.token = token
        self.stopping = threading.Event()
        self.server_address = ""

    # ----- entry ---------------------------------------------------------------------------------

    def handle(self, handler: Handler) -> None:
        ex = Exchange(handler)
        ex.on_status = self._audit
        try:
            auth = handler.headers.get("Authorization")
            if auth is not None and auth != f"Bearer {self.token}" and not ex.path.startswith(PUBLIC_PATHS):
                raise unauthorized()
            ex.route = self._route(ex)
            if ex.route is not None:
                ex.action = _action(ex.method, ex.route, ex.query)
                self._dispatch(ex, ex.route)
        except ApiError as err:
            self._fail(ex, err)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
        except Exception as exc:  # a bug in the stand-in: answer like the apiserver, keep the trace
            traceback.print_exc()
            self._fail(ex, ApiError(500, "InternalError", f"Internal error occurred: {exc!r}", {}))
        finally:
            if ex.code is None:  # no answer went out (the client left): still one record
                self._audit(ex)

    def _fail(self, ex: Exchange, err: ApiError) -> None:
        if ex.code is not None:  # the response has started: all we can do is drop the connection
            ex.h.close_connection = True
            return
        try:
            ex.body_bytes()  # drain the body so the keep-alive connection stays usable
        except (OSError, ValueError):
            ex.h.close_connection = True
        ex.send_json(err.code, err.status())

    def _audit(self, ex: Exchange) -> None:
        entry: dict[str, Any] = {"verb": ex.method, "path": ex.path, "query": ex.raw_query, "code": ex.code}
        route, action = ex.route, ex.action
        if route is not None:
            entry.update(
                {
                    "action": action,
                    "resource": route.rt.plural,
                    "group": route.rt.group,
                    "namespace": route.namespace,
                    "name": route.name,
                    "subresource": route.subresource,
                }
            )
        if ex.content_type:
            entry["contentType"] = ex.content_type
        entry["userAgent"] = ex.h.headers.get("User-Agent") or ""
        self.audit.record(entry)

    # ----- non-resource paths and routing --------------------------------------------------------

    def _route(self, ex: Exchange) -> Route | None:
        path, reg = ex.path, self.api.registry
        if path == "/version":
            ex.send_json(200, VERSION_INFO)
            return None
        if path.startswith(("/healthz", "/livez", "/readyz")):
            ex.send(200, b"ok", "text/plain; charset=utf-8")
            return None
        doc: Any = None
        segs = [s for s in path.split("/") if s]
        if segs == ["api"]:
            doc = reg.api_versions(self.server_address)
        elif len(segs) == 2 and segs[0] == "api":
            doc = reg.resource_list("", segs[1])
        elif segs == ["apis"]:
            doc = reg.api_group_list()
        elif len(segs) == 2 and segs[0] == "apis":
            doc = reg.api_group(segs[1])
        elif len(segs) == 3 and segs[0] == "apis":
            doc = reg.resource_list(segs[1], segs[2])
        elif segs and segs[0] in ("api", "apis"):
            return self._resource_route(segs)
        else:
            raise no_such_path()
        if doc is None:
            raise no_such_path()
        if ex.method != "GET":
            raise method_not_allowed(ex.method)
        ex.send_json(200, doc)
        return None

    def _resource_route(self, segs: list[str]) -> Route:
        if segs[0] == "api":
            group, version, rest = "", segs[1], segs[2:]
        else:
            if len(segs) < 4:
                raise no_such_path()
            group, version, rest = segs[1], segs[2], segs[3:]
        watch_path = bool(rest) and rest[0] == "watch"
        if watch_path:
            rest = rest[1:]
        namespace = None
        if (
            len(rest) >= 3
            and rest[0] == "namespaces"
            and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise no_such_path()
        rt = self.api.registry.lookup(group, version, rest[0])
        if rt is None or (namespace is not None and not rt.namespaced):
            raise no_such_path()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and not rt.has(sub):
            raise no_such_path()
        if rt.namespaced and name is not None and namespace is None:
            raise no_such_path()
        return Route(rt, namespace, name, sub, watch_path)

    # ----- resource requests ---------------------------------------------------------------------

    def _dispatch(self, ex: Exchange, r: Route) -> None:
        method, q = ex.method, ex.query
        dry_run = bool(q.get("dryRun"))
        if r.name is None:
            if method == "GET":
                if r.watch_path or q.get("watch") in ("true", "1"):
                    self._check_verb(r.rt, "watch", method)
                    self._watch(ex, r)
                    return
                self._check_verb(r.rt, "list", method)
                listed = self.api.list_collection(
                    r.rt,
                    r.namespace,
                    q.get("labelSelector"),
                    q.get("fieldSelector"),
                    int(q["limit"]) if q.get("limit") else None,
                    q.get("continue"),
                )
                if wants_table(ex.accept):
                    listed = to_table(
                        r.rt, listed["items"], listed["metadata"], q.get("includeObject", "Metadata")
                    )
                ex.send_json(200, listed)
                return
            if method == "POST":
                self._check_verb(r.rt, "create", method)
                if r.rt.namespaced and r.namespace is None:
                    raise no_such_path()
                created = self.api.create(r.rt, r.namespace, ex.json_body(), dry_run=dry_run)
                ex.send_json(200 if r.rt.virtual else 201, created)
                return
            if method == "DELETE":
                self._check_verb(r.rt, "deletecollection", method)
                opts = DeleteOptions.parse(ex.json_body(), q)
                ex.send_json(
                    200,
                    self.api.delete_collection(
                        r.rt, r.namespace, q.get("labelSelector"), q.get("fieldSelector"), opts
                    ),
                )
                return
            raise method_not_allowed(method)
        if r.subresource == "log":
            if method != "GET":
                raise method_not_allowed(method)
            self._logs(ex, r)
            return
        if r.subresource == "scale":
            self._scale(ex, r, dry_run)
            return
        sub = r.subresource
        if method == "GET":
            self._check_verb(r.rt, "get", method)
            obj = self.api.get(r.rt, r.namespace, r.name)
            if wants_table(ex.accept) and sub is None:
                obj = to_table(
                    r.rt,
                    [obj],
                    {"resourceVersion": obj["metadata"]["resourceVersion"]},
                    q.get("includeObject", "Metadata"),
                )
            ex.send_json(200, obj)
            return
        if method == "PUT":
            self._check_verb(r.rt, "update", method)
            ex.send_json(200, self.api.replace(r.rt, r.namespace, r.name, ex.json_body(), sub, dry_run))
            return
        if method == "PATCH":
            self._check_verb(r.rt, "patch", method)
            self._check_patch_type(ex)
            ex.send_json(
                200, self.api.patch(r.rt, r.namespace, r.name, ex.content_type, ex.json_body(), sub, dry_run)
            )
            return
        if method == "DELETE" and sub is None:
            self._check_verb(r.rt, "delete", method)
            opts = DeleteOptions.parse(ex.json_body(), q)
            code, body = self.api.delete(r.rt, r.namespace, r.name, opts)
            ex.send_json(code, body)
            return
        raise method_not_allowed(method)

    def _check_verb(self, rt: ResourceType, verb: str, method: str) -> None:
        if verb not in rt.verbs:
            raise method_not_allowed(method)

    def _check_patch_type(self, ex: Exchange) -> None:
        if ex.content_type == APPLY_PATCH:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "server-side apply (application/apply-patch+yaml) is not implemented by the hyscale "
                "test stand-in; use a JSON, merge or strategic merge patch",
                {},
            )
        if ex.content_type not in PATCH_TYPES:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: "
                + ", ".join(PATCH_TYPES),
                {},
            )

    def _watch(self, ex: Exchange, r: Route) -> None:
        # validate selectors before the 200 goes out, so a bad selector is still a 400
        from .selectors import parse_field_selector, parse_label_selector

        parse_label_selector(ex.query.get("labelSelector"))
        parse_field_selector(ex.query.get("fieldSelector"), r.rt.group, r.rt.plural)
        ex.begin_stream("application/json")
        try:
            watch(
                self.api,
                r.rt,
                r.namespace,
                ex.query,
                ex.write_chunk,
                lambda: self.stopping.is_set() or ex.client_gone(),
            )
            ex.end_stream()
        except OSError:  # the client went away mid-write
            ex.h.close_connection = True

    def _logs(self, ex: Exchange, r: Route) -> None:
        q = ex.query
        assert r.name is not None
        pod = self.api.get(r.rt, r.namespace, r.name)
        container = resolve_log_container(pod, q.get("container"))

        def number(key: str) -> int | None:
            value = q.get(key)
            if value in (None, ""):
                return None
            try:
                return int(value)
            except ValueError:
                raise bad_request(f"{key}: invalid value {value!r}") from None

        options = LogOptions(
            container=container,
            follow=q.get("follow") in ("true", "1"),
            previous=q.get("previous") in ("true", "1"),
            tail_lines=number("tailLines"),
            timestamps=q.get("timestamps") in ("true", "1"),
            since_seconds=number("sinceSeconds"),
            limit_bytes=number("limitBytes"),
        )
        if not (pod.get("spec") or {}).get("nodeName"):
            ex.send(200, b"", "text/plain")  # no host yet: the apiserver answers an empty stream
            return

        def stopping() -> bool:
            return self.stopping.is_set() or ex.client_gone()

        chunks = self.kubelet.logs(pod, options, stopping)
        first = next(chunks, b"")  # a kubelet refusal (ApiError) surfaces before any byte is sent
        if options.follow:

            def all_chunks() -> Iterator[bytes]:
                yield first
                yield from chunks

            ex.stream("text/plain", all_chunks())
        else:
            ex.send(200, first + b"".join(chunks), "text/plain")

    def _scale(self, ex: Exchange, r: Route, dry_run: bool) -> None:
        assert r.name is not None
        name = r.name
        if ex.method == "GET":
            ex.send_json(200, self.api.scale_of(r.rt, self.api.get(r.rt, r.namespace, name)))
            return
        if ex.method == "PUT":
            body = ex.json_body()
            ex.send_json(200, self.api.update_scale(r.rt, r.namespace, name, lambda _s: body))
            return
        if ex.method == "PATCH":
            self._check_patch_type(ex)
            body = ex.json_body()
            ex.send_json(
                200,
                self.api.update_scale(
                    r.rt, r.namespace, name, lambda s: apply_patch(s, ex.content_type, body, "Plain")
                ),
            )
            return
        raise method_not_allowed(ex.method)


def _action(method: str, r: Route, query: dict[str, str]) -> str:
    """The Kubernetes verb of a request, for the audit log."""
    if r.subresource == "log":
        return "get"
    if r.name is None:
        if method == "GET":
            return "watch" if r.watch_path or query.get("watch") in ("true", "1") else "list"
        return {"POST": "create", "DELETE": "deletecollection"}.get(method, method.lower())
    return {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())
