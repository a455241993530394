"""Manifest builders for the stand-in's conformance tests (plain dicts, as a tool would send)."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def deployment(
    name: str,
    image: str = "registry.local/app:1",
    replicas: int = 1,
    labels: Obj | None = None,
    **pod_spec: Any,
) -> Obj:
    labels = labels or {"app": name}
    container: Obj = {"name": name, "image": image, "ports": [{"containerPort": 8080}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [container], **pod_spec},
            },
        },
    }


def statefulset(name: str, replicas: int = 2, image: str = "registry.local/db:1") -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": image,
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ]
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }


def sample(kind: str, name: str) -> Obj:
    """One valid object of each kind the stand-in serves, for CRUD round trips."""
    meta = {"name": name, "labels": {"app": name}}
    samples: dict[str, Obj] = {
        "ConfigMap": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}},
        "Secret": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta,
            "type": "Opaque",
            "stringData": {"password": "s3cret"},
        },
        "Service": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
        },
        "Pod": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {"containers": [{"name": "main", "image": "registry.local/app:1"}]},
        },
        "PersistentVolumeClaim": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta,
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
        "Event": {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": meta,
            "reason": "Tested",
            "message": "hello",
            "type": "Normal",
            "involvedObject": {"kind": "ConfigMap", "name": name},
        },
        "Deployment": deployment(name),
        "StatefulSet": statefulset(name, 1),
        "ReplicaSet": {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": meta,
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "main", "image": "registry.local/app:1"}]},
                },
            },
        },
        "HorizontalPodAutoscaler": {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": 1,
                "maxReplicas": 3,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        },
        "NetworkPolicy": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta,
            "spec": {"podSelector": {"matchLabels": {"app": name}}, "ingress": [{"ports": [{"port": 8080}]}]},
        },
        "Ingress": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": meta,
            "spec": {
                "rules": [
                    {
                        "host": f"{name}.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": name, "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    }
    return samples[kind]


KINDS = [
    "ConfigMap",
    "Secret",
    "Service",
    "Pod",
    "PersistentVolumeClaim",
    "Event",
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "HorizontalPodAutoscaler",
    "NetworkPolicy",
    "Ingress",
]

ISTIO_KINDS = {
    "Gateway": "gateways",
    "VirtualService": "virtualservices",
    "DestinationRule": "destinationrules",
}


def istio_crd(kind: str) -> Obj:
    plural = ISTIO_KINDS[kind]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.networking.istio.io"},
        "spec": {
            "group": "networking.istio.io",
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
            "versions": [
                {
                    "name": v,
                    "served": True,
                    "storage": v == "v1beta1",
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                    "subresources": {"status": {}},
                }
                for v in ("v1beta1", "v1alpha3", "v1")
            ],
        },
    }
