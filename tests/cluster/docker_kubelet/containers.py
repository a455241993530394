"""Pod sandbox and app containers on Docker: how a pod spec becomes ``docker create`` arguments.

All containers of a pod share the network namespace of a sandbox (pause) container, so sidecars
reach each other on localhost as in a pod. The sandbox publishes every container port (and probe
port) on 127.0.0.1 with a random host port (or the declared ``hostPort``), never on other addresses.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import docker.errors

from ..kubelet import Terminated
from ..quantity import parse_quantity
from .engine import ENGINE_ERRORS, SANDBOX, Engine
from .probes import probe_ports

Obj = dict[str, Any]
PORTS_ANNOTATION = "standin.hyscale.io/ports"


def docker_time(text: str | None) -> str | None:
    """Docker's RFC 3339 nanosecond time as the apiserver's second-precision stamp."""
    if not text or text.startswith("0001-"):
        return None
    return text[:19] + "Z"


def go_duration(seconds: float) -> str:
    """A duration as Go prints it (``10s``, ``1m20s``, ``5m0s``), for messages copied from the kubelet."""
    whole = int(seconds)
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def container_name(pod: Obj, container: str, attempt: int) -> str:
    meta = pod["metadata"]
    return f"k8s_{container}_{meta['name']}_{meta['namespace']}_{meta['uid']}_{attempt}"


def published_ports(pod: Obj) -> dict[str, tuple[str, int | None]]:
    """docker ``port_bindings``: ``"8080/tcp" -> ("127.0.0.1", hostPort or None)``."""
    out: dict[str, tuple[str, int | None]] = {}
    for c in (pod.get("spec") or {}).get("containers") or []:
        for port in c.get("ports") or []:
            key = f"{port['containerPort']}/{str(port.get('protocol', 'TCP')).lower()}"
            out.setdefault(key, ("127.0.0.1", port.get("hostPort")))
        for number in probe_ports(c):
            out.setdefault(f"{number}/tcp", ("127.0.0.1", None))
    return out


def create_sandbox(engine: Engine, pod: Obj, image: str) -> tuple[str, dict[str, int]]:
    """Start the pod's sandbox; returns its id and the published ports (``"8080"`` or ``"53/UDP"`` ->
    host port)."""
    api = engine.api
    bindings = published_ports(pod)
    spec = pod.get("spec") or {}
    hostname = str(spec.get("hostname") or pod["metadata"]["name"])[:63]
    host_config = api.create_host_config(port_bindings=bindings, network_mode="bridge")
    name = container_name(pod, SANDBOX, 0)
    kwargs: Obj = {
        "name": name,
        "hostname": hostname,
        "ports": [tuple(key.split("/")) for key in bindings],
        "labels": engine.labels(pod, SANDBOX),
        "host_config": host_config,
    }
    try:
        created = api.create_container(image, **kwargs)
    except docker.errors.APIError as exc:
        if exc.status_code != 409:
            raise
        engine.remove_container(name)  # left over from a sandbox that failed to start
        created = api.create_container(image, **kwargs)
    sandbox = str(created["Id"])
    try:
        api.start(sandbox)
        mapped = api.inspect_container(sandbox)["NetworkSettings"]["Ports"] or {}
    except ENGINE_ERRORS:
        engine.remove_container(sandbox)
        raise
    ports: dict[str, int] = {}
    for key, bound in mapped.items():
        number, proto = key.split("/")
        for entry in bound or []:
            if entry.get("HostIp") in ("127.0.0.1", "") and entry.get("HostPort"):
                ports[number if proto == "tcp" else f"{number}/{proto.upper()}"] = int(entry["HostPort"])
    return sandbox, ports


def _user(pod: Obj, container: Obj) -> str | None:
    context = {
        **((pod.get("spec") or {}).get("securityContext") or {}),
        **(container.get("securityContext") or {}),
    }
    uid, gid = context.get("runAsUser"), context.get("runAsGroup")
    if uid is None:
        return None
    return f"{uid}:{gid}" if gid is not None else str(uid)


def resource_limits(container: Obj) -> dict[str, Any]:
    """host_config limits: memory (and swap, so the limit is the limit) and CPU."""
    resources = container.get("resources") or {}
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    out: dict[str, Any] = {}
    memory = parse_quantity(limits.get("memory"))
    if memory:
        out["mem_limit"] = out["memswap_limit"] = max(int(memory), 6 * 2**20)  # Docker's minimum is 6 MB
    cpu = parse_quantity(limits.get("cpu"))
    if cpu:
        out["nano_cpus"] = int(cpu * Decimal(10**9))
    share = parse_quantity(requests.get("cpu"))
    if share:
        out["cpu_shares"] = max(int(share * 1024), 2)
    return out


def create_container(
    engine: Engine,
    pod: Obj,
    container: Obj,
    attempt: int,
    sandbox: str,
    env: Mapping[str, str],
    command: tuple[list[str] | None, list[str] | None],
    mounts: list[Any],
) -> str:
    api = engine.api
    entrypoint, cmd = command
    host_config = api.create_host_config(
        network_mode=f"container:{sandbox}", mounts=mounts, **resource_limits(container)
    )
    name = container_name(pod, container["name"], attempt)
    kwargs: Obj = {
        "name": name,
        "environment": [f"{k}={v}" for k, v in env.items()],
        "labels": engine.labels(pod, container["name"]),
        "host_config": host_config,
        "working_dir": container.get("workingDir"),
        "user": _user(pod, container),
    }
    if entrypoint is not None:
        kwargs["entrypoint"] = entrypoint
    if cmd is not None:
        kwargs["command"] = cmd
    try:
        created = api.create_container(container["image"], **kwargs)
    except docker.errors.APIError as exc:
        if exc.status_code != 409:
            raise
        engine.remove_container(name)  # left over from a worker that died between create and start
        created = api.create_container(container["image"], **kwargs)
    return str(created["Id"])


def terminated_of(state: Obj, container_id: str) -> Terminated:
    """``lastState.terminated`` of an exited container, from ``docker inspect``'s State."""
    code = int(state.get("ExitCode") or 0)
    if state.get("OOMKilled"):
        reason = "OOMKilled"
    elif code == 0:
        reason = "Completed"
    else:
        reason = "Error"
    return Terminated(
        exit_code=code,
        reason=reason,
        message=None,
        started_at=docker_time(state.get("StartedAt")),
        finished_at=docker_time(state.get("FinishedAt")),
        container_id=f"docker://{container_id}",
    )


def stop(engine: Engine, container_id: str, grace: float) -> None:
    """SIGTERM, up to ``grace`` seconds to exit, then SIGKILL, as the kubelet stops a container."""
    api = engine.api
    try:
        api.kill(container_id, signal="SIGTERM")
    except docker.errors.APIError:
        return  # not running (or gone)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            if not api.inspect_container(container_id)["State"].get("Running"):
                return
        except docker.errors.NotFound:
            return
        time.sleep(0.05)
    try:
        api.kill(container_id, signal="SIGKILL")
        api.wait(container_id, timeout=10)
    except ENGINE_ERRORS:
        pass
