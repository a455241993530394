"""NetworkPoliciesHandler: the NetworkPolicy spec from ``allowTraffic``.

Cases 1-7 are HyScale's golden fixtures (``plugins/network-policies/{input,output}``), carried
inline. They match HyScale's output exactly except case 1, where the UDP port also says
``protocol: UDP`` (a deliberate fix, see the plugin's docstring).
"""

from __future__ import annotations

from typing import Any

import pytest

from hyscale_tasks.manifests.plugins.network_policy import (
    NETWORK_POLICIES,
)
from testing.manifests import complete, make_context, render, validate_k8s

KEY = ("NetworkPolicy", None)
LABELS = {"hyscale.io/app-name": "book-info", "hyscale.io/environment-name": "dev",
          "hyscale.io/service-name": "frontend"}


def _spec(ports: list[str], allow_traffic: Any, external: bool = False) -> dict[str, Any]:
    return {
        "name": "frontend",
        "image": {"registry": "registry.hub.docker.com", "name": "username/frontend", "tag": "4.0.1"},
        "ports": [{"port": port} for port in ports],
        "external": external,
        "allowTraffic": allow_traffic,
    }


def _from(*services: str) -> list[dict[str, Any]]:
    return [{"podSelector": {"matchLabels": {"hyscale.io/service-name": s}}} for s in services]


SELECTOR = {"podSelector": {"matchLabels": {"hyscale.io/service-name": "frontend"}},
            "policyTypes": ["Ingress"]}

CASES = {
    # 1: ports with and without protocol, one source
    "1-ports-and-protocols": (
        _spec(["8080/tcp", "5050/udp"], [{"ports": [8080, "5050/udp"], "from": ["web-service"]}]),
        {**SELECTOR, "ingress": [{"from": _from("web-service"),
                                  "ports": [{"port": 8080}, {"port": 5050, "protocol": "UDP"}]}]},
    ),
    # 2: two sources
    "2-two-sources": (
        _spec(["8080/tcp", "5050/tcp"], [{"ports": ["8080/tcp", "5050/tcp"],
                                          "from": ["web-service", "xyz-service"]}]),
        {**SELECTOR, "ingress": [{"from": _from("web-service", "xyz-service"),
                                  "ports": [{"port": 8080}, {"port": 5050}]}]},
    ),
    # 3: two rules
    "3-two-rules": (
        _spec(["8080/tcp", "5050/tcp"], [{"ports": [5050], "from": ["web-service"]},
                                         {"ports": [8080], "from": ["xyz-service"]}]),
        {**SELECTOR, "ingress": [{"from": _from("web-service"), "ports": [{"port": 5050}]},
                                 {"from": _from("xyz-service"), "ports": [{"port": 8080}]}]},
    ),
    # 4: ports: [] means every port
    "4-all-ports": (
        _spec(["8080/tcp"], [{"ports": [], "from": ["web-service"]}]),
        {**SELECTOR, "ingress": [{"from": _from("web-service"), "ports": []}]},
    ),
    # 5: from: [] means every source
    "5-all-sources": (
        _spec(["8080/tcp"], [{"ports": [8080], "from": []}]),
        {**SELECTOR, "ingress": [{"from": [], "ports": [{"port": 8080}]}]},
    ),
    # 6: allowTraffic: [] denies all ingress
    "6-deny-all": (_spec(["8080/tcp"], []), SELECTOR),
    # 7: a rule without from is dropped, leaving deny-all
    "7-rule-without-from": (_spec(["8080/tcp", "5050/tcp"], [{"ports": [5050]}]), SELECTOR),
}


@pytest.mark.parametrize("case", CASES)
def test_golden_spec(case: str) -> None:
    data, expected = CASES[case]
    manifests, warnings = render(NETWORK_POLICIES, data)
    assert manifests == {KEY: {"spec": expected}}
    assert warnings == []


@pytest.mark.parametrize("case", CASES)
def test_complete_policy_is_valid_kubernetes(case: str) -> None:
    manifests, _ = render(NETWORK_POLICIES, CASES[case][0])
    validate_k8s(complete(manifests[KEY], "NetworkPolicy", "book-info-frontend", LABELS))


def test_no_allow_traffic_no_policy() -> None:
    data = _spec(["8080/tcp"], None)
    del data["allowTraffic"]
    assert render(NETWORK_POLICIES, data) == ({}, [])


def test_external_service_gets_no_policy() -> None:
    data = _spec(["8080/tcp"], [{"ports": [8080], "from": ["web"]}], external=True)
    assert render(NETWORK_POLICIES, data) == ({}, [])
    assert not make_context(data).service.has_network_policy


def test_predicate_holds_for_an_empty_list() -> None:
    assert make_context(_spec(["8080/tcp"], [])).service.has_network_policy


def test_selectors_use_the_label_form_of_names() -> None:
    # What the pods carry (label_value): case kept, '.' runs become '-', other characters dropped.
    data = _spec(["8080"], [{"ports": [8080], "from": ["Web.Service"]}])
    manifests, _ = render(NETWORK_POLICIES, data)
    assert manifests[KEY]["spec"]["ingress"][0]["from"] == _from("Web-Service")
