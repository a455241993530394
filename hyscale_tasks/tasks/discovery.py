"""The services of an app, found when tasks load: their spec, profile and the files they read.

This runs for every doit command, ``doit list`` included, so it only reads the specs with a
fast YAML parse and never validates: a spec that does not even parse still gets its tasks, and
its ``spec`` task reports the problem with file and line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.spec import names
from hyscale_tasks.spec.merge import PROFILE_MERGE_KEYS, PROFILE_REPLACE_FIELDS, strategic_merge
from hyscale_tasks.spec.profiles import profile_candidates
from hyscale_tasks.spec.references import build_files, prop_files, snippet_files
from hyscale_tasks.spec.yamlfile import quick_load
from hyscale_tasks.tasks.context import named_profile_files, named_specs


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    spec_path: Path
    profile_path: Path | None  # None: no profile asked for, or none (or several) found
    spec_inputs: tuple[Path, ...]  # spec, profile, file() props and k8s snippets that exist
    build_inputs: tuple[Path, ...]  # artifacts and scripts that exist


def spec_files(app_dir: Path) -> list[Path]:
    named = named_specs()
    if named is not None:  # the hyscale CLI's -f files: they may live outside any apps folder
        return list(named)
    return sorted([*app_dir.glob("*.hspec"), *app_dir.glob("*/*.hspec")])


def _quick_load(path: Path) -> dict[str, Any]:
    # Bounded: an alias bomb or a FIFO named *.hspec must not hang task loading.
    return quick_load(path)


def _service_name(data: dict[str, Any], path: Path) -> str:
    name = data.get("name")
    if isinstance(name, str) and _is_service_name(name):
        return name
    return names.normalize(path.name.split(".", 1)[0]) or "service"


def _is_service_name(name: str) -> bool:
    try:
        names.check_service(name)
    except HyscaleError:
        return False
    return True


def _merged(data: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    overrides = {k: v for k, v in profile.items() if k not in ("environment", "overrides")}
    try:
        merged = strategic_merge(data, overrides, PROFILE_MERGE_KEYS, PROFILE_REPLACE_FIELDS)
    except HyscaleError:  # the spec stage reports it; here we only want the file names
        return data
    return merged if isinstance(merged, dict) else data


def discover(app_dir: Path, profile: str | None) -> list[ServiceEntry]:
    entries: dict[str, ServiceEntry] = {}
    profile_files = named_profile_files()
    for spec_path in spec_files(app_dir):
        data = _quick_load(spec_path)
        name = _service_name(data, spec_path)
        if name in entries:
            raise HyscaleError(f"Two specs define service '{name}': {entries[name].spec_path} and "
                               f"{spec_path}.", "give each service its own name.")
        profile_path = None
        if profile is not None:
            found = profile_candidates(spec_path.parent, profile, name)
            profile_path = found[0] if len(found) == 1 else None
        profile_path = profile_files.get(name, profile_path)
        entries[name] = _entry(name, spec_path, data, profile_path)
    return list(entries.values())


def _dependable(path: Path) -> bool:
    """A file doit can hash: an unreadable one would end its dependency check in a traceback;
    left out, the ``spec`` stage runs and says what is wrong with it."""
    return path.is_file() and os.access(path, os.R_OK)


def _entry(name: str, spec_path: Path, data: dict[str, Any],
           profile_path: Path | None) -> ServiceEntry:
    merged = _merged(data, _quick_load(profile_path)) if profile_path is not None else dict(data)
    base = spec_path.parent
    referenced = [ref.path for ref in prop_files(merged, base) + snippet_files(merged, base)]
    inputs = [spec_path, *([profile_path] if profile_path else []), *referenced]
    return ServiceEntry(
        name, spec_path, profile_path,
        tuple(dict.fromkeys(p for p in inputs if _dependable(p))),
        tuple(dict.fromkeys(ref.path for ref in build_files(merged, base) if _dependable(ref.path))),
    )
