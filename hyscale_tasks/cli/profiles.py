"""Profiles as HyScale's ``-p`` and ``-P`` select them (its ProfileSpecProcessor, §1.4).

``-P NAME`` is doit's ``profile=NAME``: ``NAME-<service>.hprof`` beside each spec or in its
``profiles/`` folder (matched exactly; HyScale's prefix match is a quirk we fixed). Every service
must have exactly one. ``-p FILE`` names profile files anywhere; each one's ``overrides`` field
says which service it is for. doit has no such variable, so for those services the ``spec`` task
takes the file itself (:func:`with_profile_files`); every other task is the product's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from hyscale_tasks import lines
from hyscale_tasks.cli.exits import InvalidInputError
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.spec.profiles import profile_candidates
from hyscale_tasks.spec.yamlfile import load_mapping
from hyscale_tasks.tasks.actions import reports_errors
from hyscale_tasks.tasks.creators import spec_uptodate
from hyscale_tasks.tasks.discovery import ServiceEntry, describe
from hyscale_tasks.tasks.paths import service_paths
from hyscale_tasks.tasks.uptodate import records_written

TaskCreator = Callable[[], Iterator[dict[str, Any]]]


class Chosen(NamedTuple):
    """A service's profile: its file, and the environment it names (labels, messages)."""

    path: Path
    environment: str


def _fields(path: Path) -> dict[str, Any]:
    try:
        return load_mapping(path, "profile").data
    except HyscaleError as exc:
        raise InvalidInputError(str(exc)) from None


def check_named(profile: str, services: list[ServiceEntry]) -> dict[str, Chosen]:
    """``-P``: each service's one profile file, or HyScale's message for what is wrong."""
    found = {entry.name: profile_candidates(entry.spec_path.parent, profile, entry.name)
             for entry in services}
    missing = [name for name, files in found.items() if not files]
    if missing:
        raise InvalidInputError(f"Profile not found for services {','.join(missing)}")
    for name, files in found.items():
        if len(files) > 1:
            raise InvalidInputError(f"Service {name} cannot have multiple profiles")
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
            raise InvalidInputError(f"Service {service} cannot have multiple profiles")
        matched[service] = Chosen(path, data["environment"])
        if service not in {entry.name for entry in services}:
            unknown.append(service)
    if unknown:
        raise InvalidInputError(f"Services [{', '.join(unknown)}] mentioned in profile are not found")
    return matched


def with_profile_files(task_spec: TaskCreator, files: dict[str, Path], services:
                       list[ServiceEntry], app: str, app_home: Path) -> TaskCreator:
    """The product's ``spec`` creator, except that the services of ``files`` read that profile."""
    specs = {entry.name: entry.spec_path for entry in services}

    def task_spec_with_profile_files() -> Iterator[dict[str, Any]]:
        for task in task_spec():
            name = task.get("name")
            if name not in files:
                yield task
                continue
            entry = describe(specs[name], files[name])
            paths = service_paths(app_home, name)
            yield {**task,
                   "doc": f"validate {entry.spec_path.name} + {files[name].name} of app {app}",
                   "actions": [(spec_stage_with_profile, [str(entry.spec_path), str(files[name]),
                                                          app, str(paths.build_spec),
                                                          str(paths.deploy_spec)])],
                   "file_dep": [str(p) for p in entry.spec_inputs],
                   "uptodate": spec_uptodate(paths, profile_file=str(files[name]))}

    task_spec_with_profile_files.__doc__ = task_spec.__doc__
    return task_spec_with_profile_files


@reports_errors
def spec_stage_with_profile(spec_path: str, profile_path: str, app: str, build_spec_record: str,
                            deploy_spec_record: str) -> dict[str, Any]:
    """tasks/actions.py's spec stage, with the profile given by path instead of by name."""
    # here: the spec stage's code (jsonschema) is loaded only when it runs, never for --help
    from hyscale_tasks.spec.records import make_records, write_records

    records = make_records(Path(spec_path), Path(profile_path), app)
    for warning in records.warnings:
        lines.warn(warning)
    write_records(records, Path(build_spec_record), Path(deploy_spec_record))
    return records_written(build_spec_record, deploy_spec_record)
