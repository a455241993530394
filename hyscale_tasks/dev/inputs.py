"""What the dev loop watches, and which services a changed file affects.

Derived from the task graph rather than kept as a list of its own: every ``file_dep`` of the
stage tasks of a service (its spec, profile, ``file()`` props, k8s snippets, artifacts, build
scripts, the docker login the manifests read) affects that service. Three kinds of change are
not a ``file_dep`` of any task, and are added here:

* a new ``.hspec`` or ``.hprof`` in a spec folder (or its ``profiles/``): the services change,
  so the graph is loaded again and every service is looked at;
* a file in the build context of a user Dockerfile: the build stage hashes the context into a
  digest (a folder cannot be a doit dependency), so the loop asks docker's own ``.dockerignore``
  matcher whether the file is sent (:mod:`hyscale_tasks.image.ignore`);
* any file under the spec folder of a service whose last turn failed: the fix may be a file no
  task depends on yet (a ``file()`` prop that did not exist, which discovery leaves out).

Files the tool writes itself (under ``HYSCALE_HOME``) are never inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hyscale_tasks.spec.references import user_dockerfile
from hyscale_tasks.spec.yamlfile import quick_load
from hyscale_tasks.tasks.discovery import ServiceEntry
from hyscale_tasks.tasks.names import split_task_name

# The stages of a deploy: their file_deps are the inputs of a service.
STAGES = ("spec", "dockerfile", "build", "push", "manifests", "deploy")
SPEC_SUFFIXES = (".hspec", ".hprof")
ALL = "*"  # a change that affects every service (a new spec or profile)


@dataclass(frozen=True)
class Graph:
    """What a front end loaded: each task's name and file_deps, and the services."""

    tasks: list[tuple[str, list[str]]]
    entries: list[ServiceEntry]


@dataclass(frozen=True)
class BuildContext:
    """A user Dockerfile's build context: its folder and Dockerfile, and the service."""

    folder: Path
    dockerfile: Path
    service: str


@dataclass
class Inputs:
    files: dict[Path, set[str]] = field(default_factory=dict)  # input -> services reading it
    spec_dirs: dict[Path, set[str]] = field(default_factory=dict)  # spec folder -> services
    contexts: list[BuildContext] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # services whose last turn failed

    def roots(self) -> list[Path]:
        """The folders to watch (recursively), none inside another."""
        folders = {*self.spec_dirs, *(c.folder for c in self.contexts),
                   *(c.dockerfile.parent for c in self.contexts),
                   *(path.parent for path in self.files)}
        existing = sorted(folder for folder in folders if folder.is_dir())
        kept: list[Path] = []
        for folder in existing:
            if not any(folder.is_relative_to(parent) for parent in kept):
                kept.append(folder)
        return kept

    def affected(self, path: Path) -> set[str]:
        """The services a change of ``path`` affects (``{ALL}``: every one)."""
        path = _absolute(path)
        found = set(self.files.get(path, ()))
        for folder, services in self.spec_dirs.items():
            inside = path.parent in (folder, folder / "profiles")
            if inside and path.suffix in SPEC_SUFFIXES and path not in self.files:
                return {ALL}  # a new spec or profile: the services themselves may change
            if path.is_relative_to(folder):
                found |= services & self.failed
        for context in self.contexts:
            if path == context.dockerfile or (path.is_relative_to(context.folder)
                                              and _sent(context, path)):
                found.add(context.service)
        return found


def inputs_of(graph: Graph, home: Path, failed: Iterable[str] = ()) -> Inputs:
    """The inputs of every service of ``graph``; ``home`` is HYSCALE_HOME (never an input)."""
    inputs = Inputs(failed=set(failed))
    names = {entry.name for entry in graph.entries}
    for name, deps in graph.tasks:
        stage, service = split_task_name(name)
        if stage not in STAGES or service not in names:
            continue
        for dep in deps:
            path = _absolute(Path(dep))
            if not path.is_relative_to(home):
                inputs.files.setdefault(path, set()).add(service)
    for entry in graph.entries:
        folder = _absolute(entry.spec_path).parent
        inputs.spec_dirs.setdefault(folder, set()).add(entry.name)
        found = user_dockerfile(quick_load(entry.spec_path), folder)
        if found is not None:
            context, dockerfile = found
            inputs.contexts.append(BuildContext(_absolute(context.path), _absolute(dockerfile.path),
                                            entry.name))
    return inputs


def _sent(context: BuildContext, path: Path) -> bool:
    # docker is imported only in image/, and only once a user Dockerfile's context changed.
    from hyscale_tasks.image.ignore import sent

    return sent(context.folder, context.dockerfile, path)


def _absolute(path: Path) -> Path:
    """Absolute, symbolic links of the folders resolved (watchfiles reports resolved paths)."""
    path = path if path.is_absolute() else Path.cwd() / path
    return path.parent.resolve() / path.name
