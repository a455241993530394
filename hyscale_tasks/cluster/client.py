"""The cluster connection, from a kubeconfig, and the translation of API failures.

The kubeconfig is ``$KUBECONFIG`` or ``~/.kube/config``, as for kubectl. Every API failure the
tool expects (refused, unauthorized, not reachable) becomes a :class:`ClusterError` saying what
failed and what to check; a 404 is a normal answer, handled where it is asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3.util.retry import Retry

from hyscale_tasks import __version__
from hyscale_tasks.cluster import endpoint
from hyscale_tasks.cluster.endpoint import REQUEST_TIMEOUT, kubeconfig_path
from hyscale_tasks.errors import HyscaleError

READ_RETRIES = 1  # an unanswered request is sent once more, so one stall costs at most 2 timeouts
# Transient failures (a reset connection, an unanswered request, 429 and 5xx answers: an etcd
# leader change, an overloaded or restarting API server) are retried with back-off, by urllib3
# under the official client, for every verb: the tool's writes are server-side applies (sending
# one twice does what sending it once does), deletes (a second one finds nothing) and the
# namespace create (a second one finds it). After the last try the API's own answer is the error.
# A refused connection is retried briefly: a cluster that is down should say so at once.
TRANSIENT_RETRIES = Retry(total=5, connect=2, read=READ_RETRIES, status=5, other=0,
                          backoff_factor=0.5, backoff_max=8,
                          status_forcelist=(429, 500, 502, 503, 504), allowed_methods=None,
                          raise_on_status=False, respect_retry_after_header=True)


class ClusterError(HyscaleError):
    """The cluster could not do what a stage asked of it."""


@dataclass(frozen=True)
class Cluster:
    api: client.ApiClient
    context: str  # the kubeconfig context, recorded so a context switch redeploys
    kubeconfig: Path


def current_context(path: Path | None = None) -> str:
    """The kubeconfig's current context name, read without touching the network."""
    path = path or kubeconfig_path()
    try:
        _, active = config.list_kube_config_contexts(config_file=str(path))
    except (ConfigException, OSError, TypeError):
        return ""
    return str(active.get("name", "")) if active else ""


def connect() -> Cluster:
    """A connection per kubeconfig, made once per process: every probe of a run shares it."""
    path = kubeconfig_path()
    key = (str(path), path.stat().st_mtime_ns if path.is_file() else 0)
    if key not in _CONNECTIONS:
        _CONNECTIONS[key] = _connect(path)
    return _CONNECTIONS[key]


_CONNECTIONS: dict[tuple[str, int], Cluster] = {}


def _connect(path: Path) -> Cluster:
    if not path.is_file():
        raise ClusterError(f"Cannot find kubeconfig(config) at {path}",
                           "set KUBECONFIG to your cluster's kubeconfig, or create "
                           "~/.kube/config.")
    settings = client.Configuration()
    client_files = endpoint.client_file_folder()
    try:
        config.load_kube_config(config_file=str(path), client_configuration=settings,
                                temp_file_path=str(client_files))
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        raise ClusterError(f"Kubeconfig {path} seems to be invalid: {exc}",
                           "check it with 'kubectl config view'.") from None
    context = current_context(path)
    with suppress(OSError):  # (only a later no-op's shortcut would be lost)
        endpoint.remember(path, context, settings, client_files)
    settings.retries = TRANSIENT_RETRIES
    api = client.ApiClient(configuration=settings)
    # The API server names the field manager of plain updates (a scale) after the User-Agent.
    api.user_agent = f"hyscale-tasks/{__version__}"
    # Every call gets a deadline, so an API server that stops answering fails the stage instead
    # of hanging it; a followed log stream passes its own, longer one.
    # (The client sends "no timeout" when a call names none, so the default goes in here.)
    rest: Any = api.rest_client
    send = rest.request

    def with_deadline(*args: Any, _request_timeout: Any = None, **kwargs: Any) -> Any:
        response = send(*args, _request_timeout=_request_timeout or (10, REQUEST_TIMEOUT), **kwargs)
        _check_kubernetes(response, path, api.configuration.host)
        return response

    rest.request = with_deadline
    return Cluster(api, context, path)


def _check_kubernetes(response: Any, kubeconfig: Path, server: str) -> None:
    """An API server answers JSON (or a log's text), never a web page: a kubeconfig that points
    at a web server would otherwise end in a traceback deep inside the client."""
    content_type = str(response.headers.get("Content-Type") or "")
    if content_type.lower().startswith("text/html"):
        raise ClusterError(
            f"{server} is not a Kubernetes API server: it answered with a web page "
            f"(HTTP {response.status}, {content_type.split(';')[0]}).",
            f"point the current context of {kubeconfig} at your cluster's API server "
            "('kubectl cluster-info' shows it), or set KUBECONFIG to the right file.")


@contextmanager
def api_errors(doing: str) -> Iterator[None]:
    """Turn API failures into :class:`ClusterError`; 404s pass through to the caller."""
    try:
        yield
    except ApiException as exc:
        if exc.status == 404:
            raise
        raise ClusterError(f"Kubernetes refused to {doing}: {describe(exc)}") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ClusterError(f"Cannot reach the cluster to {doing}: {_first_line(exc)}",
                           f"check that the cluster in {kubeconfig_path()} is up and "
                           "reachable; run the same command again once it is.") from None


def describe(exc: ApiException) -> str:
    """The Status message of an API error, as kubectl would print it."""
    return status_text(int(exc.status or 0), exc.body, exc.reason)


def status_text(status: int, body: Any, reason: str | None = None) -> str:
    """``HTTP <status> <reason>: <the Status object's message>``."""
    message = ""
    try:
        loaded: Any = json.loads(body or "{}")
        message = str(loaded.get("message") or "") if isinstance(loaded, dict) else ""
    except ValueError:
        message = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    if reason is None:
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    text = f"HTTP {status} {reason or ''}".strip()
    if status == 401:
        return f"{text}: Cluster authentication failed. Verify if cluster config is valid"
    return f"{text}: {message}" if message else text


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, ApiException) and exc.status == 404


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
