"""Watches: ADDED/MODIFIED/DELETED through the official client's Watch, resume, selectors, timeouts."""

from __future__ import annotations

import threading
import time
from typing import Any

from kubernetes import client, watch

from tests.cluster.builders import deployment
from tests.cluster.fixtures import Cluster


def _collect(stream: Any, into: list[tuple[str, str]], stop_after: int, w: watch.Watch) -> None:
    for event in stream:
        into.append((event["type"], event["object"].metadata.name))
        if len(into) >= stop_after:
            w.stop()
            return


def test_watch_sees_added_modified_deleted(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespaced_config_map(ns, {"metadata": {"name": "existing"}})
    seen: list[tuple[str, str]] = []
    w = watch.Watch()
    watcher = client.CoreV1Api(cluster.api_client())
    stream = w.stream(watcher.list_namespaced_config_map, ns, timeout_seconds=10)
    t = threading.Thread(target=_collect, args=(stream, seen, 4, w))
    t.start()
    cluster.wait_for(lambda: seen, what="the initial ADDED")
    core.create_namespaced_config_map(ns, {"metadata": {"name": "new"}})
    core.patch_namespaced_config_map("new", ns, {"data": {"k": "v"}})
    core.delete_namespaced_config_map("new", ns)
    t.join(10)
    assert seen == [("ADDED", "existing"), ("ADDED", "new"), ("MODIFIED", "new"), ("DELETED", "new")]


def test_watch_resumes_from_a_resource_version(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}})
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, {"metadata": {"name": "b"}})
    core.delete_namespaced_config_map("a", ns)
    w = watch.Watch()
    events = [
        (e["type"], e["object"].metadata.name)
        for e in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=1)
    ]
    assert events == [("ADDED", "b"), ("DELETED", "a")]


def test_watch_with_a_label_selector_reports_objects_entering_and_leaving(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    seen: list[tuple[str, str]] = []
    w = watch.Watch()
    stream = w.stream(
        client.CoreV1Api(cluster.api_client()).list_namespaced_config_map,
        ns,
        label_selector="pick=yes",
        timeout_seconds=10,
    )
    t = threading.Thread(target=_collect, args=(stream, seen, 2, w))
    t.start()
    time.sleep(0.2)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c", "labels": {"pick": "no"}}})
    core.patch_namespaced_config_map("c", ns, {"metadata": {"labels": {"pick": "yes"}}})
    core.patch_namespaced_config_map("c", ns, {"metadata": {"labels": {"pick": "no"}}})
    t.join(10)
    assert seen == [("ADDED", "c"), ("DELETED", "c")]


def test_watch_ends_after_timeout_seconds(cluster: Cluster) -> None:
    ns = cluster.namespace()
    apps = client.AppsV1Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("web"))
    started = time.monotonic()
    events = list(watch.Watch().stream(apps.list_namespaced_deployment, ns, timeout_seconds=1))
    assert 0.9 < time.monotonic() - started < 5
    assert events[0]["type"] == "ADDED"
    assert events[0]["object"].metadata.name == "web"


def test_watch_all_namespaces_and_a_single_object(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespaced_config_map(ns, {"metadata": {"name": "one"}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "two"}})
    names = [
        e["object"].metadata.name
        for e in watch.Watch().stream(
            core.list_config_map_for_all_namespaces, field_selector="metadata.name=two", timeout_seconds=1
        )
    ]
    assert names == ["two"]
