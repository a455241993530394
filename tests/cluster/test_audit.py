"""Every request is in the audit log, with its HTTP method, path and answer."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from tests.cluster.builders import deployment
from tests.cluster.fixtures import Cluster


def test_every_request_is_audited(cluster: Cluster) -> None:
    cluster.standin  # noqa: B018 - skips on a real cluster
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    before = len(cluster.audit())
    apps.create_namespaced_deployment(ns, deployment("web"))
    apps.read_namespaced_deployment("web", ns)
    with pytest.raises(client.ApiException):
        apps.patch_namespaced_deployment("web", ns, [{"op": "test", "path": "/spec/replicas", "value": 9}])
    records = cluster.audit()[before:]
    assert [(r["verb"], r["path"], r["code"]) for r in records] == [
        ("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", 201),
        ("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web", 200),
        ("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/web", 422),
    ]
    assert records[0]["action"] == "create" and records[0]["resource"] == "deployments"
    assert records[2]["contentType"] == "application/json-patch+json"
    # the same records, one JSON object per line, in the audit file
    lines = (cluster.kubeconfig.parent / "audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["path"] for line in lines][before:] == [r["path"] for r in records]
