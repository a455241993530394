"""SIGTERM (what a CI runner sends on cancel or timeout) is handled like Ctrl-C: the stages that
finished are recorded, exit code 130, no traceback; the next run continues from there."""

from __future__ import annotations

import queue
import signal
import threading
from typing import IO

import pytest
from kubernetes.stream import stream

from testing.cluster import Cluster
from testing.testimage import UNHEALTHY, log_lines
from testing.workspace import CliResult, Workspace


class _Lines:
    """The lines of a stream, read by a thread of their own as they come."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put("")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        while True:
            line = self._queue.get(timeout=timeout)
            self.seen.append(line)
            assert line, f"never printed {text!r}:\n{''.join(self.seen)}"
            if text in line:
                return

    def rest(self) -> str:
        self._thread.join(timeout=60)
        while not self._queue.empty():
            self.seen.append(self._queue.get())
        return "".join(self.seen)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_deploy_keeps_the_finished_stages(cli: Workspace, app_ns: str,
                                                       signum: int) -> None:
    # The pod runs but never becomes ready (its health check fails): the rollout wait goes on
    # until the signal.
    spec = cli.testapp(cli.apps / app_ns / "web.hspec", "web", props=UNHEALTHY, health=True)
    process = cli.start_hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns)
    assert process.stderr is not None and process.stdout is not None
    stderr = _Lines(process.stderr)
    stderr.wait_for("Waiting for 1 replica(s) of web")
    process.send_signal(signum)  # the hyscale process only, as a runner's cancel does
    process.wait(timeout=60)
    result = CliResult(process.returncode, process.stdout.read(), stderr.rest())
    assert result.returncode == 130, result
    assert "Traceback" not in result.output
    assert "[ERROR]  Interrupted: the stages that finished are recorded" in result.stderr

    status = {line.split()[1]: line.split()[0]
              for line in cli.doit_app(app_ns, f"namespace={app_ns}", "list", "--all",
                                       "--status").stdout.splitlines() if ":web" in line}
    assert {stage: status[f"{stage}:web"] for stage in
            ("spec", "dockerfile", "build", "push", "manifests", "deploy")} == {
        "spec": "U", "dockerfile": "U", "build": "U", "push": "U", "manifests": "U", "deploy": "R"}


def test_following_a_log_until_ctrl_c(cli: Workspace, cluster: Cluster, app_ns: str) -> None:
    spec = cli.testapp(cli.apps / app_ns / "web.hspec", "web", props=log_lines("started"))
    cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns)
    process = cli.start_hyscale("get", "service", "logs", "-s", "web", "-a", app_ns, "-n", app_ns,
                                "-t")
    assert process.stdout is not None and process.stderr is not None
    stdout = _Lines(process.stdout)
    stdout.wait_for("started")
    [pod] = cluster.core().list_namespaced_pod(app_ns).items
    assert pod.metadata is not None and pod.metadata.name is not None
    # A line the service prints while the log is followed: written to its main process's stdout.
    said = stream(cluster.core().connect_get_namespaced_pod_exec, pod.metadata.name, app_ns,
                  command=["sh", "-c", "echo a new line > /proc/1/fd/1 && echo written"],
                  stderr=True, stdin=False, stdout=True, tty=False)
    assert said.strip() == "written", said
    stdout.wait_for("a new line")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert "Traceback" not in process.stderr.read()
