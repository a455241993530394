"""``doit dev``: the dev loop as a doit command, as doit's own ``auto`` is one (doit-auto1).

Registered as a doit COMMAND plugin (the ``doit.COMMAND`` entry point once the package is
installed; ``[tool.doit.plugins.command]`` in pyproject.toml for a checkout). It takes the same
variables as every other doit command of the tool (``doit app=hello namespace=dev profile=prod
dev``), loads the tasks of the dodo file, and runs each turn as ``doit -f <that dodo> <those
variables> -r jsonl deploy:<svc>...``: what a user would type by hand.

doit imports every command plugin for every command (``doit list`` too): this module imports
nothing but doit until the command runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from doit import doit_cmd
from doit.cmd_base import DoitCmdBase

UNDEPLOY_ON_EXIT = {
    "name": "undeploy_on_exit", "long": "undeploy-on-exit", "type": bool, "default": False,
    "help": "undeploy the app's services when the loop stops (Ctrl-C); by default they keep "
            "running"}


class Dev(DoitCmdBase):  # type: ignore[misc]  # doit ships no type hints
    name = "dev"
    doc_purpose = ("deploy the app's services, then on each save deploy what it affects, with "
                   "their logs and a forwarded port (Ctrl-C stops; the services keep running)")
    doc_usage = ""
    doc_description = ("Watches every input of the app's tasks (their file_dep, the spec "
                       "folders, user Dockerfile build contexts minus .dockerignore). See "
                       "README 'The dev loop'.")
    cmd_options = (UNDEPLOY_ON_EXIT,)

    def execute(self, params: Any, args: list[str]) -> int:
        self._dodo = Path(str(params["dodoFile"])).resolve()  # the dodo each turn runs
        return int(super().execute(params, args))

    def _execute(self, undeploy_on_exit: bool = False) -> int:
        # here: doit imports this plugin for every command, `doit list` too (module doc)
        from hyscale_tasks.dev.inputs import Graph
        from hyscale_tasks.dev.loop import DevLoop, Setup
        from hyscale_tasks.dev.turns import Turn, TurnCommand
        from hyscale_tasks.tasks.context import project_dir, resolve
        from hyscale_tasks.tasks.discovery import discover
        from hyscale_tasks.tasks.names import task_name

        self.dep_manager.close()  # the turns' doit processes use the state, not this one
        context = resolve(project_dir())

        def load() -> Graph:
            tasks = self.loader.load_tasks(cmd=self, pos_args=[])
            return Graph([(task.name, [str(dep) for dep in task.file_dep]) for task in tasks],
                         discover(context.apps_dir / context.app, context.profile))

        variables = [f"{name}={value}" for name, value in _variables().items()]
        argv = [sys.executable, "-m", "doit", "-f", str(self._dodo), "-r", "jsonl"]
        turn = Turn(TurnCommand(argv, variables, project_dir(), dict(os.environ)))

        def hint(services: list[str]) -> str:
            return " ".join(["doit", *variables, *(task_name("undeploy", name) for name in services)])

        setup = Setup(context.app, context.namespace, context.home, load, turn, hint,
                      undeploy_on_exit=undeploy_on_exit)
        return DevLoop(setup).run()


def _variables() -> dict[str, Any]:
    """The variables this doit was given (``app=hello``...), handed on to each turn."""
    return dict(getattr(doit_cmd, "_CMDLINE_VARS", None) or {})
