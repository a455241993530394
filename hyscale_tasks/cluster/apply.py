"""Applying one service's manifests, HyScale's way (§7.2), with pruning and in-sync digests.

For each object, in dependency order: absent -> create (or, when a parallel deploy created it
first, as it does the shared pull secret, treat it as present); present -> a JSON patch from the
configuration we last applied to the new one; if the patch is refused -> delete and create.
Objects this service applied before and no longer generates are deleted, never its volume
claims. The namespace is created when missing and never deleted.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jsonpatch
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import (
    ConflictError,
    DynamicApiError,
    NotFoundError,
    ResourceNotFoundError,
)

from hyscale_tasks.cluster.client import Cluster, ClusterError, api_errors
from hyscale_tasks.cluster.objects import (
    APPLIED_KINDS,
    LAST_UPDATED,
    SERVICE_DIGEST,
    WORKLOAD_KINDS,
    ObjectRef,
    annotated,
    applied_kinds,
    apply_order,
    is_pull_secret,
    last_applied,
    manifest_digest,
    object_version,
    service_digest,
    without_stamp,
)

DELETE_TIMEOUT = 120
Report = Callable[[str], None]


def dynamic(cluster: Cluster) -> DynamicClient:
    with api_errors("read the API discovery"):
        return DynamicClient(cluster.api)


def ensure_namespace(client: DynamicClient, namespace: str, report: Report) -> None:
    namespaces = client.resources.get(api_version="v1", kind="Namespace")
    with api_errors(f"read namespace {namespace}"):
        try:
            namespaces.get(name=namespace)
            return
        except NotFoundError:
            pass
    report(f"Creating namespace {namespace}")
    with api_errors(f"create namespace {namespace}"):
        try:
            namespaces.create(body={"apiVersion": "v1", "kind": "Namespace",
                                    "metadata": {"name": namespace}})
        except DynamicApiError as exc:
            if exc.status != 409:  # created meanwhile by someone else: fine
                raise


def _resource(client: DynamicClient, manifest: dict[str, Any]) -> Any:
    try:
        return client.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
    except ResourceNotFoundError:
        raise ClusterError(
            f"The cluster does not serve {manifest['kind']} ({manifest['apiVersion']}), needed by "
            f"{manifest['kind']} {manifest['metadata']['name']}.\n  fix: install what provides "
            "it (e.g. Istio for Gateway/VirtualService), or remove it from the spec.") from None


def apply_service(client: DynamicClient, namespace: str, manifests: list[dict[str, Any]],
                  previous: list[ObjectRef], report: Report) -> list[ObjectRef]:
    """Apply every manifest and prune what is gone; returns what is now applied."""
    kinds = applied_kinds(manifests)
    whole = service_digest(manifests)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    applied: list[ObjectRef] = []
    for manifest in apply_order(manifests):
        digest = manifest_digest(manifest)
        extra = {LAST_UPDATED: stamp}
        if manifest["kind"] in WORKLOAD_KINDS:
            extra.update({APPLIED_KINDS: kinds, SERVICE_DIGEST: whole})
        body = annotated(manifest, digest=digest, extra=extra)
        report(f"Applying {manifest['kind']} {manifest['metadata']['name']}")
        done, live = apply_object(client, _resource(client, manifest), namespace, body, report)
        if manifest["kind"] == "StatefulSet" and done == "patched":
            _restart_unready_pods(client, namespace, manifest, report)
        applied.append(ObjectRef(manifest["kind"], manifest["apiVersion"],
                                 manifest["metadata"]["name"], digest, object_version(live),
                                 shared=is_pull_secret(manifest)))
    current = {(ref.kind, ref.name) for ref in applied}
    for stale in previous:
        # Never a volume claim (data), nor an image pull secret: other services of the app use
        # it too (HyScale leaves it, as it lacks the service label).
        if (stale.kind, stale.name) not in current and stale.kind != "PersistentVolumeClaim" \
                and not stale.shared:
            report(f"Deleting stale {stale.kind} {stale.name}")
            delete_object(client, stale, namespace)
    return applied


def apply_object(client: DynamicClient, resource: Any, namespace: str, body: dict[str, Any],
                 report: Report | None = None) -> tuple[str, dict[str, Any]]:
    """Create, patch or replace; returns which of "created", "patched", "unchanged",
    "replaced" it did, and the object as the cluster now holds it."""
    name = body["metadata"]["name"]
    what = f"{body['kind']} {name}"
    live = _read(resource, name, namespace, what)
    if live is None:
        with api_errors(f"create {what}"):
            try:
                return "created", resource.create(body=body, namespace=namespace).to_dict()
            except ConflictError:
                # Created since we looked, typically by a parallel deploy of a sibling service
                # (`doit -n 2`): the image pull secret is shared. Bring that one up to date.
                pass
        live = _read(resource, name, namespace, what)
        if live is None:
            raise ClusterError(f"{what} was created and deleted by someone else while this "
                               "deploy applied it.\n  fix: run the deploy again.")
    view = managed_view(live, body, last_applied(live) or {})
    if not json_patch(without_stamp(view), without_stamp(body)):
        # Only the last-updated time would change: the object is as the manifests say, and
        # writing it would only move its resourceVersion under the other services that share
        # it (the pull secret), making their deploys look stale.
        return "unchanged", live
    operations = json_patch(view, body)
    try:
        with api_errors(f"patch {what}"):
            patched = resource.patch(body=operations, name=name, namespace=namespace,
                                     content_type="application/json-patch+json")
        return "patched", patched.to_dict()
    except (ClusterError, DynamicApiError, ApiException) as exc:
        # HyScale's fallback: the object cannot take the patch (e.g. a StatefulSet's volume
        # claim templates are immutable: 422), so it is replaced whole. Say so: replacing a
        # workload takes all its pods down at once.
        refused = str(exc).splitlines()[0] if isinstance(exc, ClusterError) else \
            f"HTTP {exc.status} to the patch"  # a 404: deleted since it was read
        if report is not None:
            report(f"Replacing {what} (delete, then create): {refused}")
    _delete_and_wait(resource, name, namespace, what)
    with api_errors(f"re-create {what}"):
        return "replaced", resource.create(body=body, namespace=namespace).to_dict()


def _read(resource: Any, name: str, namespace: str, what: str) -> dict[str, Any] | None:
    with api_errors(f"read {what}"):
        try:
            live: dict[str, Any] = resource.get(name=name, namespace=namespace).to_dict()
            return live
        except NotFoundError:
            return None


def managed_view(live: Any, body: Any, last: Any) -> Any:
    """The live object restricted to what the tool manages: the fields of ``body`` and of the
    configuration it applied last. Diffing that against ``body`` both puts back what someone
    changed by hand and removes what the service no longer sets, and leaves alone what the
    cluster adds (status, defaults, other tools' annotations), also inside list items (a
    container's defaulted terminationMessagePath) as long as the list kept its length.

    The API server drops a field whose value is empty or zero where its type says
    ``omitempty`` (a ConfigMap's ``binaryData: {}``, which HyScale always writes, a volume
    mount's ``readOnly: false``, an agent's ``volumeMounts: []``): such a value in the manifest,
    absent from the live object, is what the cluster holds, not a difference. Patching it in
    again would be a write on every deploy that changes nothing (and for a StatefulSet, a
    "patched" that restarts its unready pods)."""
    if isinstance(live, list) and isinstance(body, list) and len(live) == len(body):
        lasts = last if isinstance(last, list) and len(last) == len(body) else [None] * len(body)
        return [managed_view(item, wanted, before)
                for item, wanted, before in zip(live, body, lasts, strict=True)]
    if not (isinstance(live, dict) and isinstance(body, dict)):
        return live
    last = last if isinstance(last, dict) else {}
    view = {}
    for key in dict.fromkeys([*body, *last]):
        if key in live:
            view[key] = managed_view(live[key], body.get(key), last.get(key)) \
                if key in body else live[key]
        elif key in body and _zero(body[key]):
            view[key] = body[key]
    return view


def _zero(value: Any) -> bool:
    """Empty or zero: what Go's ``omitempty`` leaves out of the object the API server returns."""
    return value is None or (isinstance(value, dict | list | str | bool | int | float) and not value)


def json_patch(before: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    """RFC 6902 operations from ``before`` to ``body``."""
    operations: list[dict[str, Any]] = jsonpatch.make_patch(before, body).patch
    return operations


def _restart_unready_pods(client: DynamicClient, namespace: str, manifest: dict[str, Any],
                          report: Report) -> None:
    """HyScale §7.2 step 6: a StatefulSet replaces its pods one by one, and never a pod that is
    not ready, so a crashing pod would keep the old spec forever. Delete those pods; the
    StatefulSet re-creates them from the patched template."""
    pods = client.resources.get(api_version="v1", kind="Pod")
    labels = manifest["spec"]["selector"]["matchLabels"]
    selector = ",".join(f"{key}={value}" for key, value in labels.items())
    with api_errors(f"list the pods of {manifest['metadata']['name']}"):
        items = pods.get(namespace=namespace, label_selector=selector).items
    for pod in items:
        statuses = (pod.status or {}).get("containerStatuses") or []
        if pod.status and pod.status.get("phase") == "Running" and statuses and \
                all(status.get("ready") for status in statuses):
            continue
        report(f"Restarting pod {pod.metadata.name}, which is not ready, with the new spec")
        with api_errors(f"delete pod {pod.metadata.name}"), contextlib.suppress(NotFoundError):
            pods.delete(name=pod.metadata.name, namespace=namespace)


def delete_object(client: DynamicClient, ref: ObjectRef, namespace: str) -> bool:
    """Delete and wait until it is gone; False when it was not there."""
    try:
        resource = client.resources.get(api_version=ref.api_version, kind=ref.kind)
    except ResourceNotFoundError:
        return False
    return _delete_and_wait(resource, ref.name, namespace, f"{ref.kind} {ref.name}")


def _delete_and_wait(resource: Any, name: str, namespace: str, what: str) -> bool:
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
    raise ClusterError(f"{what} was not deleted within {DELETE_TIMEOUT}s.\n"
                       "  fix: look for finalizers on it (kubectl get -o yaml) and run again.")

