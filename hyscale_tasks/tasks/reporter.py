"""A doit reporter for programs: one JSON object per line, written and flushed as it happens.

``doit -r jsonl deploy:web`` (once the ``doit.REPORTER`` entry point is installed, see
docs/cli.md) prints, for every task that has actions::

    {"event": "start", "task": "build:web", "stage": "build", "service": "web",
     "reason": "index.html changed", "time": 1767225600.12}
    {"event": "success", "task": "build:web", ..., "seconds": 3.1}
    {"event": "success", "task": "build:api", ..., "seconds": 0.1, "reason": "image for these
     inputs already in the registry (sha256:...): ...; nothing built"}
    {"event": "skip", "task": "push:web", ..., "reason": "up to date"}
    {"event": "failure", "task": "deploy:web", ..., "kind": "TaskFailed", "message": "..."}

and ``{"event": "done", "ran": N, "skipped": N, "failed": N, "result": "success"}`` at the end.
doit's own ``json`` reporter prints one document when everything is over, so a CI job sees
nothing during a ten-minute build; this one streams. Errors doit meets before running any task
(a bad task name, a bad spec folder) are printed by doit itself, not through a reporter.
"""

from __future__ import annotations

import json
import time
from typing import Any, TextIO

from hyscale_tasks.tasks.reasons import UP_TO_DATE, ReasonBook


def task_fields(task: Any) -> dict[str, str]:
    """``{"task", "stage", "service"}`` of a task named ``<stage>:<service>``."""
    stage, _, service = str(task.name).partition(":")
    return {"task": task.name, "stage": stage, "service": service}


class JsonLinesReporter:
    """doit's reporter interface (doit/reporter.py), as JSON lines on ``outstream``."""

    desc = "one JSON object per line and per task event, flushed at once (hyscale-tasks)"

    def __init__(self, outstream: TextIO, options: dict[str, Any]) -> None:
        self.outstream = outstream
        self.book = ReasonBook()
        self._started: dict[str, float] = {}
        self._counts = {"ran": 0, "skipped": 0, "failed": 0}

    def _emit(self, event: str, **fields: Any) -> None:
        self.outstream.write(json.dumps({"event": event, **fields}, default=str) + "\n")
        self.outstream.flush()

    def initialize(self, tasks: dict[str, Any], selected_tasks: list[str]) -> None:
        self.book.watch(tasks)

    def get_status(self, task: Any) -> None:
        self.book.selected(task)

    def execute_task(self, task: Any) -> None:
        if not task.actions:  # a group task: its sub-tasks report for it
            return
        self._started[task.name] = time.monotonic()
        self._counts["ran"] += 1
        self._emit("start", **task_fields(task), reason=self.book.why(task), time=time.time())

    def add_success(self, task: Any) -> None:
        if task.actions:
            found = self.book.outcome(task)  # e.g. the image was in the registry: not built
            self._emit("success", **task_fields(task), seconds=self._seconds(task),
                       **({"reason": found} if found else {}))

    def add_failure(self, task: Any, fail: Any) -> None:
        self._counts["failed"] += 1
        self._emit("failure", **task_fields(task), kind=fail.get_name(), message=fail.message,
                   seconds=self._seconds(task))

    def skip_uptodate(self, task: Any) -> None:
        if task.actions:
            self._counts["skipped"] += 1
            self._emit("skip", **task_fields(task), reason=UP_TO_DATE)

    def skip_ignore(self, task: Any) -> None:
        self._emit("skip", **task_fields(task), reason="ignored (doit ignore)")

    def teardown_task(self, task: Any) -> None:
        pass

    def cleanup_error(self, exception: Any) -> None:
        self._emit("error", message=exception.get_msg())

    def runtime_error(self, msg: str) -> None:
        self._emit("error", message=msg)

    def complete_run(self) -> None:
        self._emit("done", **self._counts,
                   result="failure" if self._counts["failed"] else "success")

    def _seconds(self, task: Any) -> float:
        started = self._started.get(task.name)
        return round(time.monotonic() - started, 3) if started is not None else 0.0
