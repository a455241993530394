"""The resource types the stand-in serves, and the discovery documents built from them.

One table (``BUILTIN``) says everything the server needs about a kind: its group/version, plural,
scope, short names, which subresources it has, whether ``metadata.generation`` tracks its spec, and
which schema strategic merge patch uses. Custom resources join the same registry when a
CustomResourceDefinition is created and leave it when it is deleted, so until then their paths are
404 exactly as on a real server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # subresources: "status", "scale", "log"
    subresources: tuple[str, ...] = ()
    # metadata.generation counts changes of everything but metadata and status
    generation: bool = False
    # schema root for strategic merge patch; None means the type is not a built-in Go struct
    # (custom resources), for which the apiserver refuses strategic merge patch with 415
    patch_schema: str | None = None
    verbs: tuple[str, ...] = ALL_VERBS
    # objects of this kind never reach the store (review APIs answer a POST in place)
    virtual: bool = False
    # False for custom resources: their lists carry kind/apiVersion per item, their status is theirs
    builtin: bool = True
    # custom resources declare their singular name; built-ins use the lower-cased kind
    singular_override: str | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.singular_override or self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def key(self) -> tuple[str, str]:
        """Storage identity: the same object is reachable under every served version of its group."""
        return (self.group, self.plural)

    def has(self, subresource: str) -> bool:
        return subresource in self.subresources


def _rt(group: str, version: str, kind: str, plural: str, namespaced: bool = True, **kw: Any) -> ResourceType:
    return ResourceType(group, version, kind, plural, namespaced, **kw)


BUILTIN: tuple[ResourceType, ...] = (
    _rt(
        "",
        "v1",
        "Namespace",
        "namespaces",
        False,
        short_names=("ns",),
        subresources=("status",),
        patch_schema="Namespace",
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    _rt("", "v1", "ConfigMap", "configmaps", short_names=("cm",), patch_schema="Plain"),
    _rt("", "v1", "Secret", "secrets", patch_schema="Plain"),
    _rt(
        "",
        "v1",
        "Service",
        "services",
        short_names=("svc",),
        categories=("all",),
        subresources=("status",),
        patch_schema="Service",
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    ),
    _rt(
        "",
        "v1",
        "Pod",
        "pods",
        short_names=("po",),
        categories=("all",),
        subresources=("status", "log"),
        patch_schema="Pod",
    ),
    _rt(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        short_names=("pvc",),
        subresources=("status",),
        patch_schema="PersistentVolumeClaim",
    ),
    _rt("", "v1", "Event", "events", short_names=("ev",), patch_schema="Plain"),
    _rt("", "v1", "Node", "nodes", False, short_names=("no",), subresources=("status",), patch_schema="Node"),
    _rt(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        short_names=("deploy",),
        categories=("all",),
        subresources=("status", "scale"),
        generation=True,
        patch_schema="Deployment",
    ),
    _rt(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        short_names=("sts",),
        categories=("all",),
        subresources=("status", "scale"),
        generation=True,
        patch_schema="StatefulSet",
    ),
    _rt(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        short_names=("rs",),
        categories=("all",),
        subresources=("status", "scale"),
        generation=True,
        patch_schema="ReplicaSet",
    ),
    _rt(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        short_names=("hpa",),
        categories=("all",),
        subresources=("status",),
        generation=True,
        patch_schema="Plain",
    ),
    _rt(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        short_names=("netpol",),
        generation=True,
        patch_schema="Plain",
    ),
    _rt(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        short_names=("ing",),
        subresources=("status",),
        generation=True,
        patch_schema="Plain",
    ),
    _rt(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        False,
        short_names=("sc",),
        patch_schema="Plain",
    ),
    _rt(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        short_names=("crd", "crds"),
        categories=("api-extensions",),
        subresources=("status",),
        generation=True,
        patch_schema="Plain",
    ),
    _rt(
        "authentication.k8s.io",
        "v1",
        "SelfSubjectReview",
        "selfsubjectreviews",
        False,
        verbs=("create",),
        virtual=True,
    ),
    _rt(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        False,
        verbs=("create",),
        virtual=True,
    ),
)


@dataclass
class Registry:
    """Thread-safe set of served resource types (built-ins plus installed custom resources)."""

    _types: dict[tuple[str, str, str], ResourceType] = field(default_factory=dict)  # (group, version, plural)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def with_builtins(cls) -> Registry:
        reg = cls()
        for rt in BUILTIN:
            reg.register(rt)
        return reg

    def register(self, rt: ResourceType) -> None:
        with self._lock:
            self._types[(rt.group, rt.version, rt.plural)] = rt

    def unregister_group_resource(self, group: str, plural: str) -> None:
        with self._lock:
            for k in [k for k in self._types if k[0] == group and k[2] == plural]:
                del self._types[k]

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        with self._lock:
            return self._types.get((group, version, plural))

    def by_kind(self, group: str, kind: str) -> ResourceType | None:
        with self._lock:
            for rt in self._types.values():
                if rt.group == group and rt.kind == kind:
                    return rt
        return None

    def by_api_version_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        with self._lock:
            for rt in self._types.values():
                if rt.group == group and rt.version == version and rt.kind == kind:
                    return rt
        return None

    def all(self) -> list[ResourceType]:
        with self._lock:
            return list(self._types.values())

    def stored(self) -> list[ResourceType]:
        """One type per storage key (group, plural): what the namespace cleaner must walk."""
        seen: dict[tuple[str, str], ResourceType] = {}
        for rt in self.all():
            if not rt.virtual:
                seen.setdefault(rt.key, rt)
        return list(seen.values())

    # ----- discovery documents -------------------------------------------------------------------

    def _group_versions(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for rt in self.all():
            versions = groups.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        for versions in groups.values():
            versions.sort(key=_version_priority)
        return groups

    def api_versions(self, server_address: str) -> dict[str, Any]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
        }

    def _group_doc(self, name: str, versions: list[str]) -> dict[str, Any]:
        gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}

    def api_group_list(self) -> dict[str, Any]:
        groups = [self._group_doc(g, vs) for g, vs in self._group_versions().items() if g]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def api_group(self, name: str) -> dict[str, Any] | None:
        versions = self._group_versions().get(name)
        if not name or not versions:
            return None
        return {"kind": "APIGroup", "apiVersion": "v1", **self._group_doc(name, versions)}

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        types = sorted(
            (rt for rt in self.all() if rt.group == group and rt.version == version), key=lambda rt: rt.plural
        )
        if not types:
            return None
        resources: list[dict[str, Any]] = []
        for rt in types:
            entry: dict[str, Any] = {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(rt.verbs),
            }
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            resources.append(entry)
            for sub in rt.subresources:
                resources.append(_subresource_entry(rt, sub))
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def _subresource_entry(rt: ResourceType, sub: str) -> dict[str, Any]:
    base: dict[str, Any] = {"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced}
    if sub == "status":
        return {**base, "kind": rt.kind, "verbs": ["get", "patch", "update"]}
    if sub == "scale":
        return {
            **base,
            "group": "autoscaling",
            "version": "v1",
            "kind": "Scale",
            "verbs": ["get", "patch", "update"],
        }
    if sub == "log":
        return {**base, "kind": "Pod", "verbs": ["get"]}
    raise ValueError(sub)


def _version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes version ordering: GA before beta before alpha, higher numbers first."""
    import re

    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0)
    major = int(m.group(1))
    stage = {"alpha": 2, "beta": 1, None: 0}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor)
