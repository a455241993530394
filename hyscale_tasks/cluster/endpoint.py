"""The cluster's address and credentials as the official client resolved them from the kubeconfig,
kept so that a no-op deploy can check the cluster without importing the client.

Importing the kubernetes client costs ~0.2 s on every run (its package imports every model and
API class), more than the whole no-op check of an app, which is a handful of GETs. So each time
:func:`~hyscale_tasks.cluster.client.connect` resolves the kubeconfig with the official client
(contexts, merged files, exec plugins, auth providers, token files, certificates), it leaves here
what the client resolved: the server, its CA, the client certificate and key or the bearer
token, and the context's name. A later process whose kubeconfig is the same file with the same
bytes, and whose certificate files are unchanged, reads through the standard library's HTTP
client (urllib3, under the official client, costs another ~60 ms to import) with exactly those.

This can only save time, never change an outcome: whatever the direct read cannot do as the
client would (a credential the server refuses, e.g. an exec plugin's token that expired; a TLS
failure; a server that does not answer; any answer but 200 and 404) raises :class:`EndpointUnusableError`,
the caller forgets the entry and asks the official client, which resolves the kubeconfig again
(running the exec plugin) and answers, retries or fails with its own message. A kubeconfig that
needs what the standard library does not do here (a proxy, a TLS server name other than the
host) is not kept.

The entry is as secret as the kubeconfig: one folder per kubeconfig path under
``$HYSCALE_HOME/cache/cluster/`` (0700), its files 0600, replaced whole when the kubeconfig
changes.
"""

from __future__ import annotations

import atexit
import hashlib
import http.client
import json
import multiprocessing
import multiprocessing.util
import os
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from hyscale_tasks import __version__
from hyscale_tasks.home import hyscale_home

REQUEST_TIMEOUT = 30  # seconds for one API call; waits use their own deadlines
CONNECT_TIMEOUT = 10
_CREDENTIAL_FILES = {"ca": "ssl_ca_cert", "cert": "cert_file", "key": "key_file"}
_ENTRY = "endpoint.json"


class EndpointUnusableError(Exception):
    """The kept endpoint could not answer as the official client would: ask the client."""


def kubeconfig_path() -> Path:
    first = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0]
    return Path(first).expanduser() if first else Path.home() / ".kube" / "config"


@dataclass(frozen=True)
class Endpoint:
    server: str  # https://host:port[/prefix]
    context: str
    folder: Path  # holds ca, cert, key when the kubeconfig named them
    verify: bool
    authorization: str | None  # the Authorization header's value, when a token is the credential

    def file(self, name: str) -> str | None:
        path = self.folder / name
        return str(path) if path.is_file() else None


def client_file_folder() -> Path:
    """A private folder for the certificate files the client writes from a kubeconfig's
    ``*-data`` fields (it deletes them at exit; the folder goes too): files found here came from
    the kubeconfig itself, files elsewhere are the user's, whose changes void the entry."""
    folder = Path(tempfile.mkdtemp(prefix="hyscale-kube-"))
    # registered before the client registers its own clean-up, so it runs after it (LIFO)
    atexit.register(shutil.rmtree, folder, True)
    if multiprocessing.parent_process() is not None:
        # A doit worker (-n N -P process) is a forked multiprocessing child, which ends with
        # os._exit: no atexit handler runs there, and each worker left its copy of the client
        # key behind in /tmp. Multiprocessing runs its own finalizers before that exit.
        multiprocessing.util.Finalize(None, shutil.rmtree, (folder, True), exitpriority=0)
    return folder


def remember(kubeconfig: Path, context: str, settings: Any, client_files: Path) -> None:
    """Keep what the official client resolved (``settings``: its Configuration) for later runs."""
    cacheable = not settings.proxy and not getattr(settings, "tls_server_name", None) and \
        str(settings.host).startswith("https://")
    folder = _entry_folder(kubeconfig)
    if not cacheable or not kubeconfig.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        return
    token = (settings.api_key or {}).get("BearerToken") or (settings.api_key or {}).get(
        "authorization")
    user_files: dict[str, list[int]] = {}
    credentials: dict[str, bytes] = {}
    for name, attribute in _CREDENTIAL_FILES.items():
        source = getattr(settings, attribute, None)
        if not source:
            continue
        path = Path(source)
        credentials[name] = path.read_bytes()
        if path.parent != client_files:
            user_files[str(path)] = _stat(path)
    entry = {"kubeconfig": str(kubeconfig), "digest": _digest(kubeconfig), "userFiles": user_files,
             "server": str(settings.host).rstrip("/"), "context": context,
             "verify": bool(settings.verify_ssl), "authorization": token or None}
    if _kept(folder) == (entry, credentials):
        return  # every deploy process of a run connects: rewrite only what changed
    # Written beside the entry and moved into place whole: processes of one run (doit -n 4)
    # may all connect at once, and a reader must never see half an entry.
    partial = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=_ensure_private(folder.parent)))
    for name, data in credentials.items():
        _write_private(partial / name, data)
    _write_private(partial / _ENTRY, json.dumps(entry).encode())
    shutil.rmtree(folder, ignore_errors=True)
    try:
        partial.rename(folder)
    except OSError:  # another process put its (equal) entry there first
        shutil.rmtree(partial, ignore_errors=True)


def recall(kubeconfig: Path) -> Endpoint | None:
    """The kept endpoint of this kubeconfig, if its file and the credential files it names are
    unchanged since the official client resolved them."""
    folder = _entry_folder(kubeconfig)
    try:
        entry = json.loads((folder / _ENTRY).read_bytes())
        if entry["digest"] != _digest(kubeconfig) or \
                any(_stat(Path(path)) != kept for path, kept in entry["userFiles"].items()):
            return None
        return Endpoint(str(entry["server"]), str(entry["context"]), folder,
                        bool(entry["verify"]), entry.get("authorization"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _kept(folder: Path) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    try:
        entry = json.loads((folder / _ENTRY).read_bytes())
        return entry, {name: (folder / name).read_bytes()
                       for name in _CREDENTIAL_FILES if (folder / name).is_file()}
    except (OSError, ValueError):
        return None


def forget(kubeconfig: Path) -> None:
    shutil.rmtree(_entry_folder(kubeconfig), ignore_errors=True)


def get_json(endpoint: Endpoint, path: str, query: list[tuple[str, str]] | None = None,
             **path_params: str) -> dict[str, Any] | None:
    """GET ``path`` (``{name}`` placeholders filled from ``path_params``) as JSON; None on 404."""
    url = urlsplit(endpoint.server)
    target = url.path + path.format(**{k: quote(v, safe="") for k, v in path_params.items()})
    if query:
        target += "?" + urlencode(query)
    connection = _connection(endpoint)
    try:
        connection.request("GET", target, headers=_headers(endpoint))
        response = connection.getresponse()
        body = response.read()
    except (OSError, ValueError) as exc:  # refused, reset, timed out, TLS refused (ssl.SSLError)
        _CONNECTIONS.pop(endpoint.server, None)
        raise EndpointUnusableError(str(exc)) from None
    if response.status == 404:
        return None
    if response.status != 200 or "json" not in (response.getheader("Content-Type") or ""):
        raise EndpointUnusableError(f"HTTP {response.status}")
    try:
        loaded = json.loads(body or b"{}")
    except ValueError:
        raise EndpointUnusableError("not JSON") from None
    return loaded if isinstance(loaded, dict) else None


_CONNECTIONS: dict[str, Any] = {}  # server -> one kept-alive connection for the process's reads


def _forget_connections_in_child() -> None:
    # A forked process (a doit worker) must not read on its parent's TLS connection, as both
    # would use one stream: it opens its own.
    _CONNECTIONS.clear()


os.register_at_fork(after_in_child=_forget_connections_in_child)


def _connection(endpoint: Endpoint) -> Any:
    if endpoint.server not in _CONNECTIONS:
        url = urlsplit(endpoint.server)
        context = ssl.create_default_context(cafile=endpoint.file("ca"))
        if not endpoint.verify:  # insecure-skip-tls-verify, as the client honours it
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        cert = endpoint.file("cert")
        if cert:
            context.load_cert_chain(cert, endpoint.file("key"))
        _CONNECTIONS[endpoint.server] = http.client.HTTPSConnection(
            str(url.hostname), url.port, timeout=CONNECT_TIMEOUT, context=context)
    return _CONNECTIONS[endpoint.server]


def _headers(endpoint: Endpoint) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": f"hyscale-tasks/{__version__}"}
    if endpoint.authorization:
        headers["Authorization"] = endpoint.authorization
    return headers


def _entry_folder(kubeconfig: Path) -> Path:
    name = hashlib.sha256(str(kubeconfig.absolute()).encode()).hexdigest()[:16]
    return hyscale_home() / "cache" / "cluster" / name


def _digest(kubeconfig: Path) -> str:
    return hashlib.sha256(kubeconfig.read_bytes()).hexdigest()


def _stat(path: Path) -> list[int]:
    found = path.stat()
    return [found.st_size, found.st_mtime_ns, found.st_ino]


def _ensure_private(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
