"""The ``build`` and ``push`` stages of one service, from its build record to theirs.

Build record (``state/build.json``): the decision, the local image id, the local tag, the
image's registry name and, for a user Dockerfile, the digest of the build context. Push record
(``state/push.json``): the image id pushed, registry, repository, tag and digest. Both are
written only when their content changes, so an unchanged image stops the chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyscale_tasks.dockerfile.generate import decide
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.files import Shape, read_json, write_json_if_changed
from hyscale_tasks.image import build as builder
from hyscale_tasks.image import push as pusher
from hyscale_tasks.image import registry
from hyscale_tasks.image.cleanup import clean_up
from hyscale_tasks.image.client import connect
from hyscale_tasks.image.context import context_digest
from hyscale_tasks.image.credentials import find_credentials
from hyscale_tasks.image.names import DOCKER_HUB, ImageName, local_tag, target_name
from hyscale_tasks.image.streams import StreamLog
from hyscale_tasks.spec.records import BUILD_RECORD
from hyscale_tasks.spec.references import user_dockerfile

BUILT: Shape = {"decision": str}  # state/build.json, as the push stage reads it


def user_build(build_record: dict[str, Any]) -> tuple[Path, Path]:
    found = user_dockerfile({"image": build_record["image"]}, Path(build_record["specDir"]))
    if found is None:
        raise HyscaleError("image.dockerfile is missing from the build record")
    context, dockerfile = found
    return context.path, dockerfile.path


def user_context_digest(build_record: dict[str, Any], cache: Path) -> str:
    context, dockerfile = user_build(build_record)
    return context_digest(context, dockerfile, cache)


def run_build(build_spec: Path, dockerfiles: Path, record: Path, context_cache: Path,
              log_path: Path, verbose: bool) -> None:
    spec = read_json(build_spec, BUILD_RECORD)
    image = spec["image"]
    decision = decide(image)
    target = target_name(image) if image.get("name") else None
    result: dict[str, Any] = {"decision": decision,
                              "target": target.reference if target else None,
                              "push": [target.registry, target.repository, target.tag]
                              if target else None}
    if decision == "prebuilt-image":
        write_json_if_changed(record, result)  # nothing to build: the image exists already
        return
    client = connect()
    tag = local_tag(spec["app"], spec["service"], image.get("tag"))
    with StreamLog(log_path, verbose) as log:
        if decision == "stack-image":
            result["imageId"] = builder.pull(client, str(image["buildSpec"]["stackImage"]), log)
        else:
            if decision == "generate":
                context, dockerfile = dockerfiles, dockerfiles / "Dockerfile"
            else:
                context, dockerfile = user_build(spec)
                result["contextDigest"] = context_digest(context, dockerfile, context_cache)
            settings = image.get("dockerfile") or {}
            request = builder.BuildRequest(
                context, dockerfile, tag,
                {str(k): str(v) for k, v in (settings.get("args") or {}).items()},
                settings.get("target"))
            result["imageId"] = builder.build(client, request, log)
            result["localTag"] = tag
    write_json_if_changed(record, result)


def run_push(build_record: Path, record: Path, log_path: Path, verbose: bool) -> None:
    built = read_json(build_record, BUILT)
    if built["decision"] == "prebuilt-image":
        write_json_if_changed(record, {"decision": built["decision"], "reference": built["target"]})
        return
    target = ImageName(*built["push"]) if built.get("push") else ImageName.parse(built["target"])
    credentials = find_credentials(target.host if target.host != DOCKER_HUB else None)
    if credentials is None:
        raise pusher.missing_login(target.host)
    # Asked first, with our own deadline: a registry that is down says so, in seconds, where
    # the engine's login check would call it a login failure after its own, longer timeout.
    registry.ping(target)
    client = connect()
    pusher.check_login(client, credentials)
    with StreamLog(log_path, verbose) as log:
        digest = pusher.push(client, built["imageId"], target, credentials, log)
    clean_up(client, f"{target.registry}/{target.repository}", target.tag)
    write_json_if_changed(record, {
        "decision": built["decision"], "imageId": built["imageId"],
        "registry": target.registry, "repository": target.repository, "tag": target.tag,
        "digest": digest, "reference": f"{target.reference}@{digest}"})

