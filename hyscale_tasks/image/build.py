"""``docker build`` through the SDK, streamed to logs/build.log (HyScale §5.1 step 5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import docker

from hyscale_tasks.image.client import DockerError, docker_errors
from hyscale_tasks.image.streams import StreamLog, follow

OWNER_LABEL = {"imageowner": "hyscale"}  # HyScale's label: the cleanup policy finds our images by it


@dataclass(frozen=True)
class BuildRequest:
    context: Path
    dockerfile: Path
    local_tag: str  # hyscale.io/<app>/<service>[:<tag>]
    buildargs: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # besides OWNER_LABEL: the input digest


def build(client: docker.DockerClient, request: BuildRequest, log: StreamLog) -> str:
    """Build the image and return its id; the log holds every line docker printed."""
    try:
        dockerfile = str(request.dockerfile.relative_to(request.context))
    except ValueError:
        dockerfile = str(request.dockerfile)
    log.write(f"docker build -t {request.local_tag} -f {dockerfile} {request.context}")
    with docker_errors(f"build {request.local_tag}"):
        events = client.api.build(
            path=str(request.context), dockerfile=dockerfile, tag=request.local_tag,
            buildargs=request.buildargs or None, target=request.target,
            labels={**OWNER_LABEL, **request.labels},
            rm=True, forcerm=True, decode=True)
        aux = follow(events, log, f"build image {request.local_tag}")
        image_id = next((str(item["ID"]) for item in reversed(aux) if "ID" in item), None)
        if image_id is None:  # older engines only print "Successfully built <id>"
            image_id = str(client.images.get(request.local_tag).id)
    if not image_id:
        raise DockerError(f"docker build of {request.local_tag} reported no image id")
    return image_id


def pull(client: docker.DockerClient, reference: str, log: StreamLog) -> str:
    """Pull ``reference`` (a stack image used as the service image) and return its id."""
    repository, _, tag = reference.rpartition(":")
    if "/" in tag or not repository:
        repository, tag = reference, "latest"
    log.write(f"docker pull {reference}")
    with docker_errors(f"pull {reference}"):
        follow(client.api.pull(repository, tag=tag, stream=True, decode=True), log,
               f"pull image {reference}")
        return str(client.images.get(reference).id)


def image_exists(client: docker.DockerClient, image_id: str) -> bool:
    with docker_errors("look up a local image"):
        try:
            client.images.get(image_id)
        except docker.errors.ImageNotFound:
            return False
    return True
