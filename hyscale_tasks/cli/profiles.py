"""Profiles as HyScale's ``-p`` and ``-P`` select them (its ProfileSpecProcessor, §1.4).

``-P NAME`` is doit's ``profile=NAME``: ``NAME-<service>.hprof`` beside each spec or in its
``profiles/`` folder (matched exactly; HyScale's prefix match is a quirk we fixed). Every service
must have exactly one. ``-p FILE`` names profile files anywhere; each one's ``overrides`` field
says which service it is for, and the tasks get them as ``profile_files=`` (the ``spec`` task reads
that file instead of looking a profile up by name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from hyscale_tasks.cli.exits import InvalidInputError
from hyscale_tasks.spec.profiles import profile_candidates, profiles_not_found, several_profiles
from hyscale_tasks.spec.yamlfile import load_mapping
from hyscale_tasks.tasks.discovery import ServiceEntry


class Chosen(NamedTuple):
    """A service's profile: its file, and the environment it names (labels, messages)."""

    path: Path
    environment: str


def _fields(path: Path) -> dict[str, Any]:
    """The profile's fields; a profile that does not load is a SpecError (invalid input)."""
    return load_mapping(path, "profile").data


def check_named(profile: str, services: list[ServiceEntry]) -> dict[str, Chosen]:
    """``-P``: each service's one profile file, or HyScale's message for what is wrong."""
    found = {entry.name: profile_candidates(entry.spec_path.parent, profile, entry.name)
             for entry in services}
    missing = [name for name, files in found.items() if not files]
    if missing:
        raise InvalidInputError(profiles_not_found(missing))
    for name, files in found.items():
        if len(files) > 1:
            raise InvalidInputError(several_profiles(name))
    mismatched = [str(files[0]) for files in found.values()
                  if str(_fields(files[0]).get("environment")) != profile]
    if mismatched:
        raise InvalidInputError(f"Profile name mismatched with environment in "
                                f"{', '.join(mismatched)}")
    return {name: Chosen(files[0], profile) for name, files in found.items()}


def match_files(files: list[Path], services: list[ServiceEntry]) -> dict[str, Chosen]:
    """``-p``: service -> profile file, by the profile's ``overrides`` field."""
    matched: dict[str, Chosen] = {}
    unknown: list[str] = []
    for path in files:
        data = _fields(path)
        service = data.get("overrides")
        if not isinstance(service, str) or not isinstance(data.get("environment"), str):
            raise InvalidInputError(f"{path}: a profile needs 'environment: <profile>' and "
                               "'overrides: <service>'")
        if service in matched:
            raise InvalidInputError(several_profiles(service))
        matched[service] = Chosen(path, data["environment"])
        if service not in {entry.name for entry in services}:
            unknown.append(service)
    if unknown:
        raise InvalidInputError(f"Services [{', '.join(unknown)}] mentioned in profile are not found")
    return matched
