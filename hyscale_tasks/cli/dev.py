"""``hyscale dev -f <spec>[,<spec>...] -a <app> -n <ns> [-P profile]``: the dev loop.

Checks the input as ``hyscale deploy service`` does (names, spec files, ``-P`` profiles), then
hands the loop (dev/loop.py) what it needs: the task graph (the same task creators as
``hyscale deploy`` and dodo.py, with the spec files given as doit's ``specs=``) and a turn that
runs ``deploy:<svc>`` with them in a doit process of its own (dev/doit_run.py). HyScale has no
such command; the options are those of ``deploy service``, but ``-p`` profile files (doit has
no equivalent: use ``-P``) and ``-o json``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hyscale_tasks import lines
from hyscale_tasks.cli import engine, inputs, profiles
from hyscale_tasks.dev.inputs import STAGES, Graph
from hyscale_tasks.dev.loop import DevLoop, Setup
from hyscale_tasks.dev.turns import Turn, TurnCommand
from hyscale_tasks.home import hyscale_home
from hyscale_tasks.tasks import graph
from hyscale_tasks.tasks.names import task_name


def dev(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app, namespace=args.namespace)
    specs, warnings = inputs.spec_files(args.files)
    for warning in warnings:
        lines.warn(warning)
    target = engine.Target(args.app, args.namespace, tuple(specs), profile=args.profile,
                           verbose=bool(args.verbose))
    _, entries = engine.load(target)
    if args.profile is not None:
        profiles.check_named(args.profile, entries)

    def load() -> Graph:
        _, found = engine.load(target)
        with engine.context_of(target):
            return Graph(task_graph(), found)

    variables = [f"{name}={value}" for name, value in (
        ("app", args.app), ("namespace", args.namespace),
        ("specs", os.pathsep.join(str(path) for path in specs)),
        ("profile", args.profile), ("verbose", "1" if args.verbose else None)) if value]
    # A user's HYSCALE_PROFILE (or SPECS...) must not slip into a run without -P, as for deploy.
    env = {name: value for name, value in os.environ.items()
           if name not in {f"HYSCALE_{v}" for v in engine.CONTEXT_VARIABLES}}
    turn = Turn(TurnCommand([sys.executable, "-m", "hyscale_tasks.dev.doit_run"], variables,
                            Path.cwd(), env))

    def hint(services: list[str]) -> str:
        return (f"hyscale undeploy service -s {','.join(services)} -a {args.app} "
                f"-n {args.namespace}")

    setup = Setup(args.app, args.namespace, hyscale_home(), load, turn, hint,
                  undeploy_on_exit=bool(args.undeploy_on_exit))
    return DevLoop(setup).run()


def task_graph() -> list[tuple[str, list[str]]]:
    """Each stage task's name and file_deps, from the task creators (within ``context_of``)."""
    found = []
    for name, creator in graph.namespace().items():
        stage = name.removeprefix("task_")
        if stage not in STAGES:
            continue
        made = creator()
        for task in [made] if isinstance(made, dict) else made:
            if task.get("name"):
                found.append((task_name(stage, task["name"]), [str(d) for d in task.get("file_dep", [])]))
    return found
