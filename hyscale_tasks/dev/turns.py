"""One turn of the dev loop: ``deploy:<svc>`` for the services a save affected, as a doit run.

The run is a process of its own, the same doit a user would run by hand, on the same state
database: what a turn leaves is what ``doit deploy`` would leave, a later ``doit deploy`` is a
no-op, and nothing the run caches (registry answers, cluster listings, connections) outlives it.
It reports through the JSON-lines reporter (tasks/reporter.py) on its stdout, and its stderr
goes into the same pipe: the loop reads one stream, in the order the run wrote it, turns each
event into its line ("web: spec: web.hspec changed") and passes every other line on as it comes
(the deploy's progress, an error's diagnosis), so a stage's line always comes before what the
stage said.

The process gets a session of its own: a terminal's Ctrl-C reaches the loop only, and the loop
interrupts the run (SIGINT to its whole group, then SIGKILL if it does not end), so that doit
records the stages that finished and no worker is left behind.

A run's process is started ahead (:mod:`.spare`) when its command is ``python -m MODULE ...``:
after each run, the next one's Python imports what a run needs while the user edits, and the
turn hands it its tasks. Nothing of the earlier run is in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hyscale_tasks import lines
from hyscale_tasks.tasks.names import split_task_name, task_name

INTERRUPT_GRACE = 30.0  # seconds a run has to save its records after SIGINT


@dataclass
class Outcome:
    """What a turn did for one service: the stages that ran (with their reasons) and whether
    the service is deployed and ready (its deploy stage succeeded or was up to date)."""

    service: str
    ran: list[tuple[str, str]] = field(default_factory=list)  # (stage, reason)
    ready: bool = False
    failed_stage: str | None = None
    done: bool = False  # its deploy stage ended (or the run did)


@dataclass(frozen=True)
class TurnCommand:
    """How to start a doit run whose reporter is the JSON-lines one: ``argv``, then options
    (doit takes them before anything else), ``variables`` (``app=hello``...), task names."""

    argv: list[str]
    variables: list[str]
    cwd: Path
    env: dict[str, str]


class Turn:
    """Runs one doit process at a time; :meth:`interrupt` may be called from another thread."""

    def __init__(self, command: TurnCommand, say: Callable[[str], None] = lines.info) -> None:
        self.command = command
        self.say = say
        # Told about each service as soon as its deploy stage ends, not when the whole run does.
        self.on_done: Callable[[Outcome], None] = lambda outcome: None
        self._process: subprocess.Popen[str] | None = None
        self._spare: subprocess.Popen[str] | None = None  # the next run's process, if started
        self._lock = threading.Lock()
        self._stopped = False

    def run(self, services: list[str]) -> dict[str, Outcome]:
        """Deploy ``services``; one line per stage that runs, with its reason, as it starts."""
        return self.run_tasks([task_name("deploy", name) for name in services], services)

    def run_tasks(self, tasks: list[str], services: list[str] | None = None) -> dict[str, Outcome]:
        """Run ``tasks``; the outcome of each of ``services`` (by default, the tasks')."""
        names = services if services is not None else [split_task_name(t)[1] for t in tasks]
        outcomes = {name: Outcome(name) for name in names}
        with self._lock:
            if self._stopped:
                return outcomes
            # --continue only for several services: one failing does not stop the others (the
            # stages a failure kept from running keep their records: dev/doit_run.py).
            options = ["--continue"] if len(names) > 1 else []
            self._process = self._launch([*options, *self.command.variables, *tasks])
            process = self._process
        assert process.stdout is not None
        for line in process.stdout:
            self._event(line, outcomes)
        process.wait()
        with self._lock:
            self._process = None
            if not self._stopped and self._spare is None:
                self._spare = self._start_spare()
        for outcome in outcomes.values():
            self._done(outcome)
        return outcomes

    def _launch(self, args: list[str]) -> subprocess.Popen[str]:
        """The run's process: the spare, given its command, when there is one that took it."""
        argv = self.command.argv
        if argv[1:2] == ["-m"] and len(argv) > 2:
            spare, self._spare = self._spare or self._start_spare(), None
            if spare is not None:
                assert spare.stdin is not None
                try:
                    spare.stdin.write(json.dumps({"module": argv[2],
                                                  "args": [*argv[3:], *args]}) + "\n")
                    spare.stdin.close()
                    return spare
                except OSError:  # it died meanwhile: start the run the plain way
                    spare.kill()
                    spare.wait()
        return self._popen([*argv, *args])

    def _start_spare(self) -> subprocess.Popen[str] | None:
        if self.command.argv[1:2] != ["-m"]:
            return None
        # (the variables name the app in its command line: ``ps`` tells whose spare it is)
        return self._popen([self.command.argv[0], "-m", "hyscale_tasks.dev.spare",
                            *self.command.variables], stdin=subprocess.PIPE)

    def _popen(self, argv: list[str], stdin: int | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(argv, cwd=self.command.cwd, env=self.command.env, stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)

    def close(self) -> None:
        """No more runs: end the spare process (it would end once the loop's pipe closed)."""
        with self._lock:
            self._stopped = True
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.kill()
            spare.wait()

    def _done(self, outcome: Outcome) -> None:
        if not outcome.done:
            outcome.done = True
            self.on_done(outcome)

    def reopen(self) -> None:
        """Allow runs again after :meth:`interrupt` (the undeploy on the way out)."""
        with self._lock:
            self._stopped = False

    def _event(self, line: str, outcomes: dict[str, Outcome]) -> None:
        try:
            event = json.loads(line) if line.startswith('{"event"') else None
        except ValueError:
            event = None
        if not isinstance(event, dict):  # what a stage (or doit) said: pass it on
            lines.say(line.rstrip("\n"))
            return
        service, stage = str(event.get("service", "")), str(event.get("stage", ""))
        outcome = outcomes.get(service)
        kind = event.get("event")
        if kind == "error":  # doit could not run (a bad task name, an unreadable state)
            lines.error(str(event.get("message", "")))
        if outcome is None:
            return
        if kind == "start":
            reason = str(event.get("reason", ""))
            outcome.ran.append((stage, reason))
            self.say(f"{service}: {stage}: {reason}")
        elif kind == "success":
            if event.get("reason"):  # it found its work done (the image was in the registry)
                self.say(f"{service}: {stage}: {event['reason']}")
            outcome.ready = outcome.ready or stage == "deploy"
        elif kind == "skip":
            outcome.ready = outcome.ready or stage == "deploy"
        elif kind == "failure" and outcome.failed_stage is None:
            outcome.failed_stage = stage
        if stage == "deploy" and kind in ("success", "skip", "failure"):
            self._done(outcome)

    def interrupt(self) -> None:
        """Stop the run in progress, if any, and every later one."""
        with self._lock:
            self._stopped = True
            process = self._process
        self.close()
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(INTERRUPT_GRACE)
        # Whatever of its group outlived it (a worker, a docker client) goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
