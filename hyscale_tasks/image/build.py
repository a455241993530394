"""``docker build`` through the SDK, streamed to logs/build.log (HyScale §5.1 step 5).

The image's labels (HyScale's ``imageowner=hyscale`` and the inputs digest) cost a build step
each: the engine's classic builder, the only one the SDK drives, appends one ``LABEL``
instruction per ``--label``, and each is a container created and committed (~85 ms here). For a
Dockerfile the tool generated, the engine is sent that Dockerfile with one ``LABEL`` line for all
of them at the end instead (the SDK puts a Dockerfile from outside the context into the context
it sends, and keeps it out of ``COPY .``); the image and its labels are the same. A user's
Dockerfile is sent as it is, with the labels as build options, as HyScale does.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import docker

from hyscale_tasks.image.client import docker_errors
from hyscale_tasks.image.streams import DockerError, StreamLog, follow

OWNER_LABEL = {"imageowner": "hyscale"}  # HyScale's label: the cleanup policy finds our images by it


@dataclass(frozen=True)
class BuildRequest:
    context: Path
    dockerfile: Path
    local_tag: str  # hyscale.io/<app>/<service>[:<tag>]
    buildargs: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # besides OWNER_LABEL: the input digest
    generated: bool = False  # the tool wrote the Dockerfile: its labels go in as one step


def build(client: docker.DockerClient, request: BuildRequest, log: StreamLog) -> str:
    """Build the image and return its id; the log holds every line docker printed."""
    try:
        dockerfile = str(request.dockerfile.relative_to(request.context))
    except ValueError:
        dockerfile = str(request.dockerfile)
    log.write(f"docker build -t {request.local_tag} -f {dockerfile} {request.context}")
    labels = {**OWNER_LABEL, **request.labels}
    with docker_errors(f"build {request.local_tag}"), \
            _labelled(request, dockerfile, labels) as (sent_dockerfile, label_options):
        events = client.api.build(
            path=str(request.context), dockerfile=sent_dockerfile, tag=request.local_tag,
            buildargs=request.buildargs or None, target=request.target,
            labels=label_options, rm=True, forcerm=True, decode=True)
        aux = follow(events, log, f"build image {request.local_tag}")
        image_id = next((str(item["ID"]) for item in reversed(aux) if "ID" in item), None)
        if image_id is None:  # older engines only print "Successfully built <id>"
            image_id = str(client.images.get(request.local_tag).id)
    if not image_id:
        raise DockerError(f"docker build of {request.local_tag} reported no image id")
    return image_id


@contextmanager
def _labelled(request: BuildRequest, dockerfile: str,
              labels: dict[str, str]) -> Iterator[tuple[str, dict[str, str] | None]]:
    """The Dockerfile to send and the labels to pass as build options (module doc)."""
    line = _label_line(labels)
    if not request.generated or request.target is not None or line is None:
        # (with a target, a line at the end would label the last stage, not the target)
        yield dockerfile, labels
        return
    text = request.dockerfile.read_text()
    with tempfile.TemporaryDirectory(prefix="hyscale-build-") as folder:
        sent = Path(folder) / "Dockerfile"
        ending = "" if text.endswith("\n") else "\n"
        sent.write_text(f"{text}{ending}{line}\n")
        yield str(sent), None


def _label_line(labels: dict[str, str]) -> str | None:
    """One ``LABEL`` instruction for all of ``labels``; None when a value would need escaping
    (the instruction expands ``$`` and backslashes, a build option does not)."""
    if any(set(text) & {"$", "\\", '"', "\n"} for item in labels.items() for text in item):
        return None
    return "LABEL " + " ".join(f"{json.dumps(k)}={json.dumps(v)}" for k, v in labels.items())


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
