"""``python -m hyscale_tasks.dev.spare``: the dev loop's next turn, started ahead.

A turn is a doit run in a process of its own (:mod:`.turns`), and half a second of a run that
deploys is Python importing doit, the task code, the docker SDK and the kubernetes client. The
loop keeps one such process started while the user edits: it imports all that, then waits on
standard input for its command (one JSON line: the module to run and its arguments) and runs it
once, as ``python -m MODULE ARGS...`` would. It reads nothing else beforehand (no spec, no
state, no cluster), so a run is still everything a turn was: a fresh process whose caches die
with it. A spare whose loop ended (its standard input closed without a command) exits. Its
arguments (the loop's variables, ``app=...``) are not read: they say in ``ps`` whose it is.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import runpy
import sys

# What a turn that builds and deploys imports, in the order it would.
AHEAD = ("doit.doit_cmd", "hyscale_tasks.tasks.creators", "hyscale_tasks.tasks.actions",
         "hyscale_tasks.image.stages", "hyscale_tasks.cluster.deploy")


def main() -> int:
    for module in AHEAD:
        # (a module that cannot be imported is the run's to report, in its own words)
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    command = json.loads(line)
    sys.stdin.close()
    sys.argv = [str(command["module"]), *(str(arg) for arg in command["args"])]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
