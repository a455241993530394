"""The pod owner (Deployment or StatefulSet) and the Service: HyScale's plugins #5-#18.

Deliberate changes from HyScale: ports keep the spec's order (HyScale's come from a hash set);
startCommand items are trimmed (``"go ,run"`` is ``go`` and ``run``); no
``imagePullSecrets: [{}]`` without a pull secret; the CPU warning says "minimum cpu" where
HyScale's says "minimum memory". (A blank ``httpPath``, which HyScale reads as "no probe at all",
is refused by the schema: an HTTP check needs a path.)
"""

from __future__ import annotations

from typing import Any

from hyscale_tasks.labels import VOLUME_LABEL
from hyscale_tasks.manifests.base import (
    CONTAINER,
    POD_SPEC,
    Plugin,
    RenderContext,
    Snippet,
)
from hyscale_tasks.manifests.containers import container_port, probe, service_port, unique_ports
from hyscale_tasks.spec import quantity

MIN_MEMORY = "4Mi"
MIN_CPU = "1m"


def _replicas(ctx: RenderContext) -> list[Snippet]:
    replicas = ctx.service.replicas
    if replicas is None:
        return []
    return [Snippet(ctx.owner_kind, "spec.replicas", replicas.min if replicas.min >= 0 else 1)]


def _selector_labels(ctx: RenderContext) -> list[Snippet]:
    snippets = [Snippet(ctx.owner_kind, "spec.selector.matchLabels", dict(ctx.labels))]
    if ctx.has_service:
        snippets.append(Snippet("Service", "spec.selector", dict(ctx.labels)))
    return snippets


def _pod_labels(ctx: RenderContext) -> list[Snippet]:
    return [Snippet(ctx.owner_kind, "spec.template.metadata", {"labels": dict(ctx.labels)})]


def split_start_command(command: str) -> list[str]:
    """HyScale's comma form: ``"a,b,c"`` runs ``a`` with arguments ``b`` and ``c``."""
    return [item.strip().strip('"').strip() for item in command.split(",") if item.strip()]


def _start_command(ctx: RenderContext) -> list[Snippet]:
    items = split_start_command(ctx.service.start_command or "")
    if not items:
        return []
    snippets = [Snippet(ctx.owner_kind, f"{CONTAINER}.command", [items[0]])]
    if items[1:]:
        snippets.append(Snippet(ctx.owner_kind, f"{CONTAINER}.args", items[1:]))
    return snippets


def _container_name(ctx: RenderContext) -> list[Snippet]:
    return [Snippet(ctx.owner_kind, f"{CONTAINER}.name", ctx.service.name)]


def _image(ctx: RenderContext) -> list[Snippet]:
    if not ctx.service.image.name:
        return []
    snippets = [Snippet(ctx.owner_kind, f"{CONTAINER}.image", ctx.image_ref),
                Snippet(ctx.owner_kind, f"{CONTAINER}.imagePullPolicy", "Always")]
    if ctx.pull_secret is not None:
        snippets.append(Snippet(ctx.owner_kind, f"{POD_SPEC}.imagePullSecrets",
                                [{"name": ctx.pull_secret.name}]))
    return snippets


def _ports(ctx: RenderContext) -> list[Snippet]:
    ports = unique_ports(ctx.service.ports)
    if not ports:
        return []
    return [Snippet("Service", "spec.ports", [service_port(p) for p in ports]),
            Snippet(ctx.owner_kind, f"{CONTAINER}.ports", [container_port(p) for p in ports])]


def _health_checks(ctx: RenderContext) -> list[Snippet]:
    found = probe(ctx.service.ports)
    if found is None:
        return []
    return [Snippet(ctx.owner_kind, f"{CONTAINER}.readinessProbe", found),
            Snippet(ctx.owner_kind, f"{CONTAINER}.livenessProbe", dict(found))]


def resources(ctx: RenderContext, key: str, value: str | None, minimum: str,
              what: str) -> tuple[dict[str, str], dict[str, str]]:
    """(requests, limits) for one resource from ``max`` or ``min-max``, with HyScale's warnings."""
    if not value:
        return {}, {}
    low, _, high = value.partition("-") if "-" in value.strip("-") else ("", "", value)
    low, high = low.strip(), high.strip()
    high_value = quantity.parse(high)
    low_value = quantity.parse(low) if low else None
    if high_value is None or (low and low_value is None):
        ctx.warn(f"Invalid size format {value} ")
        return {}, {}
    if low_value is not None and low_value > high_value:
        ctx.warn(f"Invalid range {value}")
        return {}, {}
    floor = quantity.parse(minimum)
    if floor is not None and high_value <= floor:
        ctx.warn(f"Ignoring {what} limits as {minimum} is minimum {what.lower()} but declared "
                 f"is {value}")
        return {}, {}
    return ({key: low} if low else {}), {key: high}


def _resource_limits(ctx: RenderContext) -> list[Snippet]:
    mem_req, mem_lim = resources(ctx, "memory", ctx.service.memory, MIN_MEMORY, "memory")
    cpu_req, cpu_lim = resources(ctx, "cpu", ctx.service.cpu, MIN_CPU, "CPU")
    body: dict[str, Any] = {}
    if mem_req or cpu_req:
        body["requests"] = {**mem_req, **cpu_req}
    if mem_lim or cpu_lim:
        body["limits"] = {**mem_lim, **cpu_lim}
    return [Snippet(ctx.owner_kind, f"{CONTAINER}.resources", body)]


def _volume_templates(ctx: RenderContext) -> list[Snippet]:
    if not ctx.service.volumes:
        return []
    templates = []
    for volume in ctx.service.volumes:
        spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": quantity.storage_size(volume.size)}}}
        if volume.storage_class:
            spec["storageClassName"] = volume.storage_class
        templates.append({"metadata": {"name": volume.name,
                                       "labels": {**ctx.labels, VOLUME_LABEL: volume.name}},
                          "spec": spec})
    return [Snippet("StatefulSet", "spec.volumeClaimTemplates", templates),
            Snippet("StatefulSet", "spec.serviceName", ctx.service_name)]


def _service_type(ctx: RenderContext) -> list[Snippet]:
    if not ctx.has_service:
        return []
    exposed = ctx.service.external and ctx.service.load_balancer is None
    return [Snippet("Service", "spec.type", "LoadBalancer" if exposed else "ClusterIP")]


REPLICAS = Plugin("ReplicasHandler", _replicas)
SELECTOR_LABELS = Plugin("SelectorLabelsHandler", _selector_labels)
POD_LABELS = Plugin("PodSpecLabels", _pod_labels)
START_COMMAND = Plugin("StartCommandHandler", _start_command)
CONTAINER_NAME = Plugin("ContainerNameHandler", _container_name)
IMAGE = Plugin("ImageHandler", _image)
PORTS = Plugin("PortsHandler", _ports)
HEALTH_CHECKS = Plugin("HealthChecksHandler", _health_checks)
RESOURCE_LIMITS = Plugin("ResourceLimitsHandler", _resource_limits)
VOLUME_TEMPLATES = Plugin("VolumeTemplatesHandler", _volume_templates)
SERVICE_TYPE = Plugin("ServiceTypeHandler", _service_type)
