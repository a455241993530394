"""Image names: which registry a reference names, HyScale's local build tag, the registry name,
and the reference a deploy pins.

No docker import here: the render (manifests) reads these too, and it must run without Docker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyscale_tasks.docker_hub import DOCKER_HUB
from hyscale_tasks.stage_records import last_push


@dataclass(frozen=True)
class ImageName:
    """``registry/repository:tag`` split as the registry API needs it."""

    registry: str
    repository: str
    tag: str

    @property
    def reference(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"

    @property
    def host(self) -> str:
        """The registry's host: ``image.registry`` may carry a namespace (``host/team``)."""
        return self.registry.split("/", 1)[0]

    @property
    def api_repository(self) -> str:
        """The repository path the registry API knows: namespace included."""
        namespace = self.registry.partition("/")[2]
        return f"{namespace}/{self.repository}" if namespace else self.repository

    @classmethod
    def parse(cls, reference: str) -> ImageName:
        registry, _, rest = reference.partition("/")
        repository, _, tag = rest.rpartition(":")
        return cls(registry, repository, tag)


def split_registry(reference: str) -> tuple[str, str]:
    """The registry an image reference names, and the rest of it, as docker reads them: the
    first component when it is a host (it has a ``.`` or a ``:``, or is ``localhost``), else
    Docker Hub. ``host:5000/team/app:1`` -> (``host:5000``, ``team/app:1``); ``team/app`` and
    ``busybox:1.36`` -> (``docker.io``, the reference as it is)."""
    first, slash, rest = reference.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return DOCKER_HUB, reference


def local_tag(app: str, service: str, tag: str | None) -> str:
    """HyScale's intermediate tag: ``hyscale.io/<app>/<service>[:<tag>]``."""
    name = f"hyscale.io/{app}/{service}".replace(" ", "").lower()
    return f"{name}:{tag}" if tag else name


def target_name(image: dict[str, Any]) -> ImageName:
    """Where the service image is pushed: ``image.registry/image.name:image.tag``."""
    tag = str(image.get("tag") or "latest")
    registry = str(image.get("registry") or DOCKER_HUB).rstrip("/")
    return ImageName(registry.lower(), str(image["name"]).replace(" ", "").lower(), tag)


def pinned_reference(image: dict[str, Any], push_record: Path) -> str | None:
    """``registry/name:tag@sha256:...`` when the push record is for this very image name."""
    pushed = last_push(push_record)
    if pushed is None or not pushed.get("digest") or not image.get("name"):
        return None
    target = target_name(image)
    if (pushed.get("registry"), pushed.get("repository"), pushed.get("tag")) != \
            (target.registry, target.repository, target.tag):
        return None
    return f"{target.reference}@{pushed['digest']}"
