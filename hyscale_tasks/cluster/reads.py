"""The reads of a deploy's rollout wait, diagnosis and address, as plain JSON.

The official client's typed API classes (``CoreV1Api``, ``AppsV1Api``) build their pydantic
models on first use: ~0.7 s per process here, more than a whole rollout wait's requests, and paid
by every deploy, each a process of its own under ``doit -n 4``. These reads go through the same
``ApiClient`` (its kubeconfig, credentials, retries and deadlines: :mod:`.client`) but take the
answer as JSON, and hand it out as :class:`Live` objects that answer the typed models' attribute
names (``pod.status.container_statuses``), so the code that judges pods and events is written
once, in the client's terms, whichever way they were read.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from kubernetes import client

from hyscale_tasks.cluster.client import ClusterError, api_errors, status_text
from hyscale_tasks.cluster.endpoint import REQUEST_TIMEOUT

# The JSON fields that hold a time, which the typed models give as datetime.
_TIMES = {"creationTimestamp", "deletionTimestamp", "firstTimestamp", "lastTimestamp",
          "eventTime", "lastObservedTime", "lastTransitionTime", "lastProbeTime",
          "lastUpdateTime", "startedAt", "finishedAt", "startTime"}
WORKLOAD_PATHS = {"Deployment": "/apis/apps/v1/namespaces/{namespace}/deployments",
                  "StatefulSet": "/apis/apps/v1/namespaces/{namespace}/statefulsets"}


class Live(dict[str, Any]):
    """An object as the API server sent it, read through the typed models' attribute names:
    ``status.ready_replicas`` is ``status["readyReplicas"]`` (and ``spec.cluster_ip`` is
    ``"clusterIP"``); a field the object does not have is None, as in the models. Maps such as
    labels stay dicts (``.get``); no Kubernetes field read here shares a name with a dict
    method."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        key = _json_name(name)
        if key not in self:
            # the JSON names of acronyms (hostIP, podIPs) are not the camel case of the
            # models' names (host_ip, pod_i_ps)
            folded = name.replace("_", "").lower()
            key = next((k for k in self if k.lower() == folded), key)
        return _live(key, self.get(key))


@cache
def _json_name(name: str) -> str:
    first, *rest = name.lstrip("_").split("_")  # the models' ``_exec`` is ``exec``
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _live(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return Live(value)
    if isinstance(value, list):
        return [_live(key, item) for item in value]
    if key in _TIMES and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


class ReadRefusedError(ClusterError):
    """The API server answered a read with an error (its HTTP status in ``status``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Reads:
    """GETs through the official ``ApiClient``, answered as :class:`Live` objects."""

    def __init__(self, api: client.ApiClient) -> None:
        self.api = api

    def get(self, path: str, doing: str, query: list[tuple[str, str]] | None = None,
            **path_params: str) -> Live | None:
        """The object at ``path``, None when there is none (404)."""
        response = self._send(path, doing, query, path_params, REQUEST_TIMEOUT)
        response.read()
        if response.status == 404:
            return None
        if response.status >= 400:
            raise ReadRefusedError(f"Kubernetes refused to {doing}: "
                              f"{status_text(response.status, response.data)}", response.status)
        loaded = json.loads(response.data or b"{}")
        return Live(loaded) if isinstance(loaded, dict) else None

    def items(self, path: str, doing: str, query: list[tuple[str, str]] | None = None,
              **path_params: str) -> list[Live]:
        listed = self.get(path, doing, query, **path_params)
        return [Live(item) for item in (listed.get("items") or [] if listed else [])]

    def text(self, path: str, doing: str, query: list[tuple[str, str]],
             **path_params: str) -> str:
        """A text answer (a container's log); "" when there is none."""
        response = self._send(path, doing, query, path_params, REQUEST_TIMEOUT)
        response.read()
        if response.status >= 400:
            return ""
        return bytes(response.data or b"").decode("utf-8", "replace")

    def until_changed(self, path: str, doing: str, name: str, version: str,
                      seconds: int, **path_params: str) -> Live | None:
        """Return once the object ``name`` in the collection ``path`` changes after ``version``
        (a watch's first event): the object as changed, so the caller need not read it again.
        None after ``seconds`` without a change, and for an ERROR event (the version is too
        old to watch from) or a deletion: the caller reads the object anew."""
        query = [("watch", "1"), ("fieldSelector", f"metadata.name={name}"),
                 ("resourceVersion", version), ("timeoutSeconds", str(seconds)),
                 ("allowWatchBookmarks", "false")]
        response = self._send(path, doing, query, path_params, (10, seconds + 10))
        raw = response.response
        line = b""
        with api_errors(doing):
            try:
                if response.status < 400:
                    # the server ends the stream after ``seconds``; each event is one line
                    for chunk in raw.stream(4096):
                        line += chunk
                        if b"\n" in line:
                            break
            finally:
                # a stream read to its end keeps its connection for the next read
                raw.close() if line or response.status >= 400 else raw.release_conn()
        try:
            event = json.loads(line.split(b"\n", 1)[0]) if line else {}
        except ValueError:
            return None
        changed = event.get("object") if event.get("type") in ("ADDED", "MODIFIED") else None
        return Live(changed) if isinstance(changed, dict) else None

    def _send(self, path: str, doing: str, query: list[tuple[str, str]] | None,
              path_params: dict[str, str], deadline: Any) -> Any:
        method, url, headers, body, post = self.api.param_serialize(
            "GET", path, path_params=path_params, query_params=query or [],
            header_params={"Accept": "application/json, */*"}, auth_settings=["BearerToken"])
        with api_errors(doing):
            response = self.api.call_api(method, url, headers, body, post,
                                         _request_timeout=deadline)
        return response
