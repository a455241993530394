"""The plugin contract: what a plugin is given, and the snippets it returns.

A plugin reads the fields it knows from :class:`RenderContext` and returns :class:`Snippet`s:
a value, the kind and name of the manifest it belongs to, and a dotted path inside it
(``spec.template.spec.containers[0].ports``). Plugins never see each other's output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hyscale_tasks.labels import APP_LABEL, ENV_LABEL, SERVICE_LABEL
from hyscale_tasks.spec.model import ServiceSpec
from hyscale_tasks.spec.names import label_value, normalize

CONTAINER = "spec.template.spec.containers[0]"
POD_SPEC = "spec.template.spec"

API_VERSIONS: dict[str, str] = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Ingress": "networking.k8s.io/v1",
    "Gateway": "networking.istio.io/v1beta1",
    "VirtualService": "networking.istio.io/v1beta1",
    "DestinationRule": "networking.istio.io/v1beta1",
}


@dataclass(frozen=True)
class Snippet:
    """``value`` goes at ``path`` in manifest (``kind``, ``name``); name None is the default one."""

    kind: str
    path: str
    value: Any
    name: str | None = None


@dataclass(frozen=True)
class PullSecret:
    """Registry credentials for the image pull secret; ``auth`` is base64 of ``user:password``."""

    registry: str
    auth: str

    @property
    def name(self) -> str:
        """The Secret's name: the registry, normalized (``registry-hub-docker-com``)."""
        return normalize(self.registry)


@dataclass
class RenderContext:
    app: str
    environment: str
    service: ServiceSpec
    image_ref: str
    pull_secret: PullSecret | None
    warnings: list[str] = field(default_factory=list)

    @property
    def owner_kind(self) -> str:
        """The pod owner: a StatefulSet when the service has volumes, else a Deployment."""
        return "StatefulSet" if self.service.volumes else "Deployment"

    @property
    def service_name(self) -> str:
        return normalize(self.service.name)

    @property
    def app_service_name(self) -> str:
        """Name of the ConfigMap, Secret, HPA and NetworkPolicy: ``<app>-<service>``."""
        return f"{normalize(self.app)}-{normalize(self.service.name)}"

    @property
    def labels(self) -> dict[str, str]:
        return {APP_LABEL: label_value(self.app), ENV_LABEL: label_value(self.environment),
                SERVICE_LABEL: label_value(self.service.name)}

    @property
    def custom_labels(self) -> dict[str, str]:
        """Extra labels from the spec's optional ``labels`` map (an hspec extension of ours)."""
        extra = self.service.raw.get("labels")
        if not isinstance(extra, dict):
            return {}
        return {str(key): label_value(str(value)) for key, value in extra.items()}

    @property
    def has_service(self) -> bool:
        """A Service is generated when the service or one of its sidecars declares a port."""
        return bool(self.service.ports) or any(agent.ports for agent in self.service.agents)

    def default_manifests(self) -> list[tuple[str, str]]:
        """(kind, name) of each manifest that carries HyScale's default metadata."""
        found = [(self.owner_kind, self.service_name)]
        service = self.service
        if service.props:
            found.append(("ConfigMap", self.app_service_name))
        if service.secrets is not None and service.secrets.values is not None:
            found.append(("Secret", self.app_service_name))
        if self.has_service:
            found.append(("Service", self.service_name))
        if service.replicas is not None and service.replicas.autoscaled:
            found.append(("HorizontalPodAutoscaler", self.app_service_name))
        if service.has_network_policy:
            found.append(("NetworkPolicy", self.app_service_name))
        return found

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class Plugin(NamedTuple):
    name: str
    contribute: Callable[[RenderContext], list[Snippet]]
