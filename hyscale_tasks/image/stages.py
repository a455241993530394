"""The ``build`` and ``push`` stages of one service, from its build-spec record to theirs.

Build record (``state/build.json``, :class:`~hyscale_tasks.stage_records.BuildRecord`): the
decision, the image's registry name, the input digest (image/inputs.py), for a user Dockerfile
the digest of the build context, and where the image is: ``source`` "built" or "pulled" (in the
local engine: ``imageId``, ``localTag``) or "registry" (found there by image/reuse.py, never
built here: ``imageId`` is the registry's config digest, ``registryDigest`` what the tag
resolves to, and the local engine may not have it). Push record (``state/push.json``,
``PushRecord``): the image id, registry, repository, tag and digest; for an image found in the
registry, the digest it serves, nothing pushed. ``note`` in either says
what the registry's answer changed, for the reporters (tasks/reasons.py). Both are written only
when their content changes, so an unchanged image stops the chain.

The docker SDK (~0.1 s to import) comes with image/engine.py, imported where the engine is first
used: a build reads its inputs and asks the registry while it is imported in the background
(tasks/warmup.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from hyscale_tasks import lines
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.image import registry, reuse
from hyscale_tasks.image.credentials import RegistryCredentials, find_credentials
from hyscale_tasks.image.inputs import INPUTS_LABEL
from hyscale_tasks.image.names import ImageName, local_tag, target_name
from hyscale_tasks.image.remote import RemoteImage
from hyscale_tasks.image.streams import StreamLog
from hyscale_tasks.paths import ServicePaths
from hyscale_tasks.stage_records import (
    BuildRecord,
    BuildSpecRecord,
    ImageLocation,
    PushRecord,
    decide,
    last_build,
    last_push,
    read_build,
    read_build_spec,
    write_build,
    write_push,
)


def run_build(build_spec_record: Path, dockerfiles: Path, record: Path, context_cache: Path,
              log_path: Path, verbose: bool) -> None:
    spec = read_build_spec(build_spec_record)
    image = spec["image"]
    decision = decide(image)
    target = target_name(image) if image.get("name") else None
    result: BuildRecord = {"decision": decision,
                           "target": target.reference if target else None,
                           "push": [target.registry, target.repository, target.tag]
                           if target else None}
    if decision == "prebuilt-image":
        write_build(record, result)  # nothing to build: the image exists already
        return
    inputs = reuse.build_inputs(spec, decision, dockerfiles, context_cache)
    result["inputs"] = inputs.digest
    if decision == "user-dockerfile":
        result["contextDigest"] = inputs.context_digest
    with StreamLog(log_path, verbose) as log:
        found, pushed = reuse.Found(), last_push(_push_record(record))
        if target is not None and not _built_here(last_build(record), inputs.digest):
            found = reuse.look_in_registry(target, inputs, pushed, log)
        if found.image is not None and _pushed_from_here(pushed, found.image):
            # Our own push of an image this engine still has (the build record was lost):
            # recorded as built, as it was, so the push and what follows stay as they are.
            result = {**result, **_here(spec, inputs, str(found.image.image_id))}
            found = reuse.Found()
        elif found.image is not None:  # (found only with its config, so with an image id)
            result = {**result, "source": "registry", "imageId": str(found.image.image_id),
                      "registryDigest": found.image.digest}
        else:
            result = {**result, **_make(spec, inputs, log)}
    if found.note:
        result["note"] = found.note
        if not verbose:  # else the build log's echo said it already
            _say(found.note)
    write_build(record, result)


def _make(spec: BuildSpecRecord, inputs: reuse.BuildInputs, log: StreamLog) -> ImageLocation:
    """Build (or, for a stack image as is, pull) the image here; its part of the record."""
    from hyscale_tasks.image import engine  # (the docker SDK: module doc)

    client = engine.connect()
    if inputs.decision == "stack-image":
        return _here(spec, inputs, engine.pull(client, str(inputs.stack_image), log))
    assert inputs.context is not None and inputs.dockerfile is not None
    request = engine.BuildRequest(inputs.context, inputs.dockerfile, _local_tag(spec),
                                  inputs.buildargs or {}, inputs.target,
                                  {INPUTS_LABEL: inputs.digest},
                                  generated=inputs.decision == "generate")
    return _here(spec, inputs, engine.build(client, request, log))


def _here(spec: BuildSpecRecord, inputs: reuse.BuildInputs, image_id: str) -> ImageLocation:
    """The record's part for an image in the local engine."""
    if inputs.decision == "stack-image":
        return {"source": "pulled", "imageId": image_id}
    return {"source": "built", "imageId": image_id, "localTag": _local_tag(spec)}


def _local_tag(spec: BuildSpecRecord) -> str:
    return local_tag(spec["app"], spec["service"], spec["image"].get("tag"))


def _pushed_from_here(pushed: PushRecord | None, remote: RemoteImage) -> bool:
    """``remote`` is what this service last pushed from this engine, and the engine has it."""
    if pushed is None or pushed.get("source") == "registry" or not remote.image_id \
            or pushed.get("imageId") != remote.image_id \
            or pushed.get("digest") not in remote.digests:
        return False
    try:
        from hyscale_tasks.image import engine  # (the docker SDK: module doc)

        return engine.image_exists(engine.connect(), remote.image_id)
    except HyscaleError:  # no engine: the registry's image is the one to use
        return False


def _push_record(build_record: Path) -> Path:
    return ServicePaths(build_record.parent.parent).push_record


def _built_here(previous: BuildRecord | None, inputs: str) -> bool:
    """The last build made an image of these very inputs in this engine, and it is still there:
    build again as always (docker's cache gives the same image), no registry read."""
    if previous is None or previous.get("inputs") != inputs or \
            previous.get("source") not in ("built", "pulled") or not previous.get("imageId"):
        return False
    from hyscale_tasks.image import engine  # (the docker SDK: module doc)

    return engine.image_exists(engine.connect(), str(previous["imageId"]))


def _say(note: str) -> None:
    lines.info(note)


def run_push(build_record: Path, record: Path, log_path: Path, verbose: bool) -> None:
    built = read_build(build_record)
    if built["decision"] == "prebuilt-image":
        write_push(record, {"decision": built["decision"], "reference": built["target"]})
        return
    push = built.get("push")
    # (the target is None only for an image without a name, which the spec stage refuses)
    target = ImageName(*push) if push else ImageName.parse(cast(str, built["target"]))
    credentials = find_credentials(target.host)
    if built.get("source") == "registry":
        _record_registry_image(built, target, credentials, record, log_path)
        return
    from hyscale_tasks.image import engine  # (the docker SDK: module doc)

    if credentials is None:
        raise engine.missing_login(target.host)
    # Asked first, with our own deadline: a registry that is down says so, in seconds, where
    # the engine's login check would call it a login failure after its own, longer timeout.
    registry.ping(target)
    client = engine.connect()
    engine.check_login(client, credentials)
    with engine.around_push(client, f"{target.registry}/{target.repository}", target.tag,
                            built["imageId"]), StreamLog(log_path, verbose) as log:
        digest = engine.push(client, built["imageId"], target, credentials, log)
    write_push(record, {
        "decision": built["decision"], "imageId": built["imageId"],
        "registry": target.registry, "repository": target.repository, "tag": target.tag,
        "digest": digest, "reference": f"{target.reference}@{digest}"})


def _record_registry_image(built: BuildRecord, target: ImageName,
                           credentials: RegistryCredentials | None, record: Path,
                           log_path: Path) -> None:
    """The build found this image in the registry: nothing to push, no Docker engine to ask.
    One read says the tag still is that image (it may have moved since the build looked)."""
    digest = str(built["registryDigest"])
    served = registry.served_digest(target, credentials)
    if served != digest:
        raise HyscaleError(
            f"{target.reference} changed in the registry since the build stage found it there "
            f"({digest}; now {served or 'no such tag'}), and this image was not built here.",
            "run the same command again: the build stage builds it or finds it anew.")
    note = f"{reuse.IN_REGISTRY} ({digest}): {target.reference}; nothing pushed"
    with StreamLog(log_path, False) as log:
        log.write(note)
    _say(note)
    write_push(record, {
        "decision": built["decision"], "imageId": built["imageId"], "source": "registry",
        "registry": target.registry, "repository": target.repository, "tag": target.tag,
        "digest": digest, "reference": f"{target.reference}@{digest}", "note": note})
