"""Replacing an object Kubernetes cannot change in place, and nothing else.

The API server refuses some changes outright: a Deployment's selector, a StatefulSet's volume
claim templates, a Service's cluster IP, the data of an immutable ConfigMap. The only way to
apply such a change is delete, then create. That is done only when the API server said so (a 422
naming an immutable field, never a transient error), only for kinds whose loss loses no data
(never a volume claim), and said out loud, since replacing a workload stops all its pods at once.

A signal (Ctrl-C, SIGTERM) that arrives between the delete and the create is held until the
create is sent: the cluster is left with the old object or the new one, never with neither.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import NotFoundError

from hyscale_tasks import lines
from hyscale_tasks.cluster.client import ClusterError, api_errors

DELETE_TIMEOUT = 120
# Kinds that hold no data of their own: a replaced one comes back the same (a StatefulSet's
# claims outlive it, and are adopted again by the new one).
REPLACEABLE = frozenset({"Deployment", "StatefulSet", "Service", "ConfigMap", "Secret",
                         "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy", "Job", "CronJob",
                         "DaemonSet", "ServiceAccount"})
# How the API server words "this cannot change in place" (field causes of a 422).
_IMMUTABLE = ("field is immutable", "may not change once set", "updates to statefulset spec",
              "is immutable after creation", "cannot be updated")
# A StatefulSet's refusal names only "spec": these are the fields it cannot change.
_STATEFULSET_FIXED = ("volumeClaimTemplates", "selector", "serviceName", "podManagementPolicy")
# What the user changed, in words, for the fields users change in specs.
_CHANGED = {"spec.selector": "its selector changed",
            "spec.volumeClaimTemplates": "its volume claim templates changed",
            "spec.clusterIP": "its cluster IP changed", "spec.clusterIPs": "its cluster IP changed",
            "data": "its data changed and it is immutable"}


def immutable_fields(exc: ApiException, live: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """The fields a 422 says cannot change in place; empty for any other refusal."""
    if exc.status != 422:
        return []
    try:
        details = json.loads(exc.body or "{}").get("details") or {}
    except ValueError:
        return []
    fields: list[str] = []
    for cause in details.get("causes") or []:
        message = str(cause.get("message") or "")
        if any(words in message for words in _IMMUTABLE):
            field = str(cause.get("field") or "spec")
            if "statefulset spec" in message:
                fields.extend(f"spec.{key}" for key in _STATEFULSET_FIXED
                              if not _holds((live.get("spec") or {}).get(key),
                                            (body.get("spec") or {}).get(key)))
            fields.append(field)
    return [field for field in dict.fromkeys(fields) if field != "spec" or len(fields) == 1]


def _holds(live: Any, wanted: Any) -> bool:
    """Does ``live`` hold every field ``wanted`` sets (the API server adds defaults)?"""
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(_holds(live.get(key), value)
                                              for key, value in wanted.items())
    if isinstance(wanted, list):
        return isinstance(live, list) and len(live) == len(wanted) and \
            all(_holds(a, b) for a, b in zip(live, wanted, strict=True))
    return wanted is None or live == wanted or str(live) == str(wanted)


def why(fields: list[str]) -> str:
    """``its selector changed``, or the fields by name."""
    said = [_CHANGED.get(field.split("[")[0], "") for field in fields]
    if all(said):
        return ", ".join(dict.fromkeys(said))
    return cannot_change(fields)


def cannot_change(fields: list[str], what: str = "") -> str:
    """``Kubernetes cannot change <fields> [of <what>] in place``."""
    return f"Kubernetes cannot change {', '.join(fields)}{f' of {what}' if what else ''} in place"


def replace(resource: Any, namespace: str, name: str, what: str,
            create: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Delete the object, wait until it is gone, and create it again (``create``)."""
    with _signals_held(what):
        delete_and_wait(resource, name, namespace, what)
        return create()


def delete_and_wait(resource: Any, name: str, namespace: str, what: str) -> bool:
    """Delete (its dependents first) and wait until it is gone; False when it was not there."""
    with api_errors(f"delete {what}"):
        try:
            resource.delete(name=name, namespace=namespace,
                            body={"propagationPolicy": "Foreground"})
        except NotFoundError:
            return False
        deadline = time.monotonic() + DELETE_TIMEOUT
        while time.monotonic() < deadline:
            try:
                resource.get(name=name, namespace=namespace)
            except NotFoundError:
                return True
            time.sleep(0.5)
    raise ClusterError(f"{what} was still there {DELETE_TIMEOUT}s after it was deleted: its pods "
                       "may still be stopping, or a finalizer holds it.",
                       "look at it with 'kubectl get -o yaml' (metadata.finalizers, its pods) "
                       "and run the deploy again once it is gone.")


@contextmanager
def _signals_held(what: str) -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver them. Signal handlers can
    only be set in the main thread; elsewhere (doit's thread executor) nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        if not held:
            lines.say(f"Stopping once {what} is created again")
        held.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for number in dict.fromkeys(held):
            signal.raise_signal(number)
