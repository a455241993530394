"""The ``spec`` stage: one service's spec and profile in, two validated records out.

The build record holds what the Dockerfile and the image depend on, the deploy record what the
manifests depend on, so a prop change never reaches the image stages and a new artifact never
re-renders manifests by itself. Referenced files are read here, once, and their content goes
into the deploy record; later stages never read the user's folder again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hyscale_tasks.errors import SpecError
from hyscale_tasks.files import write_json_if_changed
from hyscale_tasks.spec import rules
from hyscale_tasks.spec.effective import EffectiveSpec, load_effective
from hyscale_tasks.spec.model import service_from_record
from hyscale_tasks.spec.references import (
    Reference,
    build_files,
    prop_files,
    snippet_files,
    user_dockerfile,
)
from hyscale_tasks.spec.yamlfile import yaml_error_text


@dataclass(frozen=True)
class SpecRecords:
    build: dict[str, Any]
    deploy: dict[str, Any]
    warnings: list[str]


def make_records(spec_path: Path, profile_path: Path | None, app: str) -> SpecRecords:
    """Validate everything the later stages rely on and return their inputs."""
    effective = load_effective(spec_path, profile_path)
    rules.check_all(effective)
    base = effective.base_dir
    for ref in build_files(effective.data, base):
        _require_file(effective, ref, "artifact" if "artifacts" in ref.field else "script")
    user_build = user_dockerfile(effective.data, base)
    if user_build is not None:
        context, dockerfile = user_build
        if not context.path.is_dir():
            raise effective.fail(context.field, f"build context {context.argument} is not a folder "
                                 f"(looked for {context.path})",
                                 f"Give the build context folder, relative to {base}.")
        _require_file(effective, dockerfile, "Dockerfile",
                      relative_to=f"the build context {context.path}")
    files = {ref.argument: _read_base64(effective, ref) for ref in prop_files(effective.data, base)}
    snippets = [_read_snippet(effective, ref) for ref in snippet_files(effective.data, base)]
    service_from_record(effective.data, files)  # proves the typed view builds before we record
    build = {
        "app": app,
        "service": effective.name,
        "specFile": str(spec_path.resolve()),
        "specDir": str(base.resolve()),
        "image": effective.data["image"],
        "buildFiles": [{"field": _where(effective, ref), "path": str(ref.path)}
                       for ref in build_files(effective.data, base)],
    }
    deploy = {
        "app": app,
        "service": effective.name,
        "environment": effective.environment,
        "specFile": str(spec_path.resolve()),
        "spec": effective.data,
        "files": files,
        "snippets": snippets,
    }
    return SpecRecords(build, deploy, effective.warnings)


def write_records(records: SpecRecords, build_path: Path, deploy_path: Path) -> None:
    # Both records may hold secret values (map secrets, registry names): owner-only.
    write_json_if_changed(build_path, records.build)
    write_json_if_changed(deploy_path, records.deploy)


def _where(effective: EffectiveSpec, ref: Reference) -> str:
    return str(effective.locate(ref.field))


def _require_file(effective: EffectiveSpec, ref: Reference, what: str,
                  relative_to: str | None = None) -> None:
    if not ref.path.is_file():
        state = "is a directory" if ref.path.is_dir() else "not found"
        raise effective.fail(ref.field, f"{what} {ref.argument} {state} (looked for {ref.path})",
                             "Give the path of an existing file, relative to "
                             f"{relative_to or effective.base_dir}.")


def _read_base64(effective: EffectiveSpec, ref: Reference) -> str:
    _require_file(effective, ref, "file() prop")
    return base64.b64encode(ref.path.read_bytes()).decode("ascii")


def _read_snippet(effective: EffectiveSpec, ref: Reference) -> dict[str, Any]:
    _require_file(effective, ref, "k8s snippet")
    try:
        docs = [doc for doc in yaml.safe_load_all(ref.path.read_text(encoding="utf-8"))
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
