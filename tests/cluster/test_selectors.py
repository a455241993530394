"""Label and field selectors on lists, and their 400s."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.cluster.fixtures import Cluster
from tests.cluster.selectors import parse_label_selector


@pytest.fixture
def labelled(cluster: Cluster) -> tuple[client.CoreV1Api, str]:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    for name, labels in [
        ("a", {"app": "web", "env": "dev"}),
        ("b", {"app": "web", "env": "prod"}),
        ("c", {"app": "db", "env": "dev"}),
        ("d", {"tier": "x"}),
    ]:
        core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": labels}})
    return core, ns


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("app=web", ["a", "b"]),
        ("app==web,env=dev", ["a"]),
        ("app!=web", ["c", "d"]),
        ("env in (dev, staging)", ["a", "c"]),
        ("env notin (dev)", ["b", "d"]),
        ("tier", ["d"]),
        ("!tier", ["a", "b", "c"]),
        ("app=web,env notin (prod)", ["a"]),
    ],
)
def test_label_selectors_select(
    labelled: tuple[client.CoreV1Api, str], selector: str, names: list[str]
) -> None:
    core, ns = labelled
    assert [
        c.metadata.name for c in core.list_namespaced_config_map(ns, label_selector=selector).items
    ] == names


def test_field_selectors(labelled: tuple[client.CoreV1Api, str]) -> None:
    core, ns = labelled
    assert [
        c.metadata.name for c in core.list_namespaced_config_map(ns, field_selector="metadata.name=b").items
    ] == ["b"]
    assert [
        c.metadata.name
        for c in core.list_namespaced_config_map(
            ns, field_selector="metadata.name!=b", label_selector="app"
        ).items
    ] == ["a", "c"]
    core.create_namespaced_event(
        ns,
        {
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Pod", "name": "p1", "namespace": ns},
            "reason": "Tested",
            "message": "m",
            "type": "Warning",
        },
    )
    events = core.list_namespaced_event(
        ns, field_selector=f"involvedObject.name=p1,involvedObject.namespace={ns}"
    )
    assert [e.metadata.name for e in events.items] == ["e1"]
    assert core.list_namespaced_event(ns, field_selector="involvedObject.name=p2").items == []


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"label_selector": "app in (web"}, "unable to parse requirement"),
        ({"field_selector": "data.k=v"}, "field label not supported: data.k"),
    ],
)
def test_bad_selectors_are_400(
    labelled: tuple[client.CoreV1Api, str], kwargs: dict[str, str], text: str
) -> None:
    core, ns = labelled
    with pytest.raises(client.ApiException) as info:
        core.list_namespaced_config_map(ns, **kwargs)
    assert info.value.status == 400
    assert text in info.value.body


def test_label_selector_parser_edge_cases() -> None:
    sel = parse_label_selector("hyscale.io/app-name=shop, hyscale.io/service-name in (web,api)")
    assert sel.matches({"hyscale.io/app-name": "shop", "hyscale.io/service-name": "api"})
    assert not sel.matches({"hyscale.io/app-name": "shop"})
    assert parse_label_selector("").matches({})
