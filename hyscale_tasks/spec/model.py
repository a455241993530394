"""Typed view of an effective spec, the only thing manifest plugins read.

Built from the record the ``spec`` stage writes (plain JSON), so the manifests stage never has
to parse YAML or touch the user's files again. Values the schema already checked are trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from hyscale_tasks.spec.typed_props import typed

PropKind = Literal["string", "endpoint", "file"]


@dataclass(frozen=True)
class HealthCheck:
    http_path: str | None  # None: a TCP check


@dataclass(frozen=True)
class Port:
    number: int
    declared: str  # what the spec wrote after '/', lower case: tcp, udp, http, https
    health: HealthCheck | None = None

    @property
    def protocol(self) -> Literal["tcp", "udp"]:
        """HyScale's rule: udp stays udp, every other protocol is carried over TCP."""
        return "udp" if self.declared == "udp" else "tcp"

    @property
    def port_name(self) -> str:
        return f"{self.number}-{self.protocol}"

    @property
    def key(self) -> str:
        """The normalized form used to compare ports: ``8080/tcp``."""
        return f"{self.number}/{self.protocol}"


@dataclass(frozen=True)
class Prop:
    key: str
    kind: PropKind
    value: str  # for file props: the file's content, base64-encoded


@dataclass(frozen=True)
class Secrets:
    keys: tuple[str, ...]
    values: dict[str, str] | None  # None for the list form: the Secret must exist already


@dataclass(frozen=True)
class Volume:
    name: str
    path: str
    size: str
    storage_class: str | None
    read_only: bool


@dataclass(frozen=True)
class AgentVolume:
    attach: str
    mount_path: str
    read_only: bool


@dataclass(frozen=True)
class Agent:
    name: str
    image: str
    props: tuple[Prop, ...]
    props_volume_path: str | None
    secrets: Secrets | None
    secrets_volume_path: str | None
    volumes: tuple[AgentVolume, ...]
    ports: tuple[Port, ...]


@dataclass(frozen=True)
class Replicas:
    min: int
    max: int | None
    cpu_threshold: str | None
    is_struct: bool

    @property
    def autoscaling_problem(self) -> str | None:
        """None when an autoscaler can be made; else HyScale's reason not to (§2.6), or ''
        when no warning is due (no struct, only ``min``, ``min`` < 1). HyScale's checks, in
        its order; the first failing one decides."""
        threshold = self.cpu_threshold if self.cpu_threshold and self.cpu_threshold.strip() else None
        if not self.is_struct or self.min < 1:
            return ""
        if self.max is None:
            return "Missing field max replicas" if threshold is not None else ""
        if self.max < self.min:
            return "Min replicas should be less than max replicas"
        if threshold is None:
            return "Missing field cpuThreshold"
        if not re.fullmatch(r"[0-9]+%", threshold):  # Java's [\d]: ASCII digits only
            return "The field cpuThreshold should match the regex [\\d]+%"
        if int(threshold[:-1]) < 1:
            return "The field cpuThreshold should be greater than 0"
        return None

    @property
    def utilization(self) -> int:
        """The cpu target in percent; only meaningful when :attr:`autoscaled`."""
        return int((self.cpu_threshold or "0%").strip().rstrip("%"))

    @property
    def autoscaled(self) -> bool:
        return self.autoscaling_problem is None


@dataclass(frozen=True)
class TrafficRule:
    ports: tuple[str, ...]  # normalized port keys, "8080/tcp"
    sources: tuple[str, ...] | None  # None: the rule has no 'from' and is dropped


@dataclass(frozen=True)
class LbMapping:
    port: str
    context_paths: tuple[str, ...]

    @property
    def number(self) -> int:
        return int(self.port.split("/", 1)[0])


@dataclass(frozen=True)
class LoadBalancer:
    provider: str  # lower case
    class_name: str | None
    host: str
    sticky: bool
    tls_secret: str | None
    mappings: tuple[LbMapping, ...]
    headers: dict[str, str]
    labels: dict[str, str]


@dataclass(frozen=True)
class ImageSpec:
    registry: str | None
    name: str
    tag: str | None

    @property
    def reference(self) -> str:
        """``[registry/]name[:tag]`` as HyScale writes it into the pod spec."""
        ref = f"{self.registry.rstrip('/')}/{self.name}" if self.registry else self.name
        return f"{ref}:{self.tag}" if self.tag else ref


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    image: ImageSpec
    start_command: str | None
    replicas: Replicas | None
    memory: str | None
    cpu: str | None
    external: bool
    ports: tuple[Port, ...]
    volumes: tuple[Volume, ...]
    props: tuple[Prop, ...]
    props_volume_path: str | None
    secrets: Secrets | None
    secrets_volume_path: str | None
    agents: tuple[Agent, ...]
    allow_traffic: tuple[TrafficRule, ...] | None
    load_balancer: LoadBalancer | None
    raw: dict[str, Any]  # the effective spec as merged, for the service-spec annotation

    @property
    def has_network_policy(self) -> bool:
        """HyScale's rule: ``allowTraffic`` is present (even ``[]``) and the service internal."""
        return self.allow_traffic is not None and not self.external


def parse_port(value: int | str, health: Any = None) -> Port:
    text = str(value).strip().lower()
    number, _, declared = text.partition("/")
    return Port(int(number), declared or "tcp", parse_health(health))


def parse_health(value: Any) -> HealthCheck | None:
    if not isinstance(value, dict):
        return None  # a bare 'healthCheck:' (null) means no check, as in HyScale
    path = value.get("httpPath")
    # The schema refuses a blank httpPath (HyScale would silently drop the probe).
    return HealthCheck(str(path).strip() or None if path is not None else None)


def parse_prop(key: str, value: Any, files: dict[str, str]) -> Prop:
    """A prop with its type; ``files`` maps a file() argument to its base64 content."""
    text = _text(value)
    found = typed(text)
    if found is None:
        return Prop(key, "string", text)
    kind, inner = found
    if kind == "file":
        return Prop(key, "file", files[inner.strip()])
    return Prop(key, "endpoint" if kind == "endpoint" else "string", inner)


def parse_secrets(value: Any) -> Secrets | None:
    if isinstance(value, list):
        return Secrets(tuple(str(item) for item in value), None) if value else None
    if isinstance(value, dict):
        values = {str(k): _text(v) for k, v in value.items()}
        return Secrets(tuple(values), values) if values else None
    return None


def parse_replicas(value: Any) -> Replicas | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Replicas(value, None, None, False)
    if isinstance(value, dict):
        minimum = value.get("min", 1)
        maximum = value.get("max")
        threshold = value.get("cpuThreshold")
        return Replicas(int(minimum) if minimum is not None else 1,
                        int(maximum) if maximum is not None else None,
                        str(threshold) if threshold is not None else None, True)
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _props(value: Any, files: dict[str, str]) -> tuple[Prop, ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(parse_prop(str(k), v, files) for k, v in value.items())


def _agent(raw: dict[str, Any], files: dict[str, str]) -> Agent:
    return Agent(
        name=str(raw["name"]),
        image=str(raw["image"]),
        props=_props(raw.get("props"), files),
        props_volume_path=raw.get("propsVolumePath"),
        secrets=parse_secrets(raw.get("secrets")),
        secrets_volume_path=raw.get("secretsVolumePath"),
        volumes=tuple(AgentVolume(str(v["attach"]), str(v["mountPath"]), bool(v.get("readOnly")))
                      for v in raw.get("volumes") or ()),
        ports=tuple(parse_port(p["port"], p.get("healthCheck")) for p in raw.get("ports") or ()),
    )


def _traffic(value: Any) -> tuple[TrafficRule, ...] | None:
    if value is None:
        return None
    rules = []
    for rule in value:
        sources = rule.get("from")
        rules.append(TrafficRule(tuple(parse_port(p).key for p in rule.get("ports") or ()),
                                 None if sources is None else tuple(str(s) for s in sources)))
    return tuple(rules)


def _load_balancer(value: Any) -> LoadBalancer | None:
    if not isinstance(value, dict):
        return None
    return LoadBalancer(
        provider=str(value.get("provider", "")).lower(),
        class_name=value.get("className"),
        host=str(value.get("host", "")),
        sticky=bool(value.get("sticky", False)),
        tls_secret=value.get("tlsSecret"),
        mappings=tuple(LbMapping(str(m.get("port", "")), tuple(m.get("contextPaths") or ()))
                       for m in value.get("mapping") or ()),
        headers={str(k): _text(v) for k, v in (value.get("headers") or {}).items()},
        labels={str(k): _text(v) for k, v in (value.get("labels") or {}).items()},
    )


def service_from_record(data: dict[str, Any], files: dict[str, str]) -> ServiceSpec:
    """Build the typed view from an effective spec and the base64 content of its file() props."""
    image = data.get("image") or {}
    tag = image.get("tag")
    return ServiceSpec(
        name=str(data["name"]),
        image=ImageSpec(image.get("registry") or None, str(image.get("name", "")),
                        None if tag in (None, "") else str(tag)),
        start_command=data.get("startCommand") or None,
        replicas=parse_replicas(data.get("replicas")),
        memory=_text(data["memory"]) if data.get("memory") is not None else None,
        cpu=_text(data["cpu"]) if data.get("cpu") is not None else None,
        external=bool(data.get("external", False)),
        ports=tuple(parse_port(p["port"], p.get("healthCheck")) for p in data.get("ports") or ()),
        volumes=tuple(Volume(str(v["name"]), str(v.get("path") or ""), str(v.get("size") or "1Gi"),
                             v.get("storageClass"), bool(v.get("readOnly", False)))
                      for v in data.get("volumes") or ()),
        props=_props(data.get("props"), files),
        props_volume_path=data.get("propsVolumePath"),
        secrets=parse_secrets(data.get("secrets")),
        secrets_volume_path=data.get("secretsVolumePath"),
        agents=tuple(_agent(a, files) for a in data.get("agents") or ()),
        allow_traffic=_traffic(data.get("allowTraffic")),
        load_balancer=_load_balancer(data.get("loadBalancer")),
        raw=data,
    )


def redacted_spec(raw: dict[str, Any]) -> dict[str, Any]:
    """The spec without secret values (the service's and its agents'): what the
    ``hyscale.io/service-spec`` annotation carries and its size check measures."""
    spec = {key: value for key, value in raw.items() if key != "secrets"}
    if isinstance(spec.get("agents"), list):
        spec["agents"] = [{k: v for k, v in agent.items() if k != "secrets"}
                          if isinstance(agent, dict) else agent for agent in spec["agents"]]
    return spec
