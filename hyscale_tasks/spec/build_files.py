"""The files a build needs, recorded by the ``spec`` stage and checked by the stage that needs them.

Artifacts, configure/run scripts, a user Dockerfile and its build context are build inputs only.
HyScale's ``generate service manifests`` never looks at them (its artifacts are checked by the
Dockerfile generator, a user Dockerfile by the image builder, both deploy steps), so manifests
can be rendered where the build outputs are not: a CI job that only renders, a reviewer.

So the ``spec`` stage records where each one is written in the spec (file, line, field) and
what it is, without looking at it beyond the app-folder rule; the ``dockerfile`` stage, the
first one of a build, calls :func:`check_present` and fails with the same located message the
spec stage used to give.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyscale_tasks.errors import HyscaleError, SpecError, SpecLocation
from hyscale_tasks.spec.reading import IS_A_DIRECTORY, NOT_FOUND, problem
from hyscale_tasks.spec.references import Reference, build_files, user_dockerfile
from hyscale_tasks.stage_records import BuildSpecRecord

ARTIFACT = "artifact"
SCRIPT = "script"
BUILD_CONTEXT = "build context"
DOCKERFILE = "Dockerfile"


def named_build_files(data: dict[str, Any], base_dir: Path) -> list[tuple[Reference, str, str]]:
    """Every build file of a spec: (reference, what it is, what a relative path starts from)."""
    found = [(ref, ARTIFACT if "artifacts" in ref.field else SCRIPT, str(base_dir))
             for ref in build_files(data, base_dir)]
    user_build = user_dockerfile(data, base_dir)
    if user_build is not None:
        context, dockerfile = user_build
        found.append((context, BUILD_CONTEXT, str(base_dir)))
        found.append((dockerfile, DOCKERFILE, f"the build context {context.path}"))
    return found


def record_entry(ref: Reference, what: str, relative_to: str,
                 location: SpecLocation) -> dict[str, Any]:
    """One ``buildFiles`` entry of the build-spec record."""
    return {"location": {"file": str(location.file), "line": location.line,
                         "field": location.field},
            "what": what, "argument": ref.argument, "path": str(ref.path),
            "relativeTo": relative_to}


def where(entry: dict[str, Any]) -> str:
    """``file:line: field`` of an entry, for messages."""
    location = _location(entry)
    # Records written before the location was kept whole hold it as text in "field".
    return str(location) if location is not None else str(entry.get("field", entry["path"]))


def check_present(build_spec: BuildSpecRecord) -> None:
    """Raise a located error for the first build file that is not there or cannot be read."""
    for entry in build_spec["buildFiles"]:
        found = _missing(entry, build_spec["specDir"])
        if found is None:
            continue
        cause, fix = found
        location = _location(entry)
        if location is None:
            raise HyscaleError(f"{where(entry)}: {cause}", fix)
        raise SpecError(location, cause, fix)


def _location(entry: dict[str, Any]) -> SpecLocation | None:
    location = entry.get("location")
    if not isinstance(location, dict):
        return None
    return SpecLocation(Path(location["file"]), int(location["line"]), str(location["field"]))


def _missing(entry: dict[str, Any], spec_dir: str) -> tuple[str, str] | None:
    """(cause, fix) when the entry's file (or folder) cannot be used; None when it can."""
    path = Path(entry["path"])
    # Records written before ``what`` was kept hold artifacts and scripts only.
    what = entry.get("what") or (ARTIFACT if "artifacts" in where(entry) else SCRIPT)
    argument = entry.get("argument", entry["path"])
    relative_to = entry.get("relativeTo", spec_dir)
    if what == BUILD_CONTEXT:
        if path.is_dir():
            return None
        return (f"build context {argument} is not a folder (looked for {path})",
                f"Give the build context folder, relative to {relative_to}.")
    if what == DOCKERFILE and (path / "Dockerfile").is_file():
        # dockerfilePath named a folder that was not there when the spec was read: the image
        # builder takes the Dockerfile in it (spec/references.py user_dockerfile).
        return None
    state = problem(path)
    if state is None:
        return None
    cause, fix = state
    if cause in (NOT_FOUND, IS_A_DIRECTORY):
        fix = f"Give the path of an existing file, relative to {relative_to}."
    return f"{what} {argument} {cause} (looked for {path})", fix
