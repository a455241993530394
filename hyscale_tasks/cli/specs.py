"""From ``-f``/``-p``/``-P`` to a validated set of services, as HyScale does before any stage.

HyScale reads and validates every spec and profile before it builds or deploys anything, and
refuses the whole command (exit 2) if one is invalid. Here that is a first doit run of the
``spec`` tasks alone; only when all of them succeed do the other stages run.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

from hyscale_tasks.cli import engine, inputs, profiles
from hyscale_tasks.cli.console import Console
from hyscale_tasks.cli.exits import FAILED, INVALID_INPUT, OK, UNEXPECTED
from hyscale_tasks.cli.progress import Progress
from hyscale_tasks.tasks.context import Context
from hyscale_tasks.tasks.discovery import ServiceEntry
from hyscale_tasks.tasks.names import task_name


@dataclass(frozen=True)
class Services:
    """What a deploy or generate command works on, ready to run."""

    target: engine.Target
    context: Context
    entries: list[ServiceEntry]

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def run(self, stages: list[str], progress: Progress) -> int:
        """doit run of ``<stage>:<service>`` for each service, in that order."""
        with progress.console.guard():
            return engine.run(self.target, [task_name(stage, name) for name in self.names
                                            for stage in stages], progress)


def prepare(args: argparse.Namespace, namespace: str, console: Console) -> Services:
    """Check the files and profiles of ``args``; :class:`InvalidInputError` if HyScale would refuse."""
    specs, warnings = inputs.spec_files(args.files)
    target = engine.Target(args.app, namespace, tuple(specs), profile=args.profile,
                           verbose=bool(getattr(args, "verbose", False)))
    context, entries = engine.load(target)
    chosen: dict[str, profiles.Chosen] = {}
    if args.profile is not None:
        chosen = profiles.check_named(args.profile, entries)
    elif args.profile_files:
        files, profile_warnings = inputs.profile_files(args.profile_files)
        warnings += profile_warnings
        chosen = profiles.match_files(files, entries)
        target = dataclasses.replace(target, profile_files={
            service: profile.path for service, profile in chosen.items()})
        context, entries = engine.load(target)  # each with its profile file and what it reads
    for warning in warnings:
        console.warn(warning)
    for service, profile in chosen.items():
        console.activity(f'Applying profile "{profile.environment}" for service "{service}"',
                         "DONE")
    return Services(target, context, entries)


def validate(services: Services, progress: Progress) -> int:
    """Run every ``spec`` task, quietly (the next run shows them with their reasons)."""
    progress.loud = False
    try:
        code = services.run(["spec"], progress)
    finally:
        progress.loud = True
    results = progress.results.values()
    if any(result.bug for result in results):
        return UNEXPECTED
    if any(not result.ok for result in results):
        return INVALID_INPUT
    return OK if code == 0 else FAILED
