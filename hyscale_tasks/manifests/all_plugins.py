"""The ordered list of manifest plugins: HyScale's plugins.txt, checked by the type checker.

Order matters where plugins write the same list (service ports before agent ports, service
volumes before agent volumes) and where a later plugin replaces a node (the Ingress metadata).
"""

from __future__ import annotations

from hyscale_tasks.manifests.base import Plugin
from hyscale_tasks.manifests.plugins import (
    agents,
    annotate,
    autoscaling,
    config,
    labels,
    load_balancer,
    metadata,
    network_policy,
    pull_secret,
    workload,
)

PLUGINS: tuple[Plugin, ...] = (
    pull_secret.IMAGE_PULL_SECRET,
    metadata.METADATA,
    config.CONFIG_MAP_DATA,
    config.SECRETS_DATA,
    workload.REPLICAS,
    workload.SELECTOR_LABELS,
    workload.POD_LABELS,
    config.VOLUMES,
    workload.START_COMMAND,
    workload.CONTAINER_NAME,
    workload.IMAGE,
    config.POD_ENV,
    config.VOLUME_MOUNTS,
    workload.PORTS,
    workload.HEALTH_CHECKS,
    workload.RESOURCE_LIMITS,
    workload.VOLUME_TEMPLATES,
    workload.SERVICE_TYPE,
    annotate.SERVICE_SPEC,
    autoscaling.AUTOSCALING,
    agents.AGENTS,
    labels.LABELS_ADDON,
    annotate.POD_CHECKSUM,
    load_balancer.LOAD_BALANCER,
    network_policy.NETWORK_POLICIES,
)

PLUGIN_NAMES: tuple[str, ...] = tuple(plugin.name for plugin in PLUGINS)
