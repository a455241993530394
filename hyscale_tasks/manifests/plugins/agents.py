"""Sidecar containers from ``agents`` (HyScale's AgentHandler and its Agent*Builders, #21).

Owns, for agent *i* (1-based, in list order), the pod owner's ``containers[i]`` (name, image,
``imagePullPolicy: Always``, env, ports, probes, volume mounts), the agents' pod volumes
(appended after the service's own), the agent ports on the Service, and each agent's own
ConfigMap and Secret manifests, identified and named ``service-<svc>-agent-<agent>`` (§6.8).
Data, env, volume names, probe rules and timings are HyScale's. Deliberate differences:

* No index drift: HyScale numbers an agent's ports and probes by counting only agents that
  have ports, so they land on another agent's container when an earlier agent has none. Here
  everything of agent *i* goes on ``containers[i]``.
* A service without ports of its own still gets a whole Service when its agents have ports
  (HyScale writes one with only ``spec.ports``): the metadata, selector and type plugins count
  agent ports too (``RenderContext.has_service``); this plugin appends the agents' ports.
* List-form agent secrets name a Secret the user creates, ``service-<svc>-agent-<agent>`` (the
  name HyScale's env vars and volume already point at), just as list-form service secrets name
  ``<app>-<svc>``. HyScale also writes a data-less Secret of that name; applying it would
  replace the user's Secret with an empty one, so we write none.
* The props volume is mounted only when ``propsVolumePath`` is set, and the secrets volume only
  when ``secretsVolumePath`` is: a mount without ``mountPath`` is rejected by Kubernetes.
* The resource names go through :func:`normalize` (HyScale uses the raw agent name): identical
  for valid names, and a valid Kubernetes name for the rest.
"""

from __future__ import annotations

from typing import Any

from hyscale_tasks.manifests.base import API_VERSIONS, POD_SPEC, Plugin, RenderContext, Snippet
from hyscale_tasks.manifests.config_data import config_map_data, secret_data
from hyscale_tasks.manifests.containers import (
    container_port,
    env_vars,
    probe,
    service_port,
    unique_ports,
)
from hyscale_tasks.spec.model import Agent
from hyscale_tasks.spec.names import normalize


def agent_resource_name(service_name: str, agent_name: str) -> str:
    """Identifier and ``metadata.name`` of an agent's ConfigMap and Secret."""
    return normalize(f"service-{service_name}-agent-{agent_name}")


def agent_config_map_data(agent: Agent) -> dict[str, Any]:
    return config_map_data(agent.props, agent.props_volume_path)


def agent_secret_data(agent: Agent) -> dict[str, str] | None:
    """The agent's Secret data, or None for list secrets: they name a Secret the user made."""
    if agent.secrets is None or agent.secrets.values is None:
        return None
    return secret_data(agent.secrets.values, agent.secrets_volume_path)


def _is_set(value: str | None) -> bool:
    return value is not None and bool(value.strip())


def _manifest_head(kind: str, name: str, ctx: RenderContext) -> list[Snippet]:
    return [Snippet(kind, "kind", kind, name), Snippet(kind, "apiVersion", API_VERSIONS[kind], name),
            Snippet(kind, "metadata", {"name": name, "labels": ctx.labels}, name)]


def _config_map(ctx: RenderContext, agent: Agent, name: str) -> list[Snippet]:
    content = agent_config_map_data(agent)
    # Both keys always, possibly {}, as ConfigMapDataUtil writes them.
    return [*_manifest_head("ConfigMap", name, ctx),
            Snippet("ConfigMap", "data", content["data"], name),
            Snippet("ConfigMap", "binaryData", content["binaryData"], name)]


def _secret(ctx: RenderContext, agent: Agent, name: str) -> list[Snippet]:
    data = agent_secret_data(agent)
    if data is None:
        return []
    return [*_manifest_head("Secret", name, ctx), Snippet("Secret", "data", data, name)]


def _volume_mounts(agent: Agent, name: str) -> list[dict[str, Any]]:
    mounts: list[dict[str, Any]] = [
        {"name": volume.attach, "mountPath": volume.mount_path, "readOnly": volume.read_only}
        for volume in agent.volumes]
    if agent.props and _is_set(agent.props_volume_path):
        mounts.append({"name": _volume_name(name, "ConfigMap"), "mountPath": agent.props_volume_path,
                       "readOnly": True})
    if agent.secrets is not None and _is_set(agent.secrets_volume_path):
        mounts.append({"name": _volume_name(name, "Secret"), "mountPath": agent.secrets_volume_path,
                       "readOnly": True})
    return mounts


def _volume_name(resource: str, kind: str) -> str:
    # K8sResourceNameGenerator.getResourceVolumeName: normalize("<name>-<Kind>"), so lower case.
    return normalize(f"{resource}-{kind}")


def _pod_volumes(ctx: RenderContext) -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = []
    for agent in ctx.service.agents:
        name = agent_resource_name(ctx.service.name, agent.name)
        if agent.props:
            volumes.append({"name": _volume_name(name, "ConfigMap"), "configMap": {"name": name}})
        if agent.secrets is not None:
            # Added whatever the form, as HyScale does: list secrets point at the user's Secret.
            volumes.append({"name": _volume_name(name, "Secret"), "secret": {"secretName": name}})
    return volumes


def _container(ctx: RenderContext, index: int, agent: Agent, name: str) -> list[Snippet]:
    owner = ctx.owner_kind
    prefix = f"{POD_SPEC}.containers[{index}]"
    snippets = [Snippet(owner, f"{prefix}.name", agent.name),
                Snippet(owner, f"{prefix}.image", agent.image),
                Snippet(owner, f"{prefix}.imagePullPolicy", "Always")]
    env = env_vars(agent.props, agent.secrets, name)
    if env:
        snippets.append(Snippet(owner, f"{prefix}.env", env))
    ports = unique_ports(agent.ports)
    if ports:
        snippets.append(Snippet(owner, f"{prefix}.ports", [container_port(p) for p in ports]))
    check = probe(agent.ports)
    if check is not None:
        snippets += [Snippet(owner, f"{prefix}.readinessProbe", check),
                     Snippet(owner, f"{prefix}.livenessProbe", check)]
    # Always written, possibly [], as AgentVolumeMountBuilder does.
    snippets.append(Snippet(owner, f"{prefix}.volumeMounts", _volume_mounts(agent, name)))
    return snippets


def _service_ports(ctx: RenderContext) -> list[Snippet]:
    ports = [service_port(p) for agent in ctx.service.agents for p in unique_ports(agent.ports)]
    return [Snippet("Service", "spec.ports", ports)] if ports else []


def _contribute(ctx: RenderContext) -> list[Snippet]:
    if not ctx.service.agents:
        return []
    snippets: list[Snippet] = []
    for index, agent in enumerate(ctx.service.agents, start=1):
        name = agent_resource_name(ctx.service.name, agent.name)
        if agent.props:
            snippets += _config_map(ctx, agent, name)
        snippets += _secret(ctx, agent, name)
        snippets += _container(ctx, index, agent, name)
    snippets += _service_ports(ctx)
    # One list for all agents, appended after the service's own volumes (possibly []).
    snippets.append(Snippet(ctx.owner_kind, f"{POD_SPEC}.volumes", _pod_volumes(ctx)))
    return snippets


AGENTS = Plugin("AgentHandler", _contribute)
