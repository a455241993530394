"""The NetworkPolicy ``spec`` from ``allowTraffic`` (HyScale's NetworkPoliciesHandler, #25).

Owns the NetworkPolicy ``spec`` (whether there is one is ``ServiceSpec.has_network_policy``, also read by the
metadata plugin, which writes the kind, apiVersion and metadata) and the policy's ``spec``,
shaped as HyScale's ``networkPolicy.yaml.tpl`` shapes it (§6.7.3):

* the policy selects the service's pods by ``hyscale.io/service-name`` and is ``Ingress`` only;
* a rule without ``from`` is dropped; with no rule left there is no ``ingress`` key (deny all);
* ``from: []`` stays ``from: []`` (any source) and ``ports: []`` stays ``ports: []`` (any port).

Deliberate difference: HyScale strips the protocol from every port (``5050/udp`` -> ``port:
5050``), and Kubernetes reads a port without protocol as TCP, so a rule that allows a UDP port
silently blocks it. We keep HyScale's bare ``{port: n}`` for TCP ports and add
``protocol: UDP`` for UDP ones.
"""

from __future__ import annotations

from typing import Any

from hyscale_tasks.labels import SERVICE_LABEL
from hyscale_tasks.manifests.base import Plugin, RenderContext, Snippet
from hyscale_tasks.spec.model import ServiceSpec, TrafficRule
from hyscale_tasks.spec.names import label_value

NETWORK_POLICY = "NetworkPolicy"


def network_policy_spec(service: ServiceSpec) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "podSelector": _selector(service.name),
        "policyTypes": ["Ingress"],
    }
    rules = [_rule(rule) for rule in service.allow_traffic or () if rule.sources is not None]
    if rules:
        spec["ingress"] = rules
    return spec


def _selector(service_name: str) -> dict[str, Any]:
    # The label value as the pods carry it (ResourceLabelBuilder form), so the selector matches.
    return {"matchLabels": {SERVICE_LABEL: label_value(service_name)}}


def _rule(rule: TrafficRule) -> dict[str, Any]:
    return {
        "from": [{"podSelector": _selector(source)} for source in rule.sources or ()],
        "ports": [_port(key) for key in rule.ports],
    }


def _port(key: str) -> dict[str, Any]:
    number, _, protocol = key.partition("/")
    port: dict[str, Any] = {"port": int(number)}
    if protocol == "udp":  # see the module docstring: without it Kubernetes means TCP
        port["protocol"] = "UDP"
    return port


def _contribute(ctx: RenderContext) -> list[Snippet]:
    if not ctx.service.has_network_policy:
        return []
    return [Snippet(NETWORK_POLICY, "spec", network_policy_spec(ctx.service))]


NETWORK_POLICIES = Plugin("NetworkPoliciesHandler", _contribute)
