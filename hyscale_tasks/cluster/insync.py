"""Is a service still deployed as recorded? One listing per kind of the app's objects, shared by
every service checked in the same run; never a write.

Each applied object must still be there, carry the digest of its manifest, and be at the version
the deploy left it (:func:`~.objects.object_version`): so a deleted Service, or a ConfigMap or
Deployment edited by hand (`kubectl scale` included), counts as drift; the tool's own scale
records the new version. Kept apart from the deploy code so that a no-op run imports only what
these reads need.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyscale_tasks.cluster import endpoint
from hyscale_tasks.cluster.objects import ObjectRef, object_version
from hyscale_tasks.labels import APP_LABEL, MANIFEST_DIGEST
from hyscale_tasks.read_thread import ReadThread
from hyscale_tasks.stage_records import last_deploy, read_manifests, write_deploy

if TYPE_CHECKING:
    from hyscale_tasks.cluster.client import Cluster

# The kinds a service's manifests hold; others (a snippet's) are guessed the way kubectl would,
# and a wrong guess only costs a redeploy, never a wrong skip.
_PLURALS = {"Ingress": "ingresses", "NetworkPolicy": "networkpolicies",
            "HorizontalPodAutoscaler": "horizontalpodautoscalers"}

# (kubeconfig, namespace, app label, collection path) -> the listed objects by name
Key = tuple[str, str, str, str]
_LISTINGS: dict[Key, dict[str, dict[str, Any]]] = {}
# The reads through the kept endpoint, all in one thread on its one connection; those queued
# ahead of the checks that need them (:func:`read_ahead`) by key until a check takes them.
CLUSTER_READS = ReadThread("cluster-reads")
_QUEUED: dict[Key, Future[dict[str, dict[str, Any]]]] = {}
_AHEAD_FAILED = threading.Event()


class Reader:
    """GETs for the in-sync check: through the endpoint the official client resolved in an
    earlier run (:mod:`~hyscale_tasks.cluster.endpoint`), which spares a no-op run the client's
    import; through the client itself when there is none, or once the endpoint fails."""

    def __init__(self) -> None:
        self.kubeconfig = endpoint.kubeconfig_path()
        self._endpoint = endpoint.recall(self.kubeconfig)
        self._cluster: Cluster | None = None
        self.answered_at: float | None = None  # time.monotonic() of the last answer (a 404 too)

    def answered_within(self, seconds: float) -> bool:
        """Did the cluster answer a read of this process within the last ``seconds``?"""
        return self.answered_at is not None and time.monotonic() - self.answered_at < seconds

    @property
    def kept_endpoint(self) -> endpoint.Endpoint | None:
        """The endpoint kept from an earlier run, while it answers (None: reads go through the
        official client)."""
        return self._endpoint

    @property
    def context(self) -> str:
        return self._endpoint.context if self._endpoint is not None else self.cluster().context

    def cluster(self) -> Cluster:
        if self._cluster is None:
            # (imported here: importing the client is what the kept endpoint saves)
            from hyscale_tasks.cluster.client import connect

            self._cluster = connect()
        return self._cluster

    def get(self, path: str, query: list[tuple[str, str]] | None = None,
            **path_params: str) -> dict[str, Any] | None:
        kept = self._endpoint
        if kept is not None:
            try:
                found = CLUSTER_READS.call(
                    lambda: endpoint.get_json(kept, path, query, **path_params))
                self.answered_at = time.monotonic()
                return found
            except endpoint.EndpointUnusableError:
                # the client resolves the kubeconfig again (an exec plugin's new token), or
                # says why it cannot
                endpoint.forget(self.kubeconfig)
                self._endpoint = None
        from hyscale_tasks.cluster.reads import Reads  # (here: it imports the client)

        answer = Reads(self.cluster().api).get(path, f"read {path}", query, **path_params)
        self.answered_at = time.monotonic()
        return answer


_READERS: dict[tuple[str, int], Reader] = {}


def reader() -> Reader:
    """One reader per kubeconfig per process, as :func:`~.client.connect` keeps one connection:
    every service checked in a run shares it, and a kubeconfig rewritten since (the ``hyscale``
    command runs doit more than once per process) gets a new one."""
    path = endpoint.kubeconfig_path()
    key = (str(path), path.stat().st_mtime_ns if path.is_file() else 0)
    if key not in _READERS:
        _READERS[key] = Reader()
    return _READERS[key]


def drift(record: Path, namespace: str, rendered: dict[str, str]) -> str | None:
    """None when these manifests were deployed to this namespace and context, the rollout
    finished, and the cluster still holds every applied object as the deploy left it; else what
    differs, in a few words."""
    checkable = _checkable(record, namespace, rendered)
    if isinstance(checkable, str):
        return checkable
    cluster, app_label, objects = checkable
    for ref in objects:
        live = _find(cluster, namespace, app_label, ref)
        if live is None:
            return f"{ref.kind} {ref.name} is gone"
        if object_version(live) != ref.version or \
                ((live.get("metadata") or {}).get("annotations") or {}).get(MANIFEST_DIGEST) \
                != ref.digest:
            return f"{ref.kind} {ref.name} was changed in the cluster"
    return None


def first_read(record: Path, namespace: str, rendered: dict[str, str]) -> bool:
    """Make the first read :func:`drift` would make for this service now, kept for it: the
    cluster check before a build (:mod:`.reachable`) costs a no-op run no request of its own.
    False when drift would read nothing (no deploy recorded, the manifests changed...)."""
    checkable = _checkable(record, namespace, rendered)
    if isinstance(checkable, str):
        return False
    cluster, app_label, objects = checkable
    _find(cluster, namespace, app_label, objects[0])
    return True


def _checkable(record: Path, namespace: str,
               rendered: dict[str, str]) -> str | tuple[Reader, str, list[ObjectRef]]:
    """What differs without reading the cluster, or what to read: the reader, the app label
    and the applied objects."""
    data = last_deploy(record)
    if data is None:
        return "no deploy recorded"
    if data.get("namespace") != namespace:
        return f"last deployed to namespace {data.get('namespace')}"
    if data.get("rendered") != rendered:
        return "the manifests changed"
    if not data.get("ready"):
        return "the last rollout did not finish"
    cluster = reader()
    if data.get("context") != cluster.context:
        return f"last deployed with kube context {data.get('context')}"
    objects = [ObjectRef.from_json(item) for item in data.get("objects", [])]
    if not objects or not all(ref.version for ref in objects):
        return "recorded by an older version of the tool"  # apply once more to learn versions
    return cluster, str(data.get("appLabel") or ""), objects


def remember_versions(record: Path, cluster: Cluster, namespace: str,
                      objects: list[tuple[str, str]]) -> None:
    """Record the current version of these (kind, name) objects of the service: a change made
    on purpose (a scale, a load balancer's address) is not drift."""
    data = last_deploy(record)
    if data is None:
        return
    from hyscale_tasks.cluster.reads import Reads  # (here: it imports the client)

    reads = Reads(cluster.api)
    wanted = set(objects)
    for item in data.get("objects", []):
        ref = ObjectRef.from_json(item)
        if (ref.kind, ref.name) in wanted:
            live = reads.get(_path(ref) + "/{name}", f"read {ref.kind} {ref.name}",
                             namespace=namespace, name=ref.name)
            if live is not None:
                item["version"] = object_version(live)
    write_deploy(record, data)


def forget_listings() -> None:
    """After a deploy wrote to the cluster, what this process listed before is stale."""
    _LISTINGS.clear()
    _QUEUED.clear()  # (read before the writes, or during them)


def read_ahead(services: Iterable[tuple[Path, Path, str]]) -> None:
    """Queue in :data:`CLUSTER_READS`, in this order, every read :func:`drift` will make for
    these services (deploy record, manifests index, namespace) that has no answer yet, so that
    they are made while doit checks other tasks (:mod:`hyscale_tasks.read_thread`). Only through
    the kept endpoint: without one, a check reads through the official client when it asks."""
    cluster = reader()
    if cluster.kept_endpoint is None:
        return
    for record, index, namespace in services:
        try:
            rendered = read_manifests(index)["files"]
        except (OSError, ValueError, KeyError):
            continue
        checkable = _checkable(record, namespace, rendered)
        if isinstance(checkable, str):
            continue
        _, app_label, objects = checkable
        for ref in objects:
            key, read = _read_of(cluster, namespace, app_label, ref)
            if key not in _LISTINGS and key not in _QUEUED:
                _QUEUED[key] = CLUSTER_READS.submit(partial(_ahead, read, cluster.kept_endpoint))


def _ahead(read: Callable[[Get], dict[str, dict[str, Any]]],
           kept: endpoint.Endpoint) -> dict[str, dict[str, Any]]:
    """A queued read. Once one failed (a cluster that does not answer: each would wait for the
    connect timeout), the others fail at once; the check that needs one asks itself, and says
    why, or goes through the official client."""
    if _AHEAD_FAILED.is_set():
        raise endpoint.EndpointUnusableError("an earlier read ahead failed")
    try:
        return read(partial(endpoint.get_json, kept))
    except Exception:
        _AHEAD_FAILED.set()
        raise


Get = Callable[..., "dict[str, Any] | None"]


def _read_of(cluster: Reader, namespace: str, app_label: str, ref: ObjectRef,
             by_name: bool = False) -> tuple[Key, Callable[[Get], dict[str, dict[str, Any]]]]:
    """The key of the read that finds ``ref``, and the read itself (given a GET): a listing of
    its kind by the app's label, or the object by name (one shared by apps has no app label)."""
    path = _path(ref)
    if by_name or ref.shared:
        def one_object(get: Get) -> dict[str, dict[str, Any]]:
            found = get(path + "/{name}", namespace=namespace, name=ref.name)
            return {ref.name: found} if found is not None else {}
        return (str(cluster.kubeconfig), namespace, "", f"{path}/{ref.name}"), one_object
    query = [("labelSelector", f"{APP_LABEL}={app_label}")] if app_label else None

    def listing(get: Get) -> dict[str, dict[str, Any]]:
        listed = get(path, query, namespace=namespace) or {}
        return {str(item["metadata"]["name"]): item
                for item in listed.get("items") or [] if isinstance(item, dict)}
    return (str(cluster.kubeconfig), namespace, app_label, path), listing


def _answer(cluster: Reader, key: Key,
            read: Callable[[Get], dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The read's answer, once per run: queued ahead, or made now."""
    if key not in _LISTINGS:
        queued = _QUEUED.pop(key, None)
        answer = None
        if queued is not None:
            try:
                answer = queued.result()
                cluster.answered_at = time.monotonic()
            except Exception:  # it failed: asked now, the read says why or falls back
                pass
        _LISTINGS[key] = answer if answer is not None else read(cluster.get)
    return _LISTINGS[key]


def _find(cluster: Reader, namespace: str, app_label: str, ref: ObjectRef) -> dict[str, Any] | None:
    found = _answer(cluster, *_read_of(cluster, namespace, app_label, ref)).get(ref.name)
    if found is None and app_label and not ref.shared:
        # Not labelled as the app (a snippet may add such an object), or gone: ask by name.
        found = _answer(cluster, *_read_of(cluster, namespace, app_label, ref, by_name=True)) \
            .get(ref.name)
    return found


def _forget_queued_in_child() -> None:
    # A forked process (a doit worker) has no read thread: nothing queued will be answered.
    _QUEUED.clear()


os.register_at_fork(after_in_child=_forget_queued_in_child)


def _path(ref: ObjectRef) -> str:
    base = "/api/v1" if ref.api_version == "v1" else f"/apis/{ref.api_version}"
    return f"{base}/namespaces/{{namespace}}/{_plural(ref.kind)}"


def _plural(kind: str) -> str:
    if kind in _PLURALS:
        return _PLURALS[kind]
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return lower[:-1] + "ies"
    return lower + ("es" if lower.endswith(("s", "x", "ch", "sh")) else "s")
