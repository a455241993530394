"""``python -m hyscale_tasks.dev.doit_run [OPTION...] VAR=VALUE... TASK...``: doit over the product's tasks,
without a dodo file, reporting in JSON lines.

The ``hyscale dev`` turns run this: the same task creators and DOIT_CONFIG as dodo.py (so the
same tasks and state database as ``doit`` and ``hyscale deploy``), wherever the package is
installed, and with the context given as doit variables (``app=``, ``namespace=``, ``specs=``,
``profile=``), exactly as a user would give them to ``doit``.
"""

from __future__ import annotations

import sys
from typing import Any

from doit.cmd_base import NamespaceTaskLoader
from doit.doit_cmd import DoitMain

from hyscale_tasks.tasks import creators, graph
from hyscale_tasks.tasks.backend import KeptWhenNotRun
from hyscale_tasks.tasks.reporter import JsonLinesReporter


class _Loader(NamespaceTaskLoader):  # type: ignore[misc]  # doit ships no type hints
    def __init__(self) -> None:
        super().__init__()
        self.namespace = graph.namespace()

    def load_doit_config(self) -> dict[str, Any]:
        return {**creators.doit_config(), "reporter": JsonLinesReporter}

    def load_tasks(self, cmd: Any, pos_args: list[str]) -> Any:
        # A turn of several services runs with --continue: a stage a failure kept from running
        # keeps its record (tasks/backend.py), so the turn after the fix does not redo it.
        cmd.dep_manager = KeptWhenNotRun(cmd.dep_manager)
        return super().load_tasks(cmd, pos_args)


def main(argv: list[str]) -> int:
    return int(DoitMain(_Loader(), config_filenames=()).run(["run", *argv]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
