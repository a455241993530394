"""The stage records of a service (``$HYSCALE_HOME/apps/<app>/<service>/state/``): what each one
holds, and the only code that reads or writes them.

Each stage leaves a record that later stages and the up-to-date probes read:

- ``build-spec.json`` (:class:`BuildSpecRecord`, the spec stage): what the Dockerfile and the
  image depend on; the dockerfile and build stages read it.
- ``deploy-spec.json`` (:class:`DeploySpecRecord`, the spec stage): what the manifests depend
  on; the manifests and deploy stages read it.
- ``build.json`` (:class:`BuildRecord`, the build stage): the build decision and where the
  image is; the push stage reads it.
- ``push.json`` (:class:`PushRecord`, the push stage): what was pushed, by digest; the manifests
  pin it.
- ``deploy.json`` (:class:`DeployRecord`, the deploy stage): what was applied, for the in-sync
  check and the next deploy's prune.
- ``dockerfile.json`` and ``manifests.json``: the index of the folder the stage wrote
  (files.write_output_set), plus the build decision (:class:`DockerfileRecord`) or the image
  reference the manifests name (:class:`ManifestsRecord`).
- ``context-hashes.json`` (:class:`ContextHashes`, the build stage): the hashes of a build
  context's files (image/context.py), so a no-op check hashes no file again.
- ``status.json`` (:class:`StatusRecord`, the ``status`` tasks; ``app-status`` writes one for the
  app beside the services' folders): the statuses last found in the cluster. Nothing reads it.

Their file names and folders are in paths.py.

The on-disk form is the JSON of these dicts, key order included: a record an older version wrote
reads the same, and an unchanged record is not written again (files.write_if_changed). Two kinds
of read: ``read_*`` for a stage that needs the record (a missing one is the ``OSError`` it is, a
damaged one a :class:`~hyscale_tasks.errors.CorruptRecordError` naming the fix), and ``last_*``
for a probe or a comparison, where a missing or damaged record only means "nothing recorded".
Fields an older version may not have written are ``NotRequired`` and read with ``.get``. The
spec and build records are checked on every read for the fields their readers index; the push
and deploy records are not: their readers (probes, the prune) take each field with ``.get`` and
a record without it for none, as they did before the records had types. The context hashes
are only a cache, never trusted for shape: image/context.py checks each field it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict, cast

from hyscale_tasks.files import INDEX, Shape, read_json, write_json_if_changed

# How the service's image comes about (:func:`decide`).
BuildDecision = Literal["generate", "user-dockerfile", "stack-image", "prebuilt-image"]
# Where the built image is: in the local engine ("built", "pulled") or only in the registry,
# found there for these inputs and never built here (image/reuse.py).
ImageSource = Literal["built", "pulled", "registry"]


class BuildSpecRecord(TypedDict):
    """``state/build-spec.json``: the build half of the validated spec."""

    app: str
    service: str
    specFile: str
    specDir: str
    image: dict[str, Any]
    buildFiles: list[dict[str, Any]]  # spec/build_files.py record_entry


class DeploySpecRecord(TypedDict):
    """``state/deploy-spec.json``: the deploy half, with the content of the files it names."""

    app: str
    service: str
    environment: str
    specFile: str
    spec: dict[str, Any]  # the merged spec, as the manifest plugins read it
    files: dict[str, str]  # file() prop argument -> its content, base64
    snippets: list[dict[str, Any]]  # k8s snippets: file, field, docs


class ImageLocation(TypedDict, total=False):
    """The part of a build record that says where the image is."""

    source: ImageSource
    imageId: str  # for "registry": the registry's config digest
    localTag: str  # "built" only: HyScale's intermediate tag
    registryDigest: str  # "registry" only: what the tag resolved to


class BuildRecord(ImageLocation):
    """``state/build.json``. A prebuilt image has only the first three fields."""

    decision: BuildDecision
    target: str | None  # registry/name:tag, None for an image without a name
    push: list[str] | None  # [registry, repository, tag] of the target
    inputs: NotRequired[str]  # the digest of what the image is built from (image/inputs.py)
    contextDigest: NotRequired[str | None]  # a user Dockerfile's build context
    note: NotRequired[str]  # what the registry's answer changed, for the reporters


class PushRecord(TypedDict):
    """``state/push.json``. A prebuilt image has only ``decision`` and ``reference``; an image
    the build found in the registry has ``source`` "registry" and a ``note``: nothing pushed."""

    decision: BuildDecision
    reference: str | None  # registry/name:tag@digest (a prebuilt image: as the spec names it)
    imageId: NotRequired[str]
    source: NotRequired[Literal["registry"]]
    registry: NotRequired[str]
    repository: NotRequired[str]
    tag: NotRequired[str]
    digest: NotRequired[str]
    note: NotRequired[str]


class DeployRecord(TypedDict):
    """``state/deploy.json``: what the last deploy applied and whether its rollout finished."""

    namespace: str
    context: str
    app: str
    appLabel: str
    objects: list[dict[str, Any]]  # cluster/objects.py ObjectRef.to_json
    serviceDigest: str
    rendered: dict[str, str]  # manifest file -> sha256, as the manifests stage wrote them
    workload: dict[str, str]  # kind, apiVersion, name
    ready: bool


class OutputIndex(TypedDict):
    """What files.write_output_set records of a folder a stage writes."""

    folder: str
    files: dict[str, str]  # relative path -> sha256


class DockerfileRecord(OutputIndex):
    """``state/dockerfile.json``."""

    decision: BuildDecision


class ManifestsRecord(OutputIndex):
    """``state/manifests.json``."""

    pinnedImage: str | None  # registry/name:tag@digest once pushed, else None (named by tag)


class ContextHashes(TypedDict):
    """``state/context-hashes.json``: a build context's digest and what it was computed from."""

    digest: str
    files: dict[str, list[Any]]  # relative path -> [size, mtime_ns, ctime_ns, sha256]
    ignore: str  # the .dockerignore's text ("" without one)
    dockerfile: list[Any]  # [path, size, mtime_ns, ctime_ns]
    folders: dict[str, int]  # each folder docker's matcher walked -> its mtime_ns


class StatusRecord(TypedDict):
    """``state/status.json`` and the app's ``status.json``."""

    services: list[dict[str, Any]]  # cluster/tables.py ServiceStatus.to_json, one per service


# What in image.buildSpec a generated Dockerfile adds to the stack image.
_BUILD_FIELDS = ("artifacts", "configCommands", "configCommandsScript", "runCommands",
                 "runCommandsScript")


def decide(image: dict[str, Any]) -> BuildDecision:
    """HyScale's rule (§4.1) for the spec's ``image``: its own Dockerfile; no build spec, the
    image as it is named; a build spec with nothing to add, its stack image as it is; else a
    generated Dockerfile."""
    if image.get("dockerfile") is not None:
        return "user-dockerfile"
    build = image.get("buildSpec")
    if not isinstance(build, dict):
        return "prebuilt-image"
    if not any(build.get(name) for name in _BUILD_FIELDS):
        return "stack-image"
    return "generate"


# The fields each reader relies on, checked on every read (files.read_json): a record that
# lacks one is damaged. The others are read with .get: records of older versions lack some.
_BUILD_SPEC: Shape = {"app": str, "service": str, "specDir": str, "image": dict, "buildFiles": list}
_DEPLOY_SPEC: Shape = {"app": str, "service": str, "environment": str, "spec": dict,
                       "files": dict, "snippets": list}
_BUILD: Shape = {"decision": str}
_NO_SHAPE: Shape = {}


def _last(path: Path, shape: Shape) -> dict[str, Any] | None:
    """The record at ``path``, or None when there is none or it is damaged: the one place a
    reader takes an unreadable record for a missing one."""
    try:
        return read_json(path, shape)
    except (OSError, ValueError):
        return None


def read_build_spec(path: Path) -> BuildSpecRecord:
    return cast(BuildSpecRecord, read_json(path, _BUILD_SPEC))


def last_build_spec(path: Path) -> BuildSpecRecord | None:
    return cast(BuildSpecRecord | None, _last(path, _BUILD_SPEC))


def read_deploy_spec(path: Path) -> DeploySpecRecord:
    return cast(DeploySpecRecord, read_json(path, _DEPLOY_SPEC))


def last_deploy_spec(path: Path) -> DeploySpecRecord | None:
    return cast(DeploySpecRecord | None, _last(path, _DEPLOY_SPEC))


def write_spec_records(build_spec_path: Path, build_spec: BuildSpecRecord,
                       deploy_spec_path: Path, deploy_spec: DeploySpecRecord) -> None:
    # Both records may hold secret values (map secrets, registry names): owner-only.
    write_json_if_changed(build_spec_path, build_spec)
    write_json_if_changed(deploy_spec_path, deploy_spec)


def read_build(path: Path) -> BuildRecord:
    return cast(BuildRecord, read_json(path, _BUILD))


def last_build(path: Path) -> BuildRecord | None:
    return cast(BuildRecord | None, _last(path, _BUILD))


def write_build(path: Path, record: BuildRecord) -> None:
    write_json_if_changed(path, record)


def last_push(path: Path) -> PushRecord | None:
    return cast(PushRecord | None, _last(path, _NO_SHAPE))


def write_push(path: Path, record: PushRecord) -> None:
    write_json_if_changed(path, record)


def last_deploy(path: Path) -> DeployRecord | None:
    return cast(DeployRecord | None, _last(path, _NO_SHAPE))


def write_deploy(path: Path, record: DeployRecord) -> None:
    write_json_if_changed(path, record)


def forget_deploy(path: Path) -> None:
    """After an undeploy: with no record, the next deploy applies everything again."""
    path.unlink(missing_ok=True)


def note_decision(dockerfile_index: Path, decision: BuildDecision) -> None:
    """Add the build decision to the index the dockerfile stage's output set just wrote."""
    record = cast(DockerfileRecord, read_json(dockerfile_index, INDEX))
    record["decision"] = decision
    write_json_if_changed(dockerfile_index, record)


def note_pinned_image(manifests_index: Path, pinned: str | None) -> None:
    """Add the image reference the manifests name to the index their render just wrote."""
    record = cast(ManifestsRecord, read_json(manifests_index, INDEX))
    record["pinnedImage"] = pinned
    write_json_if_changed(manifests_index, record)


def read_manifests(path: Path) -> ManifestsRecord:
    return cast(ManifestsRecord, read_json(path, INDEX))


def last_manifests(path: Path) -> ManifestsRecord | None:
    return cast(ManifestsRecord | None, _last(path, INDEX))


def last_context_hashes(path: Path) -> ContextHashes | None:
    return cast(ContextHashes | None, _last(path, _NO_SHAPE))


def write_context_hashes(path: Path, record: ContextHashes) -> None:
    write_json_if_changed(path, record)


def write_status(path: Path, record: StatusRecord) -> None:
    write_json_if_changed(path, record)


def last_content(path: Path) -> dict[str, Any] | None:
    """Any record as it is now, field by field, for comparing it with what replaces it
    (tasks/reasons.py) or reading its ``note``; None when it is missing or damaged."""
    return _last(path, _NO_SHAPE)
