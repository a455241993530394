"""Pieces of a container that the service and its sidecars share: ports, probes, env vars."""

from __future__ import annotations

from typing import Any

from hyscale_tasks.spec.model import Port, Prop, Secrets

# HyScale's DefaultHealthChecksBuilder timings; readiness and liveness probes are identical.
PROBE_TIMINGS = {"initialDelaySeconds": 10, "periodSeconds": 30, "timeoutSeconds": 30,
                 "failureThreshold": 10}


def unique_ports(ports: tuple[Port, ...]) -> list[Port]:
    """One entry per number and protocol (``8080/http`` is ``8080``), in the spec's order."""
    seen: dict[str, Port] = {}
    for port in ports:
        seen.setdefault(port.key, port)
    return list(seen.values())


def service_port(port: Port) -> dict[str, Any]:
    return {"name": port.port_name, "port": port.number, "protocol": port.protocol.upper(),
            "targetPort": port.number}


def container_port(port: Port) -> dict[str, Any]:
    return {"containerPort": port.number, "name": port.port_name,
            "protocol": port.protocol.upper()}


def probe(ports: tuple[Port, ...]) -> dict[str, Any] | None:
    """HyScale's rule (§6.5): the first port with an httpPath, else the first with any check."""
    for port in ports:
        if port.health is not None and port.health.http_path:
            action: dict[str, Any] = {"path": port.health.http_path, "port": port.number}
            if port.declared == "https":
                action["scheme"] = "HTTPS"
            return {"httpGet": action, **PROBE_TIMINGS}
    for port in ports:
        if port.health is not None:
            return {"tcpSocket": {"port": port.number}, **PROBE_TIMINGS}
    return None


def env_vars(props: tuple[Prop, ...], secrets: Secrets | None, source: str) -> list[dict[str, Any]]:
    """Env vars read from ConfigMap and Secret ``source``: every non-file prop, every secret."""
    env = [{"name": prop.key, "valueFrom": {"configMapKeyRef": {"name": source, "key": prop.key}}}
           for prop in props if prop.kind != "file"]
    if secrets is not None:
        env += [{"name": key, "valueFrom": {"secretKeyRef": {"name": source, "key": key}}}
                for key in secrets.keys]
    return env
