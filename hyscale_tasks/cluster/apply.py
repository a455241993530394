"""Applying one service's manifests: server-side apply, ownership, pruning, in-sync digests.

Each object is sent whole with server-side apply under the tool's field manager (what kubectl,
Helm 4 and Flux do): the API server creates it or merges it, puts back what someone changed by
hand in the fields the tool sets, removes the fields the spec no longer sets, and leaves alone
what others own (an autoscaler's replicas, a webhook's additions). Nothing of the manifest is
copied into annotations, so no size limit but Kubernetes' own applies.

Before anything is written every object is read once: one that carries another app's or
service's labels stops the deploy (the user's fix, not a takeover), and one that an older
version of the tool applied is handed to the field manager (:mod:`.takeover`). Transient API
errors are retried by the client (:mod:`.client`); a refusal is an error, and only a change the
API server says cannot be made in place replaces the object (:mod:`.replace`).

Afterwards, what the service applied before and no longer generates is deleted: the objects
labelled as this service's in the cluster, and those the deploy record lists (so an empty
``HYSCALE_HOME`` prunes the same), never a volume claim or the shared image pull secret. The
namespace is created when missing and never deleted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import (
    DynamicApiError,
    NotFoundError,
    ResourceNotFoundError,
)

from hyscale_tasks.cluster.client import Cluster, ClusterError, api_errors, describe
from hyscale_tasks.cluster.discovery import dynamic_client
from hyscale_tasks.cluster.objects import (
    WORKLOAD_KINDS,
    ObjectRef,
    annotated,
    applied_kinds,
    apply_order,
    is_pull_secret,
    legacy_applied,
    manifest_digest,
    object_version,
    service_digest,
)
from hyscale_tasks.cluster.replace import (
    REPLACEABLE,
    cannot_change,
    delete_and_wait,
    immutable_fields,
    replace,
    why,
)
from hyscale_tasks.cluster.takeover import takeover_patch
from hyscale_tasks.labels import (
    APP_LABEL,
    APPLIED_KINDS,
    LAST_UPDATED,
    MANIFEST_DIGEST,
    SERVICE_DIGEST,
    SERVICE_LABEL,
)

FIELD_MANAGER = "hyscale"
# What a service's manifests may hold, listed to find what a spec no longer generates.
_PRUNED_KINDS = [("ConfigMap", "v1"), ("Secret", "v1"), ("Service", "v1"),
                 ("Deployment", "apps/v1"), ("StatefulSet", "apps/v1"),
                 ("HorizontalPodAutoscaler", "autoscaling/v2"),
                 ("Ingress", "networking.k8s.io/v1"), ("NetworkPolicy", "networking.k8s.io/v1")]
Report = Callable[[str], None]


def dynamic(cluster: Cluster) -> DynamicClient:
    with api_errors("read the API discovery"):
        return dynamic_client(cluster.api)


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
            f"{manifest['kind']} {manifest['metadata']['name']}.", "install what provides "
            "it (e.g. Istio for Gateway/VirtualService), or remove it from the spec.") from None


def apply_service(client: DynamicClient, namespace: str, manifests: list[dict[str, Any]],
                  previous: list[ObjectRef], report: Report) -> list[ObjectRef]:
    """Apply every manifest and prune what is gone; returns what is now applied."""
    ordered = apply_order(manifests)
    resources = [_resource(client, manifest) for manifest in ordered]
    with ThreadPoolExecutor(max_workers=1) as listings:
        # The prune's listings run while the objects are read and applied: what they find
        # that this apply creates is kept anyway, as applied.
        labelled = _labelled(client, namespace, ordered, listings)
        applied, written = _apply(client, namespace, manifests, ordered, resources, previous,
                                  report)
        written += _prune(client, namespace, applied, previous, labelled(), report)
    if not written:
        # A CI runner without records meets what an earlier run deployed: say why nothing moved.
        report("The cluster already runs these manifests: nothing was written")
    return applied


def _apply(client: DynamicClient, namespace: str, manifests: list[dict[str, Any]],
           ordered: list[dict[str, Any]], resources: list[Any], previous: list[ObjectRef],
           report: Report) -> tuple[list[ObjectRef], int]:
    """Apply ``ordered`` (``manifests`` in apply order); returns what is applied and how many
    objects were written."""
    lives = [_read(resource, manifest["metadata"]["name"], namespace,
                   f"{manifest['kind']} {manifest['metadata']['name']}")
             for resource, manifest in zip(resources, ordered, strict=True)]
    for manifest, live in zip(ordered, lives, strict=True):
        _check_owner(manifest, live, namespace)
    kinds = applied_kinds(manifests)
    whole = service_digest(manifests)
    autoscaled = any(m.get("kind") == "HorizontalPodAutoscaler" for m in manifests)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    recorded = {(ref.kind, ref.name): ref for ref in previous}
    applied: list[ObjectRef] = []
    written = 0
    for manifest, resource, live in zip(ordered, resources, lives, strict=True):
        digest = manifest_digest(manifest)
        extra = {LAST_UPDATED: stamp}
        if manifest["kind"] in WORKLOAD_KINDS:
            extra.update({APPLIED_KINDS: kinds, SERVICE_DIGEST: whole})
        body = annotated(manifest, digest=digest, extra=_keep_stamp(live, extra, digest))
        if autoscaled and live is not None and manifest["kind"] in WORKLOAD_KINDS:
            # The autoscaler owns the replica count once the workload exists.
            body.setdefault("spec", {})["replicas"] = (live.get("spec") or {}).get("replicas")
        report(f"Applying {manifest['kind']} {manifest['metadata']['name']}")
        known = recorded.get((manifest["kind"], manifest["metadata"]["name"]))
        if live is not None and known is not None and known.digest == digest and \
                known.version == object_version(live) and not legacy_applied(live):
            done, now = "unchanged", live  # as this tool left it, from these same manifests
        else:
            done, now = apply_object(resource, namespace, body, live, report)
        if manifest["kind"] == "StatefulSet" and done == "changed":
            _restart_unready_pods(client, namespace, manifest, report)
        written += done != "unchanged"
        applied.append(ObjectRef(manifest["kind"], manifest["apiVersion"],
                                 manifest["metadata"]["name"], digest, object_version(now),
                                 shared=is_pull_secret(manifest)))
    return applied, written


def _keep_stamp(live: dict[str, Any] | None, extra: dict[str, str], digest: str) -> dict[str, str]:
    """Keep the live object's last-updated time when nothing else of ours changes: the apply
    then writes nothing (no new resourceVersion under the services that share the object)."""
    annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
    if LAST_UPDATED in annotations and annotations.get(MANIFEST_DIGEST) == digest and \
            all(annotations.get(key) == value for key, value in extra.items()
                if key != LAST_UPDATED):
        return {**extra, LAST_UPDATED: str(annotations[LAST_UPDATED])}
    return extra


def _check_owner(manifest: dict[str, Any], live: dict[str, Any] | None, namespace: str) -> None:
    """Refuse, before anything is written, to change an object of another app or service."""
    if live is None or is_pull_secret(manifest):
        return
    ours = (manifest.get("metadata") or {}).get("labels") or {}
    theirs = (live.get("metadata") or {}).get("labels") or {}
    clash = [key for key in (APP_LABEL, SERVICE_LABEL)
             if key in ours and key in theirs and ours[key] != theirs[key]]
    if clash:
        kind, name = manifest["kind"], manifest["metadata"]["name"]
        raise ClusterError(
            f"{kind} {name} in namespace {namespace} belongs to service "
            f"{theirs.get(SERVICE_LABEL, '?')} of app {theirs.get(APP_LABEL, '?')}, not to service "
            f"{ours.get(SERVICE_LABEL, '?')} of app {ours.get(APP_LABEL, '?')}; nothing was "
            "changed.", "deploy to another namespace (-n, or namespace=), or rename the "
            "service; or undeploy the other one first.")


def apply_object(resource: Any, namespace: str, body: dict[str, Any], live: dict[str, Any] | None,
                 report: Report) -> tuple[str, dict[str, Any]]:
    """Server-side apply ``body``; returns which of "created", "changed", "unchanged",
    "replaced" happened, and the object as the cluster now holds it."""
    name = body["metadata"]["name"]
    what = f"{body['kind']} {name}"
    if live is not None and legacy_applied(live):
        with api_errors(f"take over {what} from the tool's earlier version"):
            live = resource.patch(body=takeover_patch(live, FIELD_MANAGER), name=name,
                                  namespace=namespace,
                                  content_type="application/json-patch+json").to_dict()
    elif live is not None and _ours(live).get(MANIFEST_DIGEST) == _ours(body)[MANIFEST_DIGEST]:
        # Applied from these same manifests, maybe by another machine (no record here): a dry
        # run tells whether anyone changed the fields the tool sets, without writing.
        try:
            if _server_side_apply(resource, namespace, body, what, dry_run=True) == live:
                return "unchanged", live
        except InvalidError:
            pass  # the real apply says why
    try:
        now = _server_side_apply(resource, namespace, body, what)
    except InvalidError as refusal:
        exc = refusal.error
        fields = immutable_fields(exc, live or {}, body)
        if not fields or live is None:
            raise ClusterError(f"Kubernetes refused to apply {what}: {describe(exc)}") from None
        if body["kind"] not in REPLACEABLE:
            raise ClusterError(
                f"{cannot_change(fields, what)}, and replacing it would lose its data: "
                f"{describe(exc)}", "put the spec back, or delete "
                f"{what} yourself (kubectl delete) once its data is safe, and deploy again.") \
                from None
        report(f"{what} replaced: {why(fields)}")
        return "replaced", replace(resource, namespace, name, what,
                                   lambda: _server_side_apply(resource, namespace, body, what))
    if live is None:
        return "created", now
    version = (now.get("metadata") or {}).get("resourceVersion")
    return ("unchanged" if version == live["metadata"].get("resourceVersion") else "changed"), now


class InvalidError(Exception):
    """The API server refused the object as invalid (422): a mistake, or a change that cannot
    be made in place."""

    def __init__(self, error: DynamicApiError) -> None:
        super().__init__(describe(error))
        self.error = error


def _ours(obj: dict[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def _server_side_apply(resource: Any, namespace: str, body: dict[str, Any], what: str,
                       dry_run: bool = False) -> dict[str, Any]:
    """The apply; a refusal comes back as :class:`InvalidError` (the caller tells a change that
    needs a replacement from a mistake), any other failure as a ClusterError."""
    extra = {"dry_run": "All"} if dry_run else {}
    try:
        with api_errors(f"apply {what}"):
            try:
                applied: dict[str, Any] = resource.server_side_apply(
                    body=body, namespace=namespace, field_manager=FIELD_MANAGER,
                    force_conflicts=True, **extra).to_dict()
                return applied
            except DynamicApiError as exc:
                if exc.status == 422:
                    raise InvalidError(exc) from None
                raise
    except NotFoundError:
        raise ClusterError(f"Kubernetes refused to apply {what}: its namespace {namespace} is "
                           "gone.", "run the deploy again.") from None


def _read(resource: Any, name: str, namespace: str, what: str) -> dict[str, Any] | None:
    with api_errors(f"read {what}"):
        try:
            live: dict[str, Any] = resource.get(name=name, namespace=namespace).to_dict()
            return live
        except NotFoundError:
            return None


def _prune(client: DynamicClient, namespace: str, applied: list[ObjectRef],
           previous: list[ObjectRef], labelled: dict[tuple[str, str], str],
           report: Report) -> int:
    """Delete what this service applied before and no longer generates (module doc): what its
    last deploy recorded and what carries its labels (``labelled``); returns how many objects
    were deleted."""
    current = {(ref.kind, ref.name) for ref in applied}
    stale = {(ref.kind, ref.name): ref.api_version for ref in previous
             if not ref.shared and ref.kind != "PersistentVolumeClaim"}
    for key, api_version in labelled.items():
        stale.setdefault(key, api_version)
    deleted = 0
    for (kind, name), api_version in stale.items():
        if (kind, name) not in current:
            report(f"Deleting stale {kind} {name}")
            deleted += delete_object(client, ObjectRef(kind, api_version, name, ""), namespace)
    return deleted


def _labelled(client: DynamicClient, namespace: str, manifests: list[dict[str, Any]],
              pool: ThreadPoolExecutor) -> Callable[[], dict[tuple[str, str], str]]:
    """Start listing the objects of each of :data:`_PRUNED_KINDS` that carry the service's
    labels, in ``pool``; the function returned waits for them and gives (kind, name) ->
    apiVersion. One listing per kind, on every deploy: made before the applies, they added a
    tenth of a second to each deploy, and in a thread each (a TLS handshake each) ~40 ms; one
    thread, on one connection, while the objects are read and applied, ends as the applies do."""
    labels = next(((m.get("metadata") or {}).get("labels") or {} for m in manifests
                   if m.get("kind") in WORKLOAD_KINDS), {})
    if APP_LABEL not in labels or SERVICE_LABEL not in labels:
        return dict
    selector = f"{APP_LABEL}={labels[APP_LABEL]},{SERVICE_LABEL}={labels[SERVICE_LABEL]}"
    resources = []
    for kind, api_version in _PRUNED_KINDS:  # (found here: the threads only send the listings)
        try:
            resources.append(client.resources.get(api_version=api_version, kind=kind))
        except ResourceNotFoundError:
            resources.append(None)  # a kind this cluster does not serve holds nothing of ours

    def names(resource: Any) -> list[str]:
        if resource is None:
            return []
        with api_errors(f"list the {resource.kind}s of the service"):
            items = resource.get(namespace=namespace, label_selector=selector).items
        return [str(item.metadata.name) for item in items
                if not (resource.kind == "Secret" and item.type == "kubernetes.io/dockerconfigjson")]

    listed = [pool.submit(names, resource) for resource in resources]

    def found() -> dict[tuple[str, str], str]:
        return {(kind, name): api_version
                for (kind, api_version), listing in zip(_PRUNED_KINDS, listed, strict=True)
                for name in listing.result()}
    return found


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
    return delete_and_wait(resource, ref.name, namespace, f"{ref.kind} {ref.name}")
