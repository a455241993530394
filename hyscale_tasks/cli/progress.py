"""The doit reporter behind ``hyscale deploy`` and ``generate``: HyScale's stage-by-stage output.

Per service: a ``SERVICE: <name>`` header, HyScale's header for each group of stages, and per
stage the reason it ran or was skipped (``[INFO]  build: up to date``) followed by its activity
line. It also keeps each service's outcome (the stage that failed and why) for the closing
summary and for ``-o json``. Reasons come from tasks/reasons.py, as for the JSON-lines reporter.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hyscale_tasks.cli.console import Console, error
from hyscale_tasks.tasks.names import split_task_name
from hyscale_tasks.tasks.reasons import UP_TO_DATE, ReasonBook

# stage -> (activity, HyScale's header for the group of stages it belongs to)
STAGES = {
    "spec": ("Validating service spec", ""),
    "dockerfile": ("Generating Dockerfile", "Dockerfile Generation"),
    "build": ("Building image", "Image build and Push"),
    "push": ("Pushing image", "Image build and Push"),
    "manifests": ("Generating manifests", " Manifest Generation "),
    "deploy": ("Deploying", " Deployment "),
    "cluster": ("Checking the cluster", " Deployment "),
}
# Stages shown only when they run: the cluster check is up to date whenever the cluster answers
# (the command checked it before the first stage), which is not worth a line per service.
QUIET_WHEN_SKIPPED = {"cluster"}


@dataclass
class ServiceResult:
    name: str
    started: float = field(default_factory=time.monotonic)
    failed_stage: str | None = None
    message: str = ""
    bug: bool = False  # an exception in a stage, not an expected failure
    stages: list[dict[str, Any]] = field(default_factory=list)  # {"stage", "ran", "reason"}

    @property
    def ok(self) -> bool:
        return self.failed_stage is None


class Progress:
    """A doit reporter (doit/reporter.py's interface). ``loud`` False: note, print nothing."""

    desc = "HyScale's stage-by-stage console output"

    def __init__(self, console: Console, final_stage: str,
                 on_done: Callable[[ServiceResult], None]) -> None:
        self.console = console
        self.final_stage = final_stage  # the stage whose end is the end of a service
        self.on_done = on_done
        self.loud = True
        self.book = ReasonBook()
        self.results: dict[str, ServiceResult] = {}
        self._earlier: dict[str, str] = {}  # reasons of tasks run while not loud
        self._where: tuple[str, str] | None = None  # (service, header) printed last

    # -- doit's reporter interface -------------------------------------------------------
    def initialize(self, tasks: dict[str, Any], selected_tasks: list[str]) -> None:
        self.book.watch(tasks)

    def get_status(self, task: Any) -> None:
        self.book.selected(task)

    def execute_task(self, task: Any) -> None:
        if not task.actions:
            return
        reason = self.book.why(task)
        if not self.loud:
            self._earlier[task.name] = reason
            return
        stage = self._enter(task)
        self._say(task, True, reason)
        self.console.start(_activity(stage))

    def add_success(self, task: Any) -> None:
        if task.actions:
            self.console.end("DONE")
            self._found(task)
            self._finish(task)

    def add_failure(self, task: Any, fail: Any) -> None:
        stage, service = _split(task)
        result = self.results.setdefault(service, ServiceResult(service))
        if fail.get_name() == "UnmetDependency":
            self._enter(task)
            self._say(task, False, f"not run, {fail.message} did not succeed")
            self.console.activity(_activity(stage), "SKIPPED")
        else:
            self.console.end("FAILED")
            if result.failed_stage is None:
                result.failed_stage, result.message = stage, fail.message
            result.bug = result.bug or fail.get_name() == "TaskError"
            if fail.report:  # else the stage printed its message already
                error(fail.get_msg() if result.bug else fail.message)
        self._finish(task)

    def skip_uptodate(self, task: Any) -> None:
        if not task.actions or not self.loud or _split(task)[0] in QUIET_WHEN_SKIPPED:
            return
        reason = self._earlier.pop(task.name, None)  # it ran, in the validation pass
        stage = self._enter(task)
        self._say(task, reason is not None, reason or UP_TO_DATE)
        self.console.activity(_activity(stage), "DONE" if reason else "SKIPPED")
        self._finish(task)

    def skip_ignore(self, task: Any) -> None:
        stage = self._enter(task)
        self._say(task, False, f"ignored ('doit forget {task.name}' undoes 'doit ignore')")
        self.console.activity(_activity(stage), "SKIPPED")
        self._finish(task)

    def teardown_task(self, task: Any) -> None:
        pass

    def cleanup_error(self, exception: Any) -> None:
        error(exception.get_msg())

    def runtime_error(self, msg: str) -> None:
        error(msg)

    def complete_run(self) -> None:
        pass

    # -- helpers ---------------------------------------------------------------------------
    def _enter(self, task: Any) -> str:
        """Headers for a task of a new service or of a new group of stages; its stage."""
        stage, service = _split(task)
        self.results.setdefault(service, ServiceResult(service))
        if not self.loud:
            return stage
        header = STAGES.get(stage, ("", f" {stage} "))[1]
        if self._where is None or self._where[0] != service:
            self.console.header(f"SERVICE: {service}")
            self._where = (service, "")
        if self._where[1] != header:
            if header:
                self.console.header(header)
            self._where = (service, header)
        return stage

    def _say(self, task: Any, ran: bool, reason: str) -> None:
        """``[INFO]  <stage>: <reason>``, and the same in the service's result."""
        stage, service = _split(task)
        self.results[service].stages.append({"stage": stage, "ran": ran, "reason": reason})
        self.console.info(f"{stage}: {reason}")

    def _found(self, task: Any) -> None:
        """A stage that found its work done already (the image was in the registry) gives that
        as its reason in ``-o json``; the stage printed the line itself."""
        found = self.book.outcome(task)
        stage, service = _split(task)
        result = self.results.get(service)
        if found and result is not None and result.stages and result.stages[-1]["stage"] == stage:
            result.stages[-1]["reason"] = found

    def _finish(self, task: Any) -> None:
        stage, service = _split(task)
        if stage == self.final_stage and self.loud:
            self.on_done(self.results[service])


def _split(task: Any) -> tuple[str, str]:
    return split_task_name(str(task.name))


def _activity(stage: str) -> str:
    return STAGES.get(stage, (stage, ""))[0]
