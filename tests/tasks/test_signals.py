"""Ctrl-C and SIGTERM end a doit run cleanly: within a bound, non-zero, one line and no
traceback, the finished tasks recorded, and no process of the run left (workers of ``-n 4``
included). Every deploy blocks on a cluster that accepts connections and never answers, so the
signal always lands while the actions (in the workers, with ``-n``) are running."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.endpoints import SilentServer, kubeconfig_for, prebuilt_app
from testing.workspace import Workspace

SERVICES = ("alpha", "beta", "gamma", "delta")
BOUND = 60.0  # seconds for a signalled run to end; a run still there after it hangs


def session_processes(session: int) -> list[str]:
    """Live processes (zombies aside) of a session, from /proc: ``pid command`` each."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp, session
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(f"{entry.name} {command}")
    return found


def assert_no_process_left(session: int) -> None:
    deadline = time.monotonic() + BOUND
    while left := session_processes(session):
        assert time.monotonic() < deadline, "processes of the run are left:\n" + "\n".join(left)
        time.sleep(0.05)


@pytest.fixture
def hung(workspace: Workspace, tmp_path: Path) -> Iterator[SilentServer]:
    with SilentServer() as server:
        workspace.kubeconfig = kubeconfig_for(server.url, tmp_path / "kubeconfig")
        prebuilt_app(workspace.apps, "hung", SERVICES)
        yield server


@pytest.mark.parametrize(("parallel", "signum", "to_group"), [
    (True, signal.SIGTERM, False),   # a CI runner cancelling the job: the doit process only
    (True, signal.SIGINT, True),     # Ctrl-C in a terminal: the whole process group
    (True, signal.SIGINT, False),    # kill -INT of the doit process
    (False, signal.SIGINT, True),    # Ctrl-C of plain doit
    (False, signal.SIGTERM, False),
], ids=["n4-sigterm", "n4-ctrl-c", "n4-sigint-pid", "serial-ctrl-c", "serial-sigterm"])
def test_a_signal_ends_the_run_cleanly(workspace: Workspace, hung: SilentServer, parallel: bool,
                                       signum: int, to_group: bool) -> None:
    workers = ["-n", "4"] if parallel else []
    process = workspace.start("app=hung", *workers, "deploy")
    hung.wait_for_connections(len(SERVICES) if parallel else 1)
    if to_group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(f"doit did not end within {BOUND}s of the signal") from None
    assert process.returncode != 0
    assert "Traceback" not in stdout + stderr, stderr
    name = signal.Signals(signum).name
    interrupted = [line for line in stderr.splitlines() if "Interrupted" in line]
    assert interrupted == [f"[ERROR]  Interrupted ({name}): the tasks that finished are recorded; "
                           "run the same command again to continue from there."], stderr
    assert_no_process_left(process.pid)  # its own session: every process it started is in it
    # What finished before the signal was saved: the render is up to date.
    assert workspace.doit("app=hung", "manifests").executed == []
