"""The services of an app, found when tasks load: their spec, profile and the files they read.

This runs for every doit command, ``doit list`` included, so it only reads the specs with a
fast YAML parse and never validates: a spec that does not even parse still gets its tasks, and
its ``spec`` task reports the problem with file and line.

What the specs say is kept in ``$HYSCALE_HOME/apps/<app>/cache/services.json``, under the stat
(size, modification and change time, inode) of every spec and profile: a run where none of them
changed reads no YAML and does not even import the YAML parser (a fifth of a no-op deploy's own
work). Whether each referenced file exists is looked at anew on every load; what the cache
keeps is only which files the specs name.
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyscale_tasks import __version__
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.files import write_if_changed
from hyscale_tasks.spec import names
from hyscale_tasks.spec.merge import PROFILE_MERGE_KEYS, PROFILE_REPLACE_FIELDS, strategic_merge
from hyscale_tasks.spec.profiles import profile_candidates
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
    # Imported here: a load whose specs are unchanged never parses YAML (module doc).
    from hyscale_tasks.spec.yamlfile import quick_load

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


Signature = tuple[tuple[str, int, int, int, int], ...]


def signature(app_dir: Path, profile_files: list[Path]) -> Signature:
    """The stat of every spec and of every profile beside one (or named by the ``hyscale``
    command): what :func:`discover` reads. Size and modification time as doit's own check takes
    them, plus the change time and inode, which an edit cannot leave as they were."""
    specs = spec_files(app_dir)
    folders = dict.fromkeys(spec.parent for spec in specs)
    profiles = [found for folder in folders
                for found in (*folder.glob("*.hprof"), *folder.glob("profiles/*.hprof"))]
    stats = []
    for path in dict.fromkeys([*specs, *profiles, *profile_files]):
        try:
            found = path.stat()
        except OSError:
            continue
        stats.append((str(path), found.st_size, found.st_mtime_ns, found.st_ctime_ns,
                      found.st_ino))
    return tuple(sorted(stats))


def discover_kept(app_dir: Path, profile: str | None, seen: Signature,
                  cache_file: Path) -> list[ServiceEntry]:
    """:func:`discover`, or what it found last time when ``seen`` (the :func:`signature` of the
    specs and profiles now) is what they were then (module doc)."""
    key = json.dumps([__version__, str(app_dir), profile,
                      sorted((k, str(v)) for k, v in named_profile_files().items()), seen])
    try:
        kept = json.loads(cache_file.read_bytes())
        if isinstance(kept, dict) and kept.get("key") == key:
            return [_from_json(item) for item in kept["services"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none yet, or not one this version wrote: read the specs
    found = _discover_candidates(app_dir, profile)
    # A read-only HYSCALE_HOME: every load reads the specs, as without the cache.
    with suppress(OSError):
        write_if_changed(cache_file, json.dumps(
            {"key": key, "services": [_to_json(item) for item in found]}))
    return [item.entry() for item in found]


def discover(app_dir: Path, profile: str | None) -> list[ServiceEntry]:
    """The app's services, read from their specs now."""
    return [item.entry() for item in _discover_candidates(app_dir, profile)]


@dataclass(frozen=True)
class _Named:
    """A service and the files its spec names, before looking at which of them exist."""

    name: str
    spec_path: Path
    profile_path: Path | None
    inputs: tuple[Path, ...]
    build_inputs: tuple[Path, ...]

    def entry(self) -> ServiceEntry:
        return ServiceEntry(self.name, self.spec_path, self.profile_path,
                            tuple(p for p in self.inputs if _dependable(p)),
                            tuple(p for p in self.build_inputs if _dependable(p)))


def _to_json(item: _Named) -> dict[str, Any]:
    return {"name": item.name, "spec": str(item.spec_path),
            "profile": str(item.profile_path) if item.profile_path else None,
            "inputs": [str(p) for p in item.inputs],
            "buildInputs": [str(p) for p in item.build_inputs]}


def _from_json(data: dict[str, Any]) -> ServiceEntry:
    return _Named(str(data["name"]), Path(data["spec"]),
                  Path(data["profile"]) if data["profile"] else None,
                  tuple(Path(p) for p in data["inputs"]),
                  tuple(Path(p) for p in data["buildInputs"])).entry()


def _discover_candidates(app_dir: Path, profile: str | None) -> list[_Named]:
    entries: dict[str, _Named] = {}
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
           profile_path: Path | None) -> _Named:
    # Imported here: it imports the spec model and YAML paths, which a kept load needs not.
    from hyscale_tasks.spec.references import build_files, prop_files, snippet_files

    merged = _merged(data, _quick_load(profile_path)) if profile_path is not None else dict(data)
    base = spec_path.parent
    referenced = [ref.path for ref in prop_files(merged, base) + snippet_files(merged, base)]
    inputs = [spec_path, *([profile_path] if profile_path else []), *referenced]
    return _Named(name, spec_path, profile_path, tuple(dict.fromkeys(inputs)),
                  tuple(dict.fromkeys(ref.path for ref in build_files(merged, base))))
