"""Whether the registry already has the image a build would make: a fresh CI runner builds nothing.

A runner with an empty HYSCALE_HOME and an empty Docker engine has no record of any build, and a
rebuild gives a new digest (image configs carry creation times), so without this every service
would be rebuilt, pushed and redeployed although nothing changed. Before building, the build
stage computes its input digest (image/inputs.py) and asks the registry what the service's
``registry/name:tag`` is (image/remote.py):

* the tag's image carries the same ``io.hyscale.inputs`` label: no build, no push; the records
  say the image is only in the registry, and the manifests pin the digest the registry serves;
* no such tag, no label, or another input digest: build (and push) as always. A label is never
  assumed: an image pushed by another tool, or by someone else under our tag, is replaced.

A stack image used as it is cannot carry a label; there the registry's tag must be the very
manifest the stack reference resolves to. A registry that cannot be asked (down, refused login)
only costs the build it would have saved: the build goes on, as it did before this existed.
``HYS_REUSE_REGISTRY_IMAGES=false`` turns the probe off (always build, today's behaviour).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.image.context import context_digest
from hyscale_tasks.image.credentials import find_credentials
from hyscale_tasks.image.inputs import INPUTS_LABEL, inputs_digest
from hyscale_tasks.image.names import ImageName, split_registry
from hyscale_tasks.image.remote import RemoteImage, remote_image
from hyscale_tasks.spec.references import user_dockerfile
from hyscale_tasks.stage_records import BuildDecision, BuildSpecRecord, PushRecord

if TYPE_CHECKING:  # (for the annotations only: a no-op check writes no stream log)
    from hyscale_tasks.image.streams import StreamLog

IN_REGISTRY = "image for these inputs already in the registry"


@dataclass(frozen=True)
class BuildInputs:
    """What one build reads, and its digest (the label of the image it makes)."""

    decision: BuildDecision  # never "prebuilt-image": nothing is built
    digest: str
    context: Path | None = None
    dockerfile: Path | None = None
    context_digest: str | None = None
    buildargs: dict[str, str] | None = None
    target: str | None = None
    stack_image: str | None = None


def build_inputs(spec: BuildSpecRecord, decision: BuildDecision, dockerfiles: Path,
                 cache: Path) -> BuildInputs:
    """The inputs of the build ``spec`` (the spec stage's build-spec record) asks for."""
    image = spec["image"]
    stack = (image.get("buildSpec") or {}).get("stackImage")
    stack = str(stack) if stack else None
    if decision == "stack-image":
        return BuildInputs(decision, inputs_digest(decision, None, None, None, stack),
                           stack_image=stack)
    if decision == "generate":
        context, dockerfile = dockerfiles, dockerfiles / "Dockerfile"
    else:
        context, dockerfile = user_build(spec)
    digest = context_digest(context, dockerfile, cache)
    settings = image.get("dockerfile") or {}
    buildargs = {str(k): str(v) for k, v in (settings.get("args") or {}).items()}
    target = settings.get("target")
    return BuildInputs(decision, inputs_digest(decision, digest, buildargs, target, stack),
                       context, dockerfile, digest, buildargs, target, stack)


def user_build(build_spec: BuildSpecRecord) -> tuple[Path, Path]:
    """The context folder and the Dockerfile of a user Dockerfile build."""
    found = user_dockerfile({"image": build_spec["image"]}, Path(build_spec["specDir"]))
    if found is None:
        raise HyscaleError("image.dockerfile is missing from the build record")
    context, dockerfile = found
    return context.path, dockerfile.path


def user_context_digest(build_spec: BuildSpecRecord, cache: Path) -> str:
    """The digest of a user Dockerfile's build context, as the build stage records it."""
    context, dockerfile = user_build(build_spec)
    return context_digest(context, dockerfile, cache)


@dataclass(frozen=True)
class Found:
    """What the registry said: ``image`` to use instead of building (None: build), and a
    sentence for the user when it matters (why nothing was built, or why the tag is replaced)."""

    image: RemoteImage | None = None
    note: str | None = None


def enabled() -> bool:
    return os.environ.get("HYS_REUSE_REGISTRY_IMAGES", "").strip().lower() not in \
        ("0", "false", "no", "off")


def look_in_registry(target: ImageName, inputs: BuildInputs, last_push: PushRecord | None,
                     log: StreamLog) -> Found:
    """Ask the registry for ``target``; see the module doc. ``last_push`` is this service's push
    record, if any: the registry's tag being our own earlier push is no news worth a note."""
    if not enabled():
        return Found()
    try:
        credentials = find_credentials(target.host)
        if inputs.decision == "stack-image":
            remote = remote_image(target, credentials, with_config=False)
            stack = _stack_image(inputs.stack_image) if remote is not None else None
            return _same_as_stack(target, remote, stack, inputs, last_push, log)
        remote = remote_image(target, credentials)
    except HyscaleError as exc:  # down, refused login: the build goes on without the registry
        log.write(f"registry not asked whether {target.reference} has these inputs: "
                  f"{str(exc).splitlines()[0]}")
        return Found()
    if remote is None:
        log.write(f"{target.reference} is not in the registry yet: building it")
        return Found()
    if remote.inputs == inputs.digest and remote.image_id:
        return _found(target, remote, "nothing built", log)
    if last_push is not None and last_push.get("digest") in remote.digests:
        log.write(f"{target.reference} in the registry is this service's last push, of other "
                  "inputs: building it")
        return Found()
    said = f"was built from other inputs ({remote.inputs})" if remote.inputs else \
        f"does not say what it was built from (no {INPUTS_LABEL} label)"
    return _replaced(target, remote, f"{said}: building this service's image", log)


def _same_as_stack(target: ImageName, remote: RemoteImage | None, stack: RemoteImage | None,
                   inputs: BuildInputs, last_push: PushRecord | None, log: StreamLog) -> Found:
    if remote is None:
        log.write(f"{target.reference} is not in the registry yet: pulling the stack image")
        return Found()
    if stack is not None and remote.digests & stack.digests and remote.image_id:
        return _found(target, remote, f"it is the stack image {inputs.stack_image}; nothing pulled",
                      log)
    if stack is None or (last_push is not None and last_push.get("digest") in remote.digests):
        log.write(f"{target.reference} is not the stack image {inputs.stack_image} as the "
                  "registry serves it now: pulling it")
        return Found()
    return _replaced(target, remote, f"is not the stack image {inputs.stack_image}: pulling it",
                     log)


def _found(target: ImageName, remote: RemoteImage, then: str, log: StreamLog) -> Found:
    note = f"{IN_REGISTRY} ({remote.digest}): {target.reference}; {then}"
    log.write(note)
    return Found(remote, note)


def _replaced(target: ImageName, remote: RemoteImage, said: str, log: StreamLog) -> Found:
    note = f"the registry's {target.reference} ({remote.digest}) {said}, and the push replaces it"
    log.write(note)
    return Found(None, note)


def _stack_image(reference: str | None) -> RemoteImage | None:
    """The registry's image for the stack reference, None when it cannot be asked or lacks it."""
    if not reference:
        return None
    name = stack_name(reference)
    try:
        return remote_image(name, find_credentials(name.host), with_config=False)
    except HyscaleError:
        return None


def stack_name(reference: str) -> ImageName:
    """``busybox:1.36`` -> docker.io/library/busybox:1.36, ``host:5000/a/b@sha256:..`` -> a
    name whose "tag" is the digest (the registry API takes either), as docker resolves them."""
    rest, at, digest = reference.partition("@")
    registry, path = split_registry(rest)
    if "/" not in rest:  # a name alone: one of Docker Hub's official images
        path = f"library/{path}"
    repository, colon, tag = path.rpartition(":")
    if not colon or "/" in tag:
        repository, tag = path, "latest"
    return ImageName(registry, repository, digest if at else tag)
