"""The ``spec`` stage: one service's spec and profile in, two validated records out.

The build-spec record holds what the Dockerfile and the image depend on, the deploy-spec record
what the manifests depend on, so a prop change never reaches the image stages and a new artifact never
re-renders manifests by itself. The files manifests need (``file()`` props, k8s snippets) are
read here, once, and their content goes into the deploy-spec record; later stages never read them
again. Build files (artifacts, scripts, a user Dockerfile) are only named in the build-spec record,
where they are written in the spec: the dockerfile stage reads them (spec/build_files.py), so
manifests render without them, as HyScale's generate command does.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hyscale_tasks.errors import SpecError
from hyscale_tasks.spec import limits, rules
from hyscale_tasks.spec.build_files import named_build_files, record_entry
from hyscale_tasks.spec.effective import EffectiveSpec, load_effective
from hyscale_tasks.spec.model import service_from_record
from hyscale_tasks.spec.reading import (
    IS_A_DIRECTORY,
    NOT_FOUND,
    human_size,
    os_problem,
    problem,
    read_bounded,
)
from hyscale_tasks.spec.references import (
    OUTSIDE_OPT_IN,
    Reference,
    app_root,
    is_outside,
    outside_allowed,
    prop_files,
    snippet_files,
)
from hyscale_tasks.spec.yamlfile import MAX_YAML_BYTES, load_documents, yaml_error_text
from hyscale_tasks.stage_records import BuildSpecRecord, DeploySpecRecord, write_spec_records


@dataclass(frozen=True)
class SpecRecords:
    build: BuildSpecRecord
    deploy: DeploySpecRecord
    warnings: list[str]


def make_records(spec_path: Path, profile_path: Path | None, app: str) -> SpecRecords:
    """Validate everything the later stages rely on and return their inputs."""
    effective = load_effective(spec_path, profile_path)
    rules.check_all(effective)
    base = effective.base_dir
    # Build files are only named here, not looked at: manifests never need them (see
    # spec/build_files.py); the dockerfile stage checks that they are there.
    named = named_build_files(effective.data, base)
    for ref, what, _ in named:
        _require_inside(effective, ref, what)
    files = {ref.argument: _read_base64(effective, ref) for ref in prop_files(effective.data, base)}
    snippets = [_read_snippet(effective, ref) for ref in snippet_files(effective.data, base)]
    service = service_from_record(effective.data, files)  # the typed view builds: record it
    limits.check_all(effective, service)
    build: BuildSpecRecord = {
        "app": app,
        "service": effective.name,
        "specFile": str(spec_path.resolve()),
        "specDir": str(base.resolve()),
        "image": effective.data["image"],
        "buildFiles": [record_entry(ref, what, relative_to, effective.locate(ref.field))
                       for ref, what, relative_to in named],
    }
    deploy: DeploySpecRecord = {
        "app": app,
        "service": effective.name,
        "environment": effective.environment,
        "specFile": str(spec_path.resolve()),
        "spec": effective.data,
        "files": files,
        "snippets": snippets,
    }
    return SpecRecords(build, deploy, effective.warnings)


def write_records(records: SpecRecords, build_spec_path: Path, deploy_spec_path: Path) -> None:
    write_spec_records(build_spec_path, records.build, deploy_spec_path, records.deploy)


def _require_inside(effective: EffectiveSpec, ref: Reference, what: str) -> None:
    if outside_allowed() or not is_outside(ref, effective.base_dir):
        return
    root = app_root(effective.base_dir)
    raise effective.fail(ref.field, f"{what} {ref.argument} is outside the app folder {root} "
                         f"(it is {ref.path}, symbolic links followed)",
                         f"Move the file into {root} and name it relative to the spec; or, only "
                         f"for a spec you trust, set {OUTSIDE_OPT_IN}=1 (see the README).")


def _require_file(effective: EffectiveSpec, ref: Reference, what: str) -> None:
    _require_inside(effective, ref, what)
    found = problem(ref.path)
    if found is not None:
        raise _fail_on(effective, ref, what, found)


def _fail_on(effective: EffectiveSpec, ref: Reference, what: str,
             found: tuple[str, str]) -> SpecError:
    state, fix = found
    if state in (NOT_FOUND, IS_A_DIRECTORY):
        fix = f"Give the path of an existing file, relative to {effective.base_dir}."
    return effective.fail(ref.field, f"{what} {ref.argument} {state} (looked for {ref.path})", fix)


def _read(effective: EffectiveSpec, ref: Reference, what: str, limit: int) -> tuple[bytes, int]:
    try:
        return read_bounded(ref.path, limit)
    except OSError as exc:
        raise _fail_on(effective, ref, what, os_problem(exc, ref.path)) from None


def _read_base64(effective: EffectiveSpec, ref: Reference) -> str:
    what = "file() prop"
    _require_file(effective, ref, what)
    # Checked before reading: a 50 MB file is refused without being read into memory.
    limits.check_file_prop_size(effective, ref.field, ref.argument, ref.path.stat().st_size)
    data, size = _read(effective, ref, what, limits.MAX_DATA_BYTES)
    limits.check_file_prop_size(effective, ref.field, ref.argument, size)  # it grew meanwhile
    return base64.b64encode(data).decode("ascii")


def _read_snippet(effective: EffectiveSpec, ref: Reference) -> dict[str, Any]:
    _require_file(effective, ref, "k8s snippet")
    raw, size = _read(effective, ref, "k8s snippet", MAX_YAML_BYTES)
    if size > MAX_YAML_BYTES:
        raise effective.fail(ref.field, f"k8s snippet {ref.argument} is {human_size(size)}, more "
                             f"than the {human_size(MAX_YAML_BYTES)} a snippet may have",
                             "A snippet patches a few fields: keep it small.")
    try:
        docs = [doc for doc in load_documents(raw.decode("utf-8"), yaml.SafeLoader)
                if doc is not None]
    except yaml.YAMLError as exc:
        raise effective.fail(ref.field, f"Failed to read K8s Snippets from file {ref.argument}, "
                             f"{yaml_error_text(exc)}",
                             "Provide a valid YAML snippet for K8s Snippets.") from None
    except UnicodeDecodeError as exc:
        raise effective.fail(ref.field, f"Failed to read K8s Snippets from file {ref.argument}: "
                             f"not UTF-8 text ({exc.reason})", "Save the snippet as UTF-8.") from None
    for doc in docs:
        if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
            raise SpecError(effective.locate(ref.field),
                            f"k8s snippet {ref.argument} has no top-level 'kind'",
                            "Provide a valid YAML snippet for K8s Snippets: start it with the kind "
                            "it patches, e.g. 'kind: Deployment'.")
    if not docs:
        raise effective.fail(ref.field, f"k8s snippet {ref.argument} is empty",
                             "Provide a valid YAML snippet for K8s Snippets, e.g. 'kind: Service'.")
    return {"file": str(ref.path), "field": str(effective.locate(ref.field)), "docs": docs}
