"""The dev loop run as a user runs it, a subprocess, seen from a test.

A :class:`DevRun` is one ``hyscale dev`` or ``doit dev`` process (tests/dev/conftest.py starts
them): it reads the loop's output as it comes, waits for lines, says which stages a turn ran and
where a service answers, interrupts the loop as a terminal's Ctrl-C does, and lists the processes
of its app that are left.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from testing.workspace import REPO, Workspace

WAIT = 240.0  # seconds a turn may take on a loaded 2-core machine (a build, a push, a rollout)
STAGE_LINE = re.compile(r"^\[INFO\]  ([a-z0-9-]+): (spec|dockerfile|build|push|manifests|deploy): (.*)$")


@dataclass
class DevRun:
    """A running dev loop: its output lines so far (stderr: the tool's; stdout: the logs)."""

    process: subprocess.Popen[str]
    app: Workspace
    err: list[str] = field(default_factory=list)
    out: list[str] = field(default_factory=list)
    _more: threading.Condition = field(default_factory=threading.Condition)

    def start_reading(self) -> None:
        for stream, into in ((self.process.stderr, self.err), (self.process.stdout, self.out)):
            threading.Thread(target=self._read, args=(stream, into), daemon=True).start()

    def _read(self, stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._more:
                into.append(line.rstrip("\n"))
                self._more.notify_all()
        with self._more:
            self._more.notify_all()

    def text(self) -> str:
        return "\n".join(["-- stderr", *self.err, "-- stdout", *self.out])

    def wait_for(self, pattern: str, since: int = 0, stream: str = "err",
                 timeout: float = WAIT) -> tuple[int, re.Match[str]]:
        """The index and match of the first line from ``since`` on that matches ``pattern``."""
        regex = re.compile(pattern)
        lines = self.err if stream == "err" else self.out
        deadline = time.monotonic() + timeout
        with self._more:
            while True:
                for index in range(since, len(lines)):
                    found = regex.search(lines[index])
                    if found:
                        return index, found
                since = max(since, len(lines))
                if self.process.poll() is not None:
                    raise AssertionError(f"the loop ended ({self.process.returncode}) before "
                                         f"{pattern!r}:\n{self.text()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern!r} within {timeout} s:\n{self.text()}")
                self._more.wait(min(left, 1.0))

    def ready(self, service: str, since: int = 0) -> int:
        """Wait for ``<service>: ready in ...``; its index."""
        return self.wait_for(rf"^\[INFO\]  {service}: ready in \d+\.\d s after", since)[0]

    def stages(self, service: str, since: int, until: int | None = None) -> list[str]:
        """The stages the loop said it ran for ``service`` between two lines."""
        return [m.group(2) for line in self.err[since:until] if (m := STAGE_LINE.match(line))
                and m.group(1) == service]

    def url(self, service: str) -> str:
        return self.wait_for(rf"^\[INFO\]  {service}: (http://127\.0\.0\.1:\d+) forwards")[1][1]

    def stop(self) -> int:
        """Ctrl-C, as a terminal sends it (to the loop's process group); the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError(f"the loop did not stop on Ctrl-C:\n{self.text()}") from None
        time.sleep(0)  # let the readers take the last lines
        return code

    def leftovers(self) -> list[str]:
        """Processes that still run with this app's name in their command line."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if self.app.name in command:
                found.append(f"{entry.name}: {command}")
        return found


def get(url: str, timeout: float = WAIT) -> str:
    """The body ``url`` answers with, once it answers (the forward is up, a pod is ready)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return str(response.read().decode())
        except OSError as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout} s: {exc}") from None
            time.sleep(1)


StartDev = Callable[..., DevRun]


def start_dev(app: Workspace, *args: str, doit: bool = False) -> DevRun:
    """``hyscale dev -f <the app's specs> -a <app> -n <app> ARGS`` (``doit=True``: ``doit
    apps=... app=<app> dev ARGS``), started in a process session of its own and read from."""
    if doit:
        command = [sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"),
                   f"apps={app.apps}", f"app={app.name}", "dev", *args]
    else:
        specs = ",".join(str(path) for path in sorted(app.folder.glob("*.hspec")))
        command = [sys.executable, "-m", "hyscale_tasks.cli", "dev", "-f", specs,
                   "-a", app.name, "-n", app.namespace, *args]
    process = subprocess.Popen(command, cwd=REPO, env=app.env(), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    run = DevRun(process, app)
    run.start_reading()
    return run
