"""Checks across fields that a schema cannot express (HyScale's up-front validators, §2.7).

Each raises a located :class:`SpecError` with HyScale's message as the cause. They run on every
render, so a spec that would fail at deploy time fails before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hyscale_tasks.errors import SpecError
from hyscale_tasks.spec import quantity
from hyscale_tasks.spec.effective import EffectiveSpec
from hyscale_tasks.spec.model import Port, parse_port
from hyscale_tasks.spec.yamlfile import JsonPath, YamlDocument

INT32_MAX = 2**31 - 1
Fail = Callable[[JsonPath | list[str | int], str, str], SpecError]


def check_all(spec: EffectiveSpec) -> None:
    check_unique_names(spec)
    check_replicas(spec)
    check_ranges(spec)
    check_ports(spec)
    check_network_policies(spec)
    check_load_balancer(spec)
    check_agent_volumes(spec)


def _service_ports(spec: EffectiveSpec) -> list[Port]:
    return [parse_port(p["port"]) for p in spec.data.get("ports") or ()]


def _agent_ports(spec: EffectiveSpec) -> list[tuple[int, int, Port]]:
    return [(a, p, parse_port(port["port"]))
            for a, agent in enumerate(spec.data.get("agents") or ())
            for p, port in enumerate(agent.get("ports") or ())]


def check_unique_names(spec: EffectiveSpec) -> None:
    """Volumes and sidecars are matched by name; Kubernetes rejects two containers of one name.

    The profile is checked on its own too: merging would fold its two same-named entries into one.
    """
    documents: list[tuple[dict[str, Any], Fail]] = [(spec.data, spec.fail)]
    if spec.profile is not None:
        documents.insert(0, (spec.profile.data, _fail_in(spec.profile)))
    for data, fail in documents:
        for field, what in (("volumes", "volume"), ("agents", "sidecar")):
            seen: dict[str, int] = {}
            for index, item in enumerate(data.get(field) or ()):
                name = str(item.get("name"))
                if name in seen:
                    raise fail([field, index, "name"],
                               f"{what} name '{name}' is used twice (also {field}[{seen[name]}])",
                               f"Give each {what} its own name.")
                if field == "agents" and name == spec.name:
                    raise fail([field, index, "name"],
                               f"sidecar '{name}' has the service's own name: the pod would have "
                               "two containers of that name", "Give the sidecar another name.")
                seen[name] = index


def _fail_in(document: YamlDocument) -> Fail:
    def fail(parts: JsonPath | list[str | int], cause: str, fix: str) -> SpecError:
        return SpecError(document.locate(parts), cause, fix)
    return fail


def check_replicas(spec: EffectiveSpec) -> None:
    replicas = spec.data.get("replicas")
    values = replicas.items() if isinstance(replicas, dict) else [(None, replicas)]
    for key, value in values:
        if isinstance(value, int) and not isinstance(value, bool) and value > INT32_MAX:
            where: list[str | int] = ["replicas", key] if key else ["replicas"]
            raise spec.fail(where, f"{value} replicas is more than Kubernetes accepts ({INT32_MAX})",
                            "Ask for a realistic number of replicas, e.g. replicas: 3.")


def check_ranges(spec: EffectiveSpec) -> None:
    """``memory: 2Gi-1Gi`` would ask for a request above the limit, which Kubernetes refuses."""
    for field in ("memory", "cpu"):
        value = spec.data.get(field)
        if not isinstance(value, str) or "-" not in value:
            continue
        low_text, high_text = (part.strip() for part in value.split("-", 1))
        low, high = quantity.parse(low_text), quantity.parse(high_text)
        if low is not None and high is not None and low > high:
            raise spec.fail([field], f"range {value} is inverted: the minimum (request) {low_text} "
                            f"is more than the maximum (limit) {high_text}",
                            f"Write the smaller value first, e.g. {field}: {high_text}-{low_text}.")


def check_ports(spec: EffectiveSpec) -> None:
    # The service's own ports may repeat (8080 and 8080/tcp): HyScale keeps one, and so do we.
    seen = {port.key for port in _service_ports(spec)}
    for agent, position, port in _agent_ports(spec):
        if port.key in seen:
            raise spec.fail(["agents", agent, "ports", position, "port"],
                            f"Invalid Service Spec. Duplicate ports found : {port.key}",
                            "Give the sidecar a port that the service and other sidecars do not use.")
        seen.add(port.key)


def check_network_policies(spec: EffectiveSpec) -> None:
    rules = spec.data.get("allowTraffic")
    if rules is None:
        return
    if spec.data.get("external"):
        raise spec.fail(["allowTraffic"], "Invalid Service Spec. Traffic rules cannot be applied to "
                        "a service exposed externally.",
                        "Remove 'allowTraffic', or set 'external: false'.")
    exposed = {p.key for p in _service_ports(spec)} | {p.key for _, _, p in _agent_ports(spec)}
    for index, rule in enumerate(rules):
        if rule.get("ports") is None:
            raise spec.fail(["allowTraffic", index], "Invalid Service Spec. Missing required field "
                            "'ports' in allowTraffic.",
                            "List the ports the rule opens, e.g. 'ports: [8080]', or [] for all.")
        for position, value in enumerate(rule["ports"]):
            if parse_port(value).key not in exposed:
                raise spec.fail(["allowTraffic", index, "ports", position],
                                "Invalid Service Spec. Traffic rules cannot be applied to a port "
                                f"that is not exposed on the Service: {value}",
                                "Use one of the ports under 'ports' (or an agent's ports).")


def check_load_balancer(spec: EffectiveSpec) -> None:
    lb = spec.data.get("loadBalancer")
    if lb is None:
        return
    required = [("provider", "LoadBalancer provider name is required.", "provider: nginx"),
                ("host", "LoadBalancer host name is required.", "host: app.example.com"),
                ("mapping", "Path mapping for loadBalancer is required.",
                 "mapping: [{port: 8080/http, contextPaths: [/]}]")]
    if str(lb.get("provider", "")).lower() == "istio":
        required.append(("labels", "LoadBalancer gateway label is required for istio.",
                         "labels: {istio: ingressgateway}"))
    for key, message, example in required:
        if not lb.get(key):
            raise spec.fail(["loadBalancer"], message, f"Add '{example}' under loadBalancer.")
    exposed = {p.key for p in _service_ports(spec)} | {p.key for _, _, p in _agent_ports(spec)}
    for index, mapping in enumerate(lb["mapping"]):
        where: list[str | int] = ["loadBalancer", "mapping", index]
        paths = mapping.get("contextPaths") or []
        if mapping.get("port") in (None, ""):
            raise spec.fail(where, "Invalid loadbalancer configuration. Port is required for "
                            f"contextPaths: {','.join(paths)}.", "Add 'port: <number>/<protocol>'.")
        if not paths:
            raise spec.fail(where, "Invalid loadbalancer configuration. Atleast one contextPath is "
                            f"required for port:{mapping['port']}.", "Add 'contextPaths: [/]'.")
        port = parse_port(mapping["port"])
        if port.key not in exposed:
            raise spec.fail((*where, "port"), "Ports declared in the load balancer should match "
                            f"with the ports mentioned in the hspec. Mismatched port : {port.key}",
                            "Use one of the ports under 'ports'.")
    if not spec.data.get("external"):
        where = ["external"] if "external" in spec.data else ["loadBalancer"]
        raise spec.fail(where, "LoadBalancer configuration requires external field to be "
                        "set as true in hspec.", "Set 'external: true'.")


def check_agent_volumes(spec: EffectiveSpec) -> None:
    names = {str(v.get("name")) for v in spec.data.get("volumes") or ()}
    for a, agent in enumerate(spec.data.get("agents") or ()):
        for v, volume in enumerate(agent.get("volumes") or ()):
            if str(volume.get("attach")) not in names:
                raise spec.fail(["agents", a, "volumes", v, "attach"],
                                f"sidecar '{agent.get('name')}' attaches volume "
                                f"'{volume.get('attach')}', which the service does not declare",
                                "Name one of the service's volumes, or add it under 'volumes'.")
