"""The python-actions of the render stages: thin calls into the domain packages.

Each turns a :class:`HyscaleError` into doit's ``TaskFailed`` (a clean message, exit 1, no
traceback), and anything else propagates as the bug it is. Module-level functions only, so that
``doit -n N`` can send them to worker processes. The stages whose records later stages read
return the records' digests as doit values (tasks/uptodate.py ``RecordsAsWritten``), so a
record damaged after the run makes its own stage run again.

doit imports this module when it loads the tasks, so a stage imports what it alone needs in its
own body when that is costly: the docker SDK, the kubernetes client, jsonschema and jinja2 must
not be loaded by ``doit list`` or a no-op run (tests/tasks/test_loading.py), and neither the
YAML parser nor the spec model (~20 ms), which a load with unchanged specs does without
(tasks/discovery.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec

from doit.exceptions import TaskFailed

from hyscale_tasks import lines
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.files import PRIVATE, write_output_set
from hyscale_tasks.image.credentials import find_credentials
from hyscale_tasks.image.names import pinned_reference
from hyscale_tasks.spec.profiles import find_profile
from hyscale_tasks.stage_records import (
    note_decision,
    note_pinned_image,
    read_build_spec,
    read_deploy_spec,
    read_manifests,
)
from hyscale_tasks.tasks.uptodate import records_written, rendered_manifests
from hyscale_tasks.tasks.warmup import CLUSTER_CODE, IMAGE_CODE, import_ahead, settle

P = ParamSpec("P")
Values = dict[str, Any]  # what a python-action returns for doit to keep with the task


def reports_errors(action: Callable[P, Values | None]) -> Callable[P, TaskFailed | Values | None]:
    @functools.wraps(action)
    def run(*args: P.args, **kwargs: P.kwargs) -> TaskFailed | Values | None:
        settle()  # no stage imports while a warm-up does (tasks/warmup.py)
        try:
            return action(*args, **kwargs)
        except HyscaleError as exc:
            lines.task_error(exc)
            return TaskFailed(str(exc), report=False)  # already said once, above
    return run


def _warn(messages: list[str]) -> None:
    for message in messages:
        lines.warn(message)


@reports_errors
def spec_stage(spec_path: str, profile: str | None, app: str, build_spec_record: str,
               deploy_spec_record: str, profile_file: str | None = None) -> Values:
    """``profile_file``: the profile by path (the hyscale CLI's -p), instead of by name."""
    from hyscale_tasks.spec.records import make_records, write_records  # (imports jsonschema)

    spec = Path(spec_path)
    profile_path = Path(profile_file) if profile_file else None
    if profile_path is None and profile is not None:
        service = _service_name(spec)
        profile_path = find_profile(spec.parent, profile, service)
    records = make_records(spec, profile_path, app)
    _warn(records.warnings)
    write_records(records, Path(build_spec_record), Path(deploy_spec_record))
    return records_written(build_spec_record, deploy_spec_record)


def _service_name(spec: Path) -> str:
    from hyscale_tasks.spec.yamlfile import load_mapping  # (the YAML parser: module doc)

    document = load_mapping(spec, "service spec")
    return str(document.data.get("name", spec.name.split(".", 1)[0]))


@reports_errors
def dockerfile_stage(build_spec_record: str, folder: str, index: str) -> None:
    from hyscale_tasks.dockerfile.generate import plan  # (imports jinja2)

    result = plan(read_build_spec(Path(build_spec_record)))
    _warn(result.warnings)
    write_output_set(Path(folder), result.files, Path(index))
    note_decision(Path(index), result.decision)


@reports_errors
def manifests_stage(deploy_spec_record: str, push_record: str, folder: str, index: str) -> None:
    render_manifests(deploy_spec_record, push_record, folder, index)


def render_manifests(deploy_spec_record: str, push_record: str, folder: str, index: str,
                     quiet: bool = False) -> None:
    # (the plugins, ~20 modules, and the spec model: needed only when manifests are rendered,
    # never to load tasks)
    from hyscale_tasks.manifests.base import PullSecret
    from hyscale_tasks.manifests.render import render_record

    record = read_deploy_spec(Path(deploy_spec_record))
    image = record["spec"].get("image") or {}
    credentials = find_credentials(image.get("registry"))
    pull_secret = PullSecret(credentials.registry, credentials.auth) if credentials else None
    # Once pushed, the image is named by digest: a new image under the same tag rolls the pods.
    pinned = pinned_reference(image, Path(push_record))
    manifests, warnings = render_record(record, pull_secret, pinned)
    if not quiet:  # the deploy re-renders what the manifests stage rendered: warn once
        _warn(warnings)
    # Manifests can carry secret values and registry credentials: owner-only, like the records.
    files = {m.file_name: (m.to_yaml().encode(), PRIVATE) for m in manifests}
    write_output_set(Path(folder), files, Path(index))
    note_pinned_image(Path(index), pinned)


@reports_errors
def build_stage(build_spec_record: str, dockerfiles: str, build_record: str, context_cache: str,
                log: str, verbose: bool) -> Values:
    from hyscale_tasks.image.stages import run_build  # (not the docker SDK: tasks/warmup.py)

    import_ahead(IMAGE_CODE, CLUSTER_CODE)  # the SDK while the build asks the registry
    run_build(Path(build_spec_record), Path(dockerfiles), Path(build_record), Path(context_cache),
              Path(log), verbose)
    return records_written(build_record)


@reports_errors
def push_stage(build_record: str, push_record: str, log: str, verbose: bool) -> Values:
    from hyscale_tasks.image.stages import run_push  # (its docker SDK: image/engine.py)

    run_push(Path(build_record), Path(push_record), Path(log), verbose)
    return records_written(push_record)


@reports_errors
def cluster_stage(namespace: str, deploy_record: str, manifests_index: str) -> None:
    # (ssl and http.client, ~10 ms: a deploy's alone, not the render's)
    from hyscale_tasks.cluster.reachable import check

    check(namespace, Path(deploy_record), Path(manifests_index))


def _say(message: str) -> None:
    lines.info(message)


@reports_errors
def deploy_stage(deploy_spec_record: str, push_record: str, manifests_folder: str,
                 manifests_index: str, namespace: str, deploy_record: str, log: str) -> None:
    from hyscale_tasks.cluster.deploy import run_deploy  # (imports the kubernetes client)
    from hyscale_tasks.spec.model import service_from_record  # (module doc)

    # Under `doit -n`, the render may have run before this run's push: render again if the
    # digest it pinned is not the pushed one (a no-op when it is), so a deploy never applies
    # a stale image reference.
    render_manifests(deploy_spec_record, push_record, manifests_folder, manifests_index, quiet=True)
    spec = read_deploy_spec(Path(deploy_spec_record))
    service = service_from_record(spec["spec"], spec["files"])
    rendered = read_manifests(Path(manifests_index))["files"]
    run_deploy(rendered_manifests(Path(manifests_index)), rendered, namespace, spec["app"],
               service, Path(deploy_record), Path(log), _say, lambda message: _warn([message]))
