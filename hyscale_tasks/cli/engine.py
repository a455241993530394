"""Running the product's doit tasks in this process, on the same state as ``doit`` would.

The tasks are dodo.py's (the task creators of tasks/graph.py) and DOIT_CONFIG is the dodo's
``doit_config()``: same task names, same locked sqlite database
under ``$HYSCALE_HOME/apps/<app>/``, so a deploy made with ``hyscale`` is up to date for
``doit deploy:<svc>`` and the other way round. The context travels the way it does for doit
users: as ``HYSCALE_*`` environment variables (tasks/context.py), set only while doit runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from doit.cmd_base import NamespaceTaskLoader
from doit.doit_cmd import DoitMain
from doit.exceptions import InvalidCommand

from hyscale_tasks.cli.exits import InvalidInputError
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.tasks import creators, graph
from hyscale_tasks.tasks.backend import KeptWhenNotRun
from hyscale_tasks.tasks.context import Context, forget_resolved, resolve
from hyscale_tasks.tasks.discovery import ServiceEntry, discover
from hyscale_tasks.tasks.reporter import LoggingReporter

CONTEXT_VARIABLES = ("APPS", "APP", "NAMESPACE", "PROFILE", "VERBOSE", "SPECS", "PROFILE_FILES")


@dataclass(frozen=True)
class Target:
    """What a command works on: the app, its namespace, the spec files and their profiles."""

    app: str
    namespace: str
    specs: tuple[Path, ...]
    profile: str | None = None  # -P
    profile_files: Mapping[str, Path] = field(default_factory=dict)  # -p, by service
    verbose: bool = False

    def variables(self) -> dict[str, str]:
        values = {"APP": self.app, "NAMESPACE": self.namespace, "PROFILE": self.profile,
                  "VERBOSE": "1" if self.verbose else None,
                  "SPECS": os.pathsep.join(str(path) for path in self.specs),
                  "PROFILE_FILES": os.pathsep.join(f"{service}={path}" for service, path
                                                   in self.profile_files.items())}
        return {f"HYSCALE_{name}": value for name, value in values.items() if value}


@contextmanager
def context_of(target: Target) -> Iterator[None]:
    """The ``HYSCALE_*`` variables of ``target`` and no others (a user's HYSCALE_PROFILE must
    not slip into a run without ``-P``), restored afterwards."""
    names = [f"HYSCALE_{name}" for name in CONTEXT_VARIABLES]
    saved = {name: os.environ.get(name) for name in names}
    for name in names:
        os.environ.pop(name, None)
    os.environ.update(target.variables())
    forget_resolved()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        forget_resolved()


def load(target: Target) -> tuple[Context, list[ServiceEntry]]:
    """The context and the services the tasks will be made of; bad input is InvalidInputError."""
    with context_of(target):
        # A boundary: the command enters doit's task loading here, whose own boundary
        # (tasks/context.loading) already turned its errors into doit's InvalidCommand. What the
        # loading refuses (a bad -P name, two specs of one service) HyScale refuses before doing
        # anything, exit 2; the errors' types do not say so (most are plain HyscaleErrors), this
        # call does.
        try:
            ctx = resolve(Path.cwd())
            return ctx, discover(ctx.apps_dir / ctx.app, ctx.profile)
        except (InvalidCommand, HyscaleError) as exc:
            raise InvalidInputError(str(exc)) from None


class _Loader(NamespaceTaskLoader):  # type: ignore[misc]  # doit ships no type hints
    def __init__(self, namespace: dict[str, Any], config: dict[str, Any]) -> None:
        super().__init__()
        self.namespace = namespace
        self._config = config

    def load_doit_config(self) -> dict[str, Any]:
        # Computed here, not earlier: doit_config() resolves the context of this run.
        return {**creators.doit_config(), **self._config}

    def load_tasks(self, cmd: Any, pos_args: list[str]) -> Any:
        # doit opens the run's state database just before it loads the tasks, and has no other
        # hook between the two: the run gets it here, as KeptWhenNotRun.
        cmd.dep_manager = KeptWhenNotRun(cmd.dep_manager)
        return super().load_tasks(cmd, pos_args)


def run(target: Target, tasks: list[str], reporter: Any) -> int:
    """``doit run --continue TASKS`` with ``reporter`` (an instance); doit's exit code (0 ok,
    1 a task failed, 2 a task errored or was not run, 3 doit could not start). The stage
    events also go to the tool log (tasks/reporter.py)."""
    with context_of(target):
        loader = _Loader(graph.namespace(), {"reporter": LoggingReporter(reporter)})
        # --continue: like HyScale, one failing service does not stop the others.
        return int(DoitMain(loader, config_filenames=()).run(["run", "--continue", *tasks]))
