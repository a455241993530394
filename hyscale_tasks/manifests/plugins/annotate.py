"""Annotations HyScale writes: the service spec on the workload, a config checksum on the pods.

The service-spec annotation holds the effective spec without secret values: HyScale drops the
service's ``secrets``; we also drop each sidecar's, which HyScale leaves in (§6.3, §11).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hyscale_tasks.labels import CHECKSUM_ANNOTATION, SERVICE_SPEC_ANNOTATION
from hyscale_tasks.manifests.base import (
    Plugin,
    RenderContext,
    Snippet,
)
from hyscale_tasks.manifests.config_data import config_map_data, secret_data
from hyscale_tasks.spec.model import redacted_spec


def _service_spec(ctx: RenderContext) -> list[Snippet]:
    text = json.dumps(redacted_spec(ctx.service.raw), separators=(",", ":"), ensure_ascii=False)
    return [Snippet(ctx.owner_kind, "metadata.annotations", {SERVICE_SPEC_ANNOTATION: text})]


def _pod_checksum(ctx: RenderContext) -> list[Snippet]:
    """A hash of everything mounted or injected from ConfigMaps and Secrets, so that a changed
    prop or secret changes the pod template and Kubernetes rolls the pods."""
    service = ctx.service
    parts: dict[str, Any] = {}
    if service.props:
        parts["prop"] = config_map_data(service.props, service.props_volume_path)
    if service.secrets is not None and service.secrets.values is not None:
        parts["secret"] = secret_data(service.secrets.values, service.secrets_volume_path)
    for agent in service.agents:
        if agent.props:
            parts[f"agentProps/{agent.name}"] = config_map_data(agent.props, agent.props_volume_path)
        if agent.secrets is not None and agent.secrets.values is not None:
            parts[f"agentSecrets/{agent.name}"] = secret_data(agent.secrets.values,
                                                              agent.secrets_volume_path)
    if not parts:
        return []
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True).encode(), usedforsecurity=False)
    return [Snippet(ctx.owner_kind, "spec.template.metadata.annotations",
                    {CHECKSUM_ANNOTATION: digest.hexdigest()})]


SERVICE_SPEC = Plugin("ServiceSpecAnnotationHandler", _service_spec)
POD_CHECKSUM = Plugin("PodAnnotationHandler", _pod_checksum)
