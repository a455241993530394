"""Kubernetes semantics on top of the store: what a request does, independent of HTTP.

The HTTP server, the controllers and the kubelets all go through ``Api``: a controller is just
another client, so its writes get the same defaulting, validation, resourceVersion, generation and
watch events as a user's. Every read-check-write runs under the store lock.

What a real apiserver does and this class does too:
* server-set ``uid``, ``resourceVersion``, ``generation`` (bumped only when something other than
  metadata and status changes), ``creationTimestamp``; status ignored on create and on writes to the
  main resource, writable only through ``/status``;
* 409 AlreadyExists on create, 409 Conflict on a stale ``metadata.resourceVersion``; 422 Invalid with
  field causes; 404 with ``namespaces "x" not found`` when the namespace is missing, 403 when it is
  terminating;
* an update that changes nothing writes nothing (same resourceVersion, no watch event);
* deletion with finalizers, ``propagationPolicy`` (Foreground/Background/Orphan) and graceful pod
  deletion: the object gets a ``deletionTimestamp`` and disappears once the garbage collector,
  kubelet or namespace controller has finished;
* CustomResourceDefinitions add and remove served types.
"""

from __future__ import annotations

import copy
import datetime as _dt
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import admission
from .clock import now, stamp
from .crds import crd_status, crd_types
from .errors import ApiError, Cause, already_exists, bad_request, conflict, forbidden, invalid, not_found
from .patch import apply_patch
from .resources import Registry, ResourceType
from .selectors import parse_field_selector, parse_label_selector
from .store import Obj, Store

NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(NAME_CHARS) for _ in range(n))


# objects the apiserver returns in full when a DELETE removes them at once (ReturnDeletedObject)
RETURN_DELETED_OBJECT = {("", "pods"), ("", "services")}
SERVER_METADATA = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
)


@dataclass
class DeleteOptions:
    propagation: str | None = None  # Foreground, Background, Orphan
    grace_seconds: int | None = None
    uid: str | None = None  # preconditions
    resource_version: str | None = None
    dry_run: bool = False
    orphan_dependents: bool | None = None

    @classmethod
    def parse(cls, body: Any, query: dict[str, str]) -> DeleteOptions:
        body = body if isinstance(body, dict) else {}
        pre = body.get("preconditions") or {}
        grace = query.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
        orphan = query.get("orphanDependents", body.get("orphanDependents"))
        return cls(
            propagation=query.get("propagationPolicy") or body.get("propagationPolicy"),
            grace_seconds=int(grace) if grace is not None else None,
            uid=pre.get("uid"),
            resource_version=pre.get("resourceVersion"),
            dry_run=bool(query.get("dryRun") or body.get("dryRun")),
            orphan_dependents=(str(orphan).lower() == "true") if orphan is not None else None,
        )


def spec_part(obj: Obj) -> Obj:
    """What ``metadata.generation`` tracks: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


def _without_rv(obj: Obj) -> Obj:
    out = copy.copy(obj)
    out["metadata"] = {k: v for k, v in obj.get("metadata", {}).items() if k != "resourceVersion"}
    return out


class Api:
    def __init__(self, store: Store, registry: Registry) -> None:
        self.store = store
        self.registry = registry

    # ----- lookups ---------------------------------------------------------------------------------

    def rt(self, api_version: str, kind: str) -> ResourceType:
        rt = self.registry.by_api_version_kind(api_version, kind)
        if rt is None:
            raise KeyError(f"{api_version} {kind} is not served")
        return rt

    def output(self, rt: ResourceType, obj: Obj) -> Obj:
        """The object as the client sees it: kind and apiVersion of the version it asked for."""
        return {
            "apiVersion": rt.api_version,
            "kind": rt.kind,
            **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")},
        }

    def _ns(self, rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""

    def _current(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        obj = self.store.get(rt.key, self._ns(rt, namespace), name)
        if obj is None:
            raise not_found(rt.group, rt.plural, name)
        return obj

    # ----- reads -----------------------------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        return self.output(rt, self._current(rt, namespace, name))

    def find(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        return self.store.get(rt.key, self._ns(rt, namespace), name)

    def list_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        cont: str | None = None,
    ) -> Obj:
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt.group, rt.plural)
        with self.store.lock:
            rv = self.store.resource_version
            items = [
                o
                # No namespace on a namespaced kind lists every namespace (GET /apis/.../deployments).
                for o in self.store.select(rt.key, namespace if rt.namespaced and namespace else None)
                if labels.matches(o["metadata"].get("labels")) and fields.matches(o)
            ]
        meta: Obj = {"resourceVersion": str(rv)}
        if cont:
            start = _decode_continue(cont)
            items = [o for o in items if _ident(o) > start]
        if limit and limit > 0 and len(items) > limit:
            meta["continue"] = _encode_continue(_ident(items[limit - 1]))
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        if rt.builtin:  # typed lists carry kind/apiVersion on the list only, as the apiserver writes them
            items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in items]
        else:
            items = [self.output(rt, o) for o in items]
        return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta, "items": items}

    def items(self, rt: ResourceType, namespace: str | None = None) -> list[Obj]:
        """All stored objects of a type (controllers' view: no selectors, no copies of the list)."""
        return self.store.select(rt.key, namespace if rt.namespaced else None)

    # ----- create ----------------------------------------------------------------------------------

    def create(self, rt: ResourceType, namespace: str | None, body: Any, dry_run: bool = False) -> Obj:
        obj = self._decode_body(rt, body)
        meta = obj["metadata"]
        self._check_body_namespace(rt, namespace, meta)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = f"{meta['generateName']}{random_suffix()}"
        name = meta.get("name") or ""
        if not name:
            raise invalid(
                rt.group,
                rt.kind,
                "",
                [
                    Cause(
                        "metadata.name",
                        "Required value: name or generateName is required",
                        "FieldValueRequired",
                    )
                ],
            )
        with self.store.lock:
            if rt.namespaced:
                self._check_namespace_accepts(meta["namespace"])
            if self.store.get(rt.key, self._ns(rt, namespace), name) is not None:
                raise already_exists(rt.group, rt.plural, name)
            for key in (
                "resourceVersion",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "managedFields",
                "selfLink",
            ):
                meta.pop(key, None)
            meta["uid"] = _uid()
            meta["creationTimestamp"] = stamp()
            if rt.generation:
                meta["generation"] = 1
            else:
                meta.pop("generation", None)
            admission.initial_status(rt, obj)
            admission.apply_defaults(rt, obj)
            self._admit_create(rt, obj)
            causes = admission.validate(rt, obj)
            if causes:
                raise invalid(rt.group, rt.kind, name, causes)
            if rt.virtual:
                return self.output(rt, self._answer_review(rt, obj))
            if dry_run:
                return self.output(rt, obj)
            if rt.kind == "CustomResourceDefinition":
                obj["status"] = crd_status(obj)
            return self.output(rt, self._put(rt, obj))

    def _put(self, rt: ResourceType, obj: Obj) -> Obj:
        """Store ``obj``; a stored CustomResourceDefinition serves its kinds from then on."""
        stored = self.store.put(rt.key, obj)
        if rt.kind == "CustomResourceDefinition":
            for t in crd_types(stored):
                self.registry.register(t)
        return stored

    def _decode_body(self, rt: ResourceType, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise bad_request(f"Object '{rt.kind}' is invalid: the body must be a JSON object")
        obj = copy.deepcopy(body)
        if obj.get("apiVersion") not in (None, "", rt.api_version):
            raise bad_request(
                f"the API version in the data ({obj['apiVersion']}) does not match the expected "
                f"API version ({rt.api_version})"
            )
        if obj.get("kind") not in (None, "", rt.kind):
            raise bad_request(
                f"the kind in the data ({obj['kind']}) does not match the expected kind ({rt.kind})"
            )
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if not isinstance(obj.get("metadata"), dict):
            obj["metadata"] = {}
        return obj

    def _check_body_namespace(self, rt: ResourceType, namespace: str | None, meta: Obj) -> None:
        if not rt.namespaced:
            meta.pop("namespace", None)
            return
        if meta.get("namespace") and namespace and meta["namespace"] != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = namespace or meta.get("namespace") or "default"

    def _check_namespace_accepts(self, namespace: str) -> None:
        ns = self.store.get(("", "namespaces"), "", namespace)
        if ns is None:
            raise not_found("", "namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise forbidden(
                f"unable to create new content in namespace {namespace} because it is being terminated",
                {
                    "name": namespace,
                    "kind": "namespaces",
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )

    def _admit_create(self, rt: ResourceType, obj: Obj) -> None:
        """Admission steps that look at other objects (allocators, default storage class)."""
        if rt.kind == "Service" and rt.group == "":
            self._allocate_service(obj, None)
        if rt.kind == "PersistentVolumeClaim" and "storageClassName" not in obj["spec"]:
            for sc in self.store.select(("storage.k8s.io", "storageclasses")):
                annotations = sc["metadata"].get("annotations") or {}
                if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
                    obj["spec"]["storageClassName"] = sc["metadata"]["name"]
                    break

    def _allocate_service(self, obj: Obj, old: Obj | None) -> None:
        spec = obj["spec"]
        if old is not None:  # an update that omits allocated values keeps them (patchAllocatedValues)
            old_spec = old.get("spec") or {}
            for key in ("clusterIP", "clusterIPs"):
                if key not in spec and key in old_spec:
                    spec[key] = old_spec[key]
            old_ports = {p.get("port"): p for p in old_spec.get("ports") or []}
            for port in spec.get("ports") or []:
                if "nodePort" not in port and "nodePort" in old_ports.get(port.get("port"), {}):
                    port["nodePort"] = old_ports[port["port"]]["nodePort"]
        if spec.get("type") == "ExternalName":
            return
        services = self.store.select(("", "services"))
        if "clusterIP" not in spec or spec["clusterIP"] == "":
            used = {s["spec"].get("clusterIP") for s in services}
            net = ipaddress.ip_network("10.96.0.0/16")
            spec["clusterIP"] = next(str(ip) for ip in list(net.hosts())[9:] if str(ip) not in used)
        if spec["clusterIP"] != "None":
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        else:
            spec.setdefault("clusterIPs", ["None"])
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            used_ports = {p.get("nodePort") for s in services for p in s["spec"].get("ports") or []}
            candidates = (p for p in range(30000, 32768) if p not in used_ports)
            for port in spec.get("ports") or []:
                if "nodePort" not in port:
                    port["nodePort"] = next(candidates)

    def _answer_review(self, rt: ResourceType, obj: Obj) -> Obj:
        """The review APIs answer in place: the stand-in's single user may do anything."""
        if rt.kind == "SelfSubjectReview":
            obj["status"] = {
                "userInfo": {
                    "username": "standin-admin",
                    "groups": ["system:masters", "system:authenticated"],
                }
            }
        else:
            obj["status"] = {"allowed": True, "reason": "the stand-in authorizes every request"}
        return obj

    # ----- update ----------------------------------------------------------------------------------

    def replace(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        new = self._decode_body(rt, body)
        return self._update(rt, namespace, name, lambda _cur: new, subresource, dry_run=dry_run)

    def patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        content_type: str,
        body: Any,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        def patched(current: Obj) -> Obj:
            doc = self.output(rt, current)
            result = apply_patch(doc, content_type, body, rt.patch_schema)
            return self._decode_body(rt, result)

        return self._update(rt, namespace, name, patched, subresource, dry_run=dry_run)

    def mutate(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        change: Callable[[Obj], None],
        subresource: str | None = None,
        system: bool = False,
    ) -> Obj | None:
        """Read-modify-write for controllers and kubelets: ``change`` edits the current object in place.

        ``system`` writes skip update validation: they are the apiserver-internal writes a real cluster
        makes through dedicated subresources (pod binding sets ``spec.nodeName``, the PV binder sets
        ``spec.volumeName``). Returns None when the object is gone.
        """

        def edit(current: Obj) -> Obj:
            change(current)
            return current

        try:
            return self._update(rt, namespace, name, edit, subresource, system=system)
        except ApiError as err:
            if err.code == 404:
                return None
            raise

    def _update(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        compute: Callable[[Obj], Obj],
        subresource: str | None,
        dry_run: bool = False,
        system: bool = False,
    ) -> Obj:
        ns = self._ns(rt, namespace)
        with self.store.lock:
            current = self._current(rt, ns, name)
            new = compute(copy.deepcopy(current))
            meta = new.setdefault("metadata", {})
            if meta.get("name", name) != name:
                raise bad_request(
                    f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
                )
            if rt.namespaced and meta.get("namespace", ns) != ns:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            sent_rv = meta.get("resourceVersion")
            if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
                raise conflict(rt.group, rt.plural, name)
            meta["name"] = name
            if rt.namespaced:
                meta["namespace"] = ns
            for key in SERVER_METADATA:
                if key in current["metadata"]:
                    meta[key] = current["metadata"][key]
                else:
                    meta.pop(key, None)
            if subresource == "status":
                status = new.get("status")
                new = copy.deepcopy(current)
                if status is None:
                    new.pop("status", None)
                else:
                    new["status"] = status
            elif rt.has("status"):  # the main resource never writes status
                if "status" in current:
                    new["status"] = current["status"]
                else:
                    new.pop("status", None)
            if subresource != "status":
                admission.apply_defaults(rt, new)
                if rt.kind == "Service" and rt.group == "":
                    self._allocate_service(new, current)
                causes = admission.validate(rt, new)
                if not system:
                    causes += admission.validate_update(rt, current, new)
                if causes:
                    raise invalid(rt.group, rt.kind, name, causes)
            if rt.generation and spec_part(new) != spec_part(current):
                new["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
            if _without_rv(new) == _without_rv(current):
                return self.output(rt, current)  # a no-op writes nothing, as etcd3 guaranteed updates do
            new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            if dry_run:
                return self.output(rt, new)
            if self._finished_deleting(rt, new):
                gone = self.store.remove(rt.key, ns, name)
                assert gone is not None
                return self.output(rt, gone)
            return self.output(rt, self._put(rt, new))

    def _finished_deleting(self, rt: ResourceType, obj: Obj) -> bool:
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp") or meta.get("finalizers"):
            return False
        if rt.kind == "Namespace" and (obj.get("spec") or {}).get("finalizers"):
            return False
        return not (rt.kind == "Pod" and meta.get("deletionGracePeriodSeconds", 0) > 0)

    # ----- scale subresource ---------------------------------------------------------------------

    def scale_of(self, rt: ResourceType, obj: Obj) -> Obj:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        selector = spec.get("selector") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: obj["metadata"][k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in obj["metadata"]
            },
            "spec": {"replicas": spec.get("replicas", 0)},
            "status": {
                "replicas": status.get("replicas", 0),
                "selector": ",".join(f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()),
            },
        }

    def update_scale(
        self, rt: ResourceType, namespace: str | None, name: str, compute: Callable[[Obj], Obj]
    ) -> Obj:
        with self.store.lock:
            current = self._current(rt, namespace, name)
            scale = compute(self.scale_of(rt, current))
            sent_rv = (scale.get("metadata") or {}).get("resourceVersion")
            if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
                raise conflict(rt.group, rt.plural, name)
            replicas = (scale.get("spec") or {}).get("replicas", 0)
            if not isinstance(replicas, int) or replicas < 0:
                raise invalid(
                    "autoscaling",
                    "Scale",
                    name,
                    [admission.invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
                )

            def set_replicas(obj: Obj) -> Obj:
                obj["spec"]["replicas"] = replicas
                obj["metadata"].pop("resourceVersion", None)
                return obj

            updated = self._update(rt, namespace, name, set_replicas, None)
            return self.scale_of(rt, updated)

    # ----- delete ----------------------------------------------------------------------------------

    def delete(
        self, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions | None = None
    ) -> tuple[int, Obj]:
        """Returns (HTTP code, body): the object while deletion is pending, else a Status or the object."""
        opts = options or DeleteOptions()
        ns = self._ns(rt, namespace)
        with self.store.lock:
            current = self._current(rt, ns, name)
            meta = current["metadata"]
            if opts.uid and opts.uid != meta["uid"]:
                raise conflict(
                    rt.group,
                    rt.plural,
                    name,
                    f"Precondition failed: UID in precondition: {opts.uid}, UID in object meta: "
                    f"{meta['uid']}",
                )
            if opts.resource_version and opts.resource_version != meta["resourceVersion"]:
                raise conflict(
                    rt.group,
                    rt.plural,
                    name,
                    f"Precondition failed: ResourceVersion in precondition: {opts.resource_version}, "
                    f"ResourceVersion in object meta: {meta['resourceVersion']}",
                )
            if opts.dry_run:
                return 200, self.output(rt, current)
            propagation = opts.propagation
            if propagation is None and opts.orphan_dependents is not None:
                propagation = "Orphan" if opts.orphan_dependents else "Background"
            pending = copy.deepcopy(current)
            pmeta = pending["metadata"]
            finalizers: list[str] = list(pmeta.get("finalizers") or [])
            if propagation == "Foreground" and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            if propagation == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")
            graceful = False
            if rt.kind == "Pod" and rt.group == "":
                grace = opts.grace_seconds
                if grace is None:
                    grace = pmeta.get(
                        "deletionGracePeriodSeconds",
                        (pending.get("spec") or {}).get("terminationGracePeriodSeconds", 30),
                    )
                # an unscheduled or finished pod has no kubelet to wait for
                phase = (pending.get("status") or {}).get("phase")
                if not (pending.get("spec") or {}).get("nodeName") or phase in ("Succeeded", "Failed"):
                    grace = 0
                graceful = grace > 0
                if pmeta.get("deletionTimestamp") and not graceful:
                    pmeta["deletionGracePeriodSeconds"] = 0
                elif graceful:
                    pmeta["deletionGracePeriodSeconds"] = grace
                    pmeta["deletionTimestamp"] = stamp(now() + _dt.timedelta(seconds=grace))
            if meta.get("deletionTimestamp") and not (rt.kind == "Pod" and not graceful):
                if finalizers != list(meta.get("finalizers") or []):
                    pmeta["finalizers"] = finalizers
                    return 200, self.output(rt, self.store.put(rt.key, pending))
                return 200, self.output(rt, current)
            if rt.kind == "Namespace" and rt.group == "":
                pending.setdefault("status", {})["phase"] = "Terminating"
            if finalizers or graceful or (rt.kind == "Namespace" and rt.group == ""):
                pmeta.setdefault("deletionTimestamp", stamp())
                pmeta.setdefault("deletionGracePeriodSeconds", 0)
                if finalizers:
                    pmeta["finalizers"] = finalizers
                if not self._finished_deleting(rt, pending):
                    stored = self.store.put(rt.key, pending)
                    code = 202 if opts.orphan_dependents is False else 200
                    return code, self.output(rt, stored)
            gone = self.store.remove(rt.key, ns, name)
            assert gone is not None
            if rt.kind == "CustomResourceDefinition":
                self._drop_custom_resources(gone)
            if rt.key in RETURN_DELETED_OBJECT:
                return 200, self.output(rt, gone)
            details: Obj = {"name": name}
            if rt.group:
                details["group"] = rt.group
            details["kind"] = rt.plural
            details["uid"] = meta["uid"]
            return 200, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }

    def _drop_custom_resources(self, crd: Obj) -> None:
        spec = crd["spec"]
        key = (spec["group"], spec["names"]["plural"])
        for obj in self.store.select(key):
            self.store.remove(key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self.registry.unregister_group_resource(*key)

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        options: DeleteOptions,
    ) -> Obj:
        listed = self.list_collection(rt, namespace, label_selector, field_selector)
        deleted = []
        for item in listed["items"]:
            try:
                _code, body = self.delete(rt, namespace, item["metadata"]["name"], options)
            except ApiError as err:
                if err.code == 404:
                    continue
                raise
            deleted.append(body if body.get("kind") == rt.kind else item)
        return {**listed, "items": deleted}


def _uid() -> str:
    import uuid

    return str(uuid.uuid4())


def _ident(obj: Obj) -> tuple[str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


def _encode_continue(ident: tuple[str, str]) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(
        json.dumps({"v": "meta.k8s.io/v1", "start": list(ident)}).encode()
    ).decode()


def _decode_continue(token: str) -> tuple[str, str]:
    import base64
    import json

    try:
        ns, name = json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
        return (str(ns), str(name))
    except (ValueError, KeyError, TypeError):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None
