"""Runs cut short: the Docker engine dies mid-build, the user interrupts mid-push. Either way the
run fails without leaving a lie in the records, and the next run converges."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from testing.dockerd import SecondDaemon
from testing.registry import Registry
from testing.relay import Relay
from testing.workspace import NewApp, Workspace

pytestmark = pytest.mark.docker


def wait_for(condition: str, check: Callable[[], bool], app: Workspace,
             process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None:
            result = app.wait(process, check=False)
            raise AssertionError(f"doit ended before {condition}:\n{result.stdout}\n{result.stderr}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        time.sleep(0.05)


def assert_converged(app: Workspace, registry: Registry, host: str) -> None:
    pushed = app.push_record("web")
    repository = app.repository("web")
    assert registry.served_digest(repository, "1.0") == pushed["digest"]
    assert app.deployed_image("web") == f"{host}/{repository}:1.0@{pushed['digest']}"
    assert app.run("push:web", "manifests:web").executed == []


@pytest.fixture
def second_daemon() -> Iterator[SecondDaemon]:
    """An engine of the test's own, on its own bridge (test-infra §1.4), that it may SIGKILL."""
    with SecondDaemon() as daemon:
        daemon.start()
        yield daemon


def test_daemon_killed_mid_build_fails_cleanly_and_the_next_run_converges(
        new_app: NewApp, registry: Registry, second_daemon: SecondDaemon) -> None:
    app = new_app("killed")
    app.generated("web", f"killed {app.name}", run_commands=None,
                  config_commands="echo before-the-sleep\nsleep 8\necho after-the-sleep")
    app.extra_env["DOCKER_HOST"] = second_daemon.url
    process = app.run_start("push:web", "manifests:web")
    log = app.paths("web").build_log
    wait_for("the build's sleep", lambda: log.is_file() and "before-the-sleep" in log.read_text(), app,
             process)
    second_daemon.kill()
    result = app.wait(process, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert second_daemon.url in result.stderr and "dockerd" in result.stderr, result.stderr
    assert "after-the-sleep" not in log.read_text()
    assert not app.paths("web").build_record.exists()
    assert not app.paths("web").push_record.exists()
    second_daemon.start()
    again = app.run("push:web", "manifests:web")
    assert {"build:web", "push:web", "manifests:web"} <= set(again.executed)
    assert "after-the-sleep" in log.read_text()
    assert_converged(app, registry, registry.host)


def test_interrupt_mid_push_leaves_a_state_the_next_run_converges_from(
        new_app: NewApp, registry: Registry, registry_relay: Relay) -> None:
    """SIGINT (Ctrl-C) to doit's process group while the daemon uploads a layer: the relay holds
    the upload so the interrupt lands mid-push for sure."""
    app = new_app("sigint", registry_host=registry_relay.host)
    app.generated("web", f"interrupted {app.name}")
    registry_relay.hold(lambda method, path: method == "POST" and "/blobs/uploads/" in path)
    process = app.run_start("push:web", "manifests:web")
    wait_for("the layer upload", registry_relay.holding.is_set, app, process)
    assert app.paths("web").push_log.is_file()
    os.killpg(process.pid, signal.SIGINT)
    result = app.wait(process, check=False)
    registry_relay.release()
    assert result.returncode != 0
    assert not app.paths("web").push_record.exists()
    again = app.run("push:web", "manifests:web")
    assert "push:web" in again.executed and "build:web" not in again.executed
    assert_converged(app, registry, registry_relay.host)
