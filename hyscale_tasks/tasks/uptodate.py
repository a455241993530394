"""Up-to-date probes: callables doit runs before deciding to skip a task.

They are objects rather than closures so that ``doit -n 4`` can pickle the tasks, and they have a
``__repr__`` because ``doit info`` prints it as the reason a task would run. A probe never raises:
an exception in a probe aborts the whole doit run.

Loaded with the tasks: a probe imports the image and cluster code it asks in its own body, when
doit first asks it (``doit list`` asks none; the docker SDK and the kubernetes client are imported
only where a probe falls back on them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from hyscale_tasks import lines
from hyscale_tasks.files import output_set_intact, sha256_file
from hyscale_tasks.read_thread import ReadThread
from hyscale_tasks.stage_records import (
    PushRecord,
    decide,
    last_build,
    last_build_spec,
    last_deploy_spec,
    last_manifests,
    last_push,
    read_manifests,
)

if TYPE_CHECKING:  # (a type only: the image code is imported when a probe needs it)
    from hyscale_tasks.image.names import ImageName


class OutputsIntact:
    """False when a file the stage wrote was deleted or edited since (the stage re-writes it)."""

    def __init__(self, index: Path) -> None:
        self.index = index

    def __call__(self, task: Any, values: Any) -> bool:
        return output_set_intact(self.index)

    def __repr__(self) -> str:
        return f"generated files listed in {self.index} are present and unedited"


# The key of a stage's doit values under which it keeps the digests of the records it wrote.
WRITTEN = "records-written"


def records_written(*records: str | Path) -> dict[str, Any]:
    """The doit values a stage's action returns: the sha256 of each record it wrote (None
    when there is none), which :class:`RecordsAsWritten` compares on the next run."""
    return {WRITTEN: _digests(Path(record) for record in records)}


def _digests(records: Iterable[Path]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for record in records:
        try:
            found[str(record)] = sha256_file(record)
        except OSError:
            found[str(record)] = None
    return found


class RecordsAsWritten:
    """False when a stage's record is not the one it wrote: cut short, overwritten with
    garbage or edited by hand. The stage then runs again and writes it anew, before a later
    stage reads it (doit's file_dep only tells the later stages that it changed)."""

    def __init__(self, *records: Path) -> None:
        self.records = records

    def __call__(self, task: Any, values: Any) -> bool:
        return bool(values.get(WRITTEN) == _digests(self.records))

    def __repr__(self) -> str:
        names = " and ".join(record.name for record in self.records)
        if len(self.records) == 1:
            return f"the record {names} is as the stage wrote it"
        return f"the records {names} are as the stage wrote them"


def registry_serves(push: PushRecord) -> bool:
    """One registry read (shared by the probes of one run): is the pushed digest still there?

    A registry that is down for now (5xx, no answer) cannot say, and a push could not happen
    anyway: the image it served last time is taken as still there, with a warning, so a deploy
    that has nothing to push goes on without it (the cluster pulls from it later, and the
    rollout wait says so if it cannot)."""
    _registry_ahead()
    key = _registry_key(push)
    if key not in _REGISTRY_ANSWERS:
        queued = _REGISTRY_QUEUED.pop(key, None)
        served, warning = queued.result() if queued is not None else _ask_registry(push)
        if warning:
            lines.warn(warning)
        _REGISTRY_ANSWERS[key] = served
    return _REGISTRY_ANSWERS[key]


def _registry_key(push: PushRecord) -> tuple[Any, ...]:
    return (push.get("registry"), push.get("repository"), push.get("tag"), push.get("digest"))


def _ask_registry(push: PushRecord) -> tuple[bool, str | None]:
    """:func:`_served`, with the login looked up now."""
    from hyscale_tasks.image.credentials import find_credentials

    try:
        login = find_credentials(_image(push).host)
    except Exception:  # a probe must never raise; "not sure" means run the stage
        return False, None
    return _served(push, login)


def _image(push: PushRecord) -> ImageName:
    """The pushed image's name."""
    from hyscale_tasks.image.names import ImageName

    return ImageName(str(push["registry"]), str(push["repository"]), str(push["tag"]))


def _served(push: PushRecord, login: Any) -> tuple[bool, str | None]:
    """Whether the registry serves the pushed digest, and a warning to print with the answer.
    Never raises (a probe must not). Given the login: a read queued ahead runs in a thread of
    its own, which must not import the Docker SDK (a credential store's lookup does)."""
    from hyscale_tasks.image.registry import RegistryUnavailableError, served_digest

    try:
        image = _image(push)
        return served_digest(image, login) == push["digest"], None
    except RegistryUnavailableError as down:
        return True, (f"Registry {down.registry} is unavailable (it {down.what}): taking "
                      f"{image.reference}@{push['digest']} as still pushed; nothing is pushed "
                      "now.")
    except Exception:  # "not sure" means run the stage
        return False, None


_REGISTRY_ANSWERS: dict[tuple[Any, ...], bool] = {}
REGISTRY_READS = ReadThread("registry-reads")
_REGISTRY_QUEUED: dict[tuple[Any, ...], Future[tuple[bool, str | None]]] = {}
# What the run's probes will ask the registry and the cluster, said when their tasks are made:
# the push records, and each deployed service's (deploy record, manifests index, namespace).
_PLANNED_PUSHES: dict[Path, None] = {}
_PLANNED_DEPLOYS: dict[tuple[Path, Path, str], None] = {}
_started: set[str] = set()  # which reads were queued ahead in this process: registry, cluster


def read_ahead() -> None:
    """At the first cluster probe, queue every registry and cluster read the run's probes will
    make (:mod:`hyscale_tasks.read_thread`), once per process: doit asks the probes one task at a
    time, and these reads are made while it checks the others."""
    _registry_ahead()
    if "cluster" in _started:
        return
    _started.add("cluster")
    try:
        from hyscale_tasks.cluster.insync import read_ahead as read_cluster_ahead

        read_cluster_ahead(_PLANNED_DEPLOYS)
    except Exception:  # only ever a head start: each probe still asks for what it needs
        return


def _registry_ahead() -> None:
    """The registry's part of :func:`read_ahead`, also started by the first registry probe (a
    run that builds and pushes without deploying asks the cluster nothing)."""
    if "registry" in _started:
        return
    _started.add("registry")
    try:
        from hyscale_tasks.image.credentials import find_credentials

        logins: dict[str, Any] = {}
        for record in _PLANNED_PUSHES:
            pushed = last_push(record)
            if pushed is None or not pushed.get("digest"):
                continue
            key = _registry_key(pushed)
            if key in _REGISTRY_ANSWERS or key in _REGISTRY_QUEUED:
                continue
            host = _image(pushed).host
            if host not in logins:  # looked up here: the SDK may be needed for it
                logins[host] = find_credentials(host)
            _REGISTRY_QUEUED[key] = REGISTRY_READS.submit(partial(_served, pushed, logins[host]))
    except Exception:  # only ever a head start: each probe still asks for what it needs
        return


def _forget_queued_in_child() -> None:
    # A forked process (a doit worker) has no read thread: nothing queued will be answered.
    _REGISTRY_QUEUED.clear()


os.register_at_fork(after_in_child=_forget_queued_in_child)


class _BuiltImageProbe:
    """A probe of a service's build and push records. Its push record is one the run's probes
    will ask the registry about: read ahead (:func:`read_ahead`)."""

    def __init__(self, build_record: Path, push_record: Path) -> None:
        self.build_record = build_record
        self.push_record = push_record
        _PLANNED_PUSHES[push_record] = None


class ImageAvailable(_BuiltImageProbe):
    """The built image can still be pushed or is still served: the registry has the pushed
    digest (no Docker call), or else the local image is still there (one Docker call). An
    image the build found in the registry (a fresh runner's) is available while the registry
    still serves it for the tag; when it does not, the build looks again, or builds."""

    def __call__(self, task: Any, values: Any) -> bool:
        # (missing or damaged: the stage that writes it is stale)
        built = last_build(self.build_record)
        if built is None:
            return False
        if built.get("decision") == "prebuilt-image":
            return True
        if built.get("source") == "registry":  # found there, never in this engine: only there
            where: list[str] | list[None] = built.get("push") or [None, None, None]
            return registry_serves(cast(PushRecord, {
                "registry": where[0], "repository": where[1], "tag": where[2],
                "digest": built.get("registryDigest")}))
        pushed = last_push(self.push_record)
        if pushed is not None and pushed.get("imageId") == built.get("imageId") \
                and registry_serves(pushed):
            return True
        try:
            from hyscale_tasks.image.build import image_exists
            from hyscale_tasks.image.client import connect

            return image_exists(connect(), str(built["imageId"]))
        except Exception:  # no engine: let the build stage say so, clearly
            return False

    def __repr__(self) -> str:
        return "the built image is in the registry or still in the local Docker engine"


class ContextUnchanged:
    """For a user Dockerfile: the build context's content digest is the one last built."""

    def __init__(self, build_spec: Path, build_record: Path, cache: Path) -> None:
        self.build_spec = build_spec
        self.build_record = build_record
        self.cache = cache

    def __call__(self, task: Any, values: Any) -> bool | None:
        spec = last_build_spec(self.build_spec)
        built = last_build(self.build_record)
        if spec is None or built is None:
            return False
        if built.get("decision") != "user-dockerfile":
            return None  # the generated Dockerfile folder is a file_dep already
        try:
            from hyscale_tasks.image.reuse import user_context_digest

            return bool(user_context_digest(spec, self.cache) == built.get("contextDigest"))
        except Exception:  # the build stage reports what is wrong
            return False

    def __repr__(self) -> str:
        return "the build context (minus .dockerignore) has the content last built"


class RegistryServes(_BuiltImageProbe):
    """The push is current: same image, and the registry still serves its digest for the tag."""

    def __call__(self, task: Any, values: Any) -> bool:
        built = last_build(self.build_record)
        pushed = last_push(self.push_record)
        if built is None or pushed is None:
            return False
        if built.get("decision") == "prebuilt-image":
            return pushed.get("reference") == built.get("target")
        return pushed.get("imageId") == built.get("imageId") and registry_serves(pushed)

    def __repr__(self) -> str:
        return "the registry still serves the pushed digest for this tag"


class ImagePinned:
    """The manifests name the image the way the last push says: by digest once it is pushed."""

    def __init__(self, deploy_spec: Path, push_record: Path, manifests_record: Path) -> None:
        self.deploy_spec = deploy_spec
        self.push_record = push_record
        self.manifests_record = manifests_record

    def __call__(self, task: Any, values: Any) -> bool:
        from hyscale_tasks.image.names import pinned_reference

        spec = last_deploy_spec(self.deploy_spec)
        rendered = last_manifests(self.manifests_record)
        if spec is None or rendered is None:
            return False
        image = spec["spec"].get("image") or {}
        return bool(rendered.get("pinnedImage") == pinned_reference(image, self.push_record))

    def __repr__(self) -> str:
        return "the manifests pin the image digest of the last push"


class RegistryConfigUnchanged:
    """The docker config ``HYS_REGISTRY_CONFIG`` gives is the one of the task's last successful
    run: another one may hold another login for the image-pull Secret. Its sha256 is kept in
    the task's doit values, never the document. Not given then or now: nothing to compare
    (logins from the docker config file are the task's file_dep)."""

    KEY = "registry-config"

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint  # "" when the setting gives no document

    def configure_task(self, task: Any) -> None:  # as doit's config_changed keeps its digest
        task.value_savers.append(self._saved)

    def _saved(self) -> dict[str, str]:
        return {self.KEY: self.fingerprint}

    def __call__(self, task: Any, values: Any) -> bool:
        return bool((values.get(self.KEY) or "") == self.fingerprint)

    def __repr__(self) -> str:
        return "the registry logins of HYS_REGISTRY_CONFIG are those of the last render"


def rendered_manifests(index: Path) -> list[dict[str, Any]]:
    """The manifests a render wrote, in the order it wrote them."""
    import yaml

    record = read_manifests(index)
    folder = Path(record["folder"])
    return [yaml.safe_load((folder / name).read_text(encoding="utf-8"))
            for name in record["files"]]


class ClusterAnswers:
    """The cluster of the kubeconfig answers (cluster/reachable.py): one read, the first the
    deploy's in-sync check makes anyway, so a no-op run pays nothing for it. When it does not
    answer, the check's stage runs, says why, and the deploy's build does not start. A service
    that builds nothing (an image named as it is) has no build to save: not asked."""

    def __init__(self, build_spec: Path, record: Path, manifests_index: Path,
                 namespace: str) -> None:
        self.build_spec = build_spec
        self.record = record
        self.manifests_index = manifests_index
        self.namespace = namespace
        _PLANNED_DEPLOYS[(record, manifests_index, namespace)] = None

    def __call__(self, task: Any, values: Any) -> bool:
        spec = last_build_spec(self.build_spec)
        if spec is not None and decide(spec["image"]) == "prebuilt-image":
            return True  # a prebuilt image: the deploy itself is the first to need the cluster
        read_ahead()
        try:
            from hyscale_tasks.cluster.reachable import check

            check(self.namespace, self.record, self.manifests_index)
        except Exception:  # the stage asks again and says what is wrong
            return False
        return True

    def __repr__(self) -> str:
        return "the cluster of the current kube context answers"


class ClusterInSync:
    """The cluster still holds this service as last deployed: a listing per kind of the app's
    objects, shared by all services checked in the run. When it does not, :attr:`drift` says
    what differs, and so does the check's repr (the reason the CLI and ``doit info`` show)."""

    def __init__(self, record: Path, manifests_index: Path, namespace: str) -> None:
        self.record = record
        self.manifests_index = manifests_index
        self.namespace = namespace
        self.drift: str | None = None
        _PLANNED_DEPLOYS[(record, manifests_index, namespace)] = None

    def __call__(self, task: Any, values: Any) -> bool:
        read_ahead()
        try:
            from hyscale_tasks.cluster.insync import drift

            rendered = read_manifests(self.manifests_index)["files"]
            self.drift = drift(self.record, self.namespace, rendered)
        except Exception:  # unreachable cluster, bad record: deploy, and let it say what is wrong
            self.drift = "the cluster could not be read"
        return self.drift is None

    def __repr__(self) -> str:
        shown = f" ({self.drift})" if self.drift else ""
        return f"the cluster still runs what was last deployed to namespace {self.namespace}{shown}"
