"""Server-side printing (``meta.k8s.io/v1`` Table), which kubectl asks for on ``get``: so
``kubectl get deployments`` shows READY / UP-TO-DATE / AVAILABLE as against a real cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clock import age_seconds
from .resources import ResourceType

Obj = dict[str, Any]
Column = tuple[str, str, Callable[[Obj], Any]]  # (name, type, cell)


def human_age(timestamp: str | None) -> str:
    s = int(age_seconds(timestamp))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 48:
        return f"{h}h"
    return f"{h // 24}d"


def _name(o: Obj) -> str:
    return str(o["metadata"]["name"])


def _age(o: Obj) -> str:
    return human_age(o["metadata"].get("creationTimestamp"))


def _st(o: Obj, key: str) -> int:
    return int((o.get("status") or {}).get(key) or 0)


def pod_reason(pod: Obj) -> str:
    """The STATUS column kubectl shows for a pod."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Pending"
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return str(reason)


def _pod_ready(o: Obj) -> str:
    statuses = (o.get("status") or {}).get("containerStatuses") or []
    total = len((o.get("spec") or {}).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _restarts(o: Obj) -> int:
    return sum(
        int(s.get("restartCount") or 0) for s in (o.get("status") or {}).get("containerStatuses") or []
    )


def _ports(o: Obj) -> str:
    parts = []
    for p in (o.get("spec") or {}).get("ports") or []:
        node = f":{p['nodePort']}" if p.get("nodePort") else ""
        parts.append(f"{p.get('port')}{node}/{p.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _external_ip(o: Obj) -> str:
    ingress = ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        return ",".join(i.get("ip") or i.get("hostname") or "" for i in ingress)
    return "<pending>" if (o.get("spec") or {}).get("type") == "LoadBalancer" else "<none>"


COLUMNS: dict[str, list[Column]] = {
    "Deployment": [
        ("Ready", "string", lambda o: f"{_st(o, 'readyReplicas')}/{o['spec'].get('replicas', 1)}"),
        ("Up-to-date", "integer", lambda o: _st(o, "updatedReplicas")),
        ("Available", "integer", lambda o: _st(o, "availableReplicas")),
    ],
    "ReplicaSet": [
        ("Desired", "integer", lambda o: o["spec"].get("replicas", 1)),
        ("Current", "integer", lambda o: _st(o, "replicas")),
        ("Ready", "integer", lambda o: _st(o, "readyReplicas")),
    ],
    "StatefulSet": [
        ("Ready", "string", lambda o: f"{_st(o, 'readyReplicas')}/{o['spec'].get('replicas', 1)}")
    ],
    "Pod": [
        ("Ready", "string", _pod_ready),
        ("Status", "string", pod_reason),
        ("Restarts", "string", lambda o: str(_restarts(o))),
    ],
    "Service": [
        ("Type", "string", lambda o: o["spec"].get("type", "ClusterIP")),
        ("Cluster-IP", "string", lambda o: o["spec"].get("clusterIP", "<none>")),
        ("External-IP", "string", _external_ip),
        ("Port(s)", "string", _ports),
    ],
    "Namespace": [("Status", "string", lambda o: (o.get("status") or {}).get("phase", "Active"))],
    "PersistentVolumeClaim": [
        ("Status", "string", lambda o: (o.get("status") or {}).get("phase", "Pending")),
        ("Volume", "string", lambda o: o["spec"].get("volumeName", "")),
        ("Capacity", "string", lambda o: ((o.get("status") or {}).get("capacity") or {}).get("storage", "")),
    ],
}


def wants_table(accept: str) -> bool:
    return "as=Table" in accept.replace(" ", "")


def to_table(rt: ResourceType, objs: list[Obj], meta: Obj, include_object: str) -> Obj:
    extra = COLUMNS.get(rt.kind, []) if rt.builtin else []
    columns: list[Column] = [("Name", "string", _name), *extra, ("Age", "string", _age)]
    rows = []
    for o in objs:
        row: Obj = {"cells": [cell(o) for _, _, cell in columns]}
        if include_object == "Object":
            row["object"] = {"apiVersion": rt.api_version, "kind": rt.kind, **o}
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": o["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": [
            {
                "name": name,
                "type": type_,
                "format": "name" if name == "Name" else "",
                "description": name,
                "priority": 0,
            }
            for name, type_, _ in columns
        ],
        "rows": rows,
    }
