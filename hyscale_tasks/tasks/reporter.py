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

Every reporter of the tool also writes the run's events into the tool log (hyscale_tasks/log.py)
through :class:`LoggingReporter`: the JSON-lines one, doit's console reporter (the default
:class:`ConsoleReporter`) and the ``hyscale`` command's (cli/engine.py wraps it).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from doit.reporter import ConsoleReporter as DoitConsoleReporter

from hyscale_tasks import log
from hyscale_tasks.tasks.names import split_task_name
from hyscale_tasks.tasks.reasons import UP_TO_DATE, ReasonBook


def task_fields(task: Any) -> dict[str, str]:
    """``{"task", "stage", "service"}`` of a task named ``<stage>:<service>``."""
    stage, service = split_task_name(str(task.name))
    return {"task": task.name, "stage": stage, "service": service}


class JsonLines:
    """doit's reporter interface (doit/reporter.py), as JSON lines on ``outstream``."""

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


class LoggingReporter:
    """``inner``, a doit reporter, that also writes each event into the run's tool log.

    The reasons come from ``inner``'s :class:`ReasonBook` when it keeps one (the book wraps the
    tasks' checks: two books would each see half the answers), else from a book of its own.
    The log is opened when the run starts (``initialize``), so loading tasks (``doit list``)
    writes none."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        shared = getattr(inner, "book", None)
        self.book: ReasonBook = shared if isinstance(shared, ReasonBook) else ReasonBook()
        self._own_book = shared is None
        self._logger = log.run_logger()
        self._started: dict[str, float] = {}
        self._counts = {"ran": 0, "up to date": 0, "failed": 0}

    def initialize(self, tasks: dict[str, Any], selected_tasks: list[str]) -> None:
        self.inner.initialize(tasks, selected_tasks)
        if self._own_book:
            self.book.watch(tasks)
        log.open_run_log(log.command_line(sys.argv))
        self._logger.debug("tasks asked for: %s", " ".join(selected_tasks) or "(the defaults)")

    def get_status(self, task: Any) -> None:
        self.inner.get_status(task)
        if self._own_book:
            self.book.selected(task)

    def execute_task(self, task: Any) -> None:
        self.inner.execute_task(task)
        if task.actions:
            self._started[task.name] = time.monotonic()
            self._counts["ran"] += 1
            self._logger.info("%s started: %s", task.name, self.book.why(task))

    def add_success(self, task: Any) -> None:
        self.inner.add_success(task)
        if task.actions:
            found = self.book.outcome(task)
            self._logger.info("%s finished in %.1f s%s", task.name, self._seconds(task),
                              f": {found}" if found else "")

    def add_failure(self, task: Any, fail: Any) -> None:
        self.inner.add_failure(task, fail)
        self._counts["failed"] += 1
        self._logger.error("%s failed after %.1f s (%s): %s", task.name, self._seconds(task),
                           fail.get_name(), fail.get_msg().rstrip())  # a bug's traceback too

    def skip_uptodate(self, task: Any) -> None:
        self.inner.skip_uptodate(task)
        if task.actions:
            self._counts["up to date"] += 1
            self._logger.debug("%s %s", task.name, UP_TO_DATE)

    def skip_ignore(self, task: Any) -> None:
        self.inner.skip_ignore(task)
        self._logger.debug("%s ignored (doit ignore)", task.name)

    def teardown_task(self, task: Any) -> None:
        self.inner.teardown_task(task)

    def cleanup_error(self, exception: Any) -> None:
        self.inner.cleanup_error(exception)
        self._logger.error("clean-up failed: %s", exception.get_msg())

    def runtime_error(self, msg: str) -> None:
        self.inner.runtime_error(msg)
        self._logger.error("doit could not run: %s", msg)

    def complete_run(self) -> None:
        self.inner.complete_run()
        counts = ", ".join(f"{count} {what}" for what, count in self._counts.items())
        self._logger.info("run %s: %s", "failed" if self._counts["failed"] else "succeeded",
                          counts)

    def _seconds(self, task: Any) -> float:
        started = self._started.get(task.name)
        return time.monotonic() - started if started is not None else 0.0


class JsonLinesReporter(LoggingReporter):
    """``doit -r jsonl``: :class:`JsonLines`, and the tool log."""

    desc = "one JSON object per line and per task event, flushed at once (hyscale-tasks)"

    def __init__(self, outstream: TextIO, options: dict[str, Any]) -> None:
        super().__init__(JsonLines(outstream, options))


class ConsoleReporter(LoggingReporter):
    """doit's own console reporter (what ``doit`` prints by default), and the tool log."""

    desc = DoitConsoleReporter.desc

    def __init__(self, outstream: TextIO, options: dict[str, Any]) -> None:
        super().__init__(DoitConsoleReporter(outstream, options))
