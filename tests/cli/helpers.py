"""Running the ``hyscale`` command as a user does, on a workspace of a test's own.

A :class:`CliWorkspace` is a :class:`~tests.doit_runner.Workspace` (apps folder, HYSCALE_HOME,
DOCKER_CONFIG) whose ``hyscale`` and ``doit`` runs also get a KUBECONFIG (the stand-in's). It
writes the two kinds of spec the CLI tests need: a *prebuilt* image (nothing to build or push:
no Docker; the scripted kubelet runs any image name) and, for ``@pytest.mark.docker`` tests, a
*built* one (a buildSpec on the test registry's stack image).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.doit_runner import REPO, DoitResult, Workspace

# A developer's environment must not change what the tool does in a test.
TIMEOUT = 150.0


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def stages(self, service: str) -> dict[str, str]:
        """stage -> reason, from the ``[INFO]  <stage>: <reason>`` lines of one service."""
        found: dict[str, str] = {}
        current = None
        for line in self.stdout.splitlines():
            if "SERVICE: " in line:
                current = line.split("SERVICE: ")[1].split()[0]
            elif current == service and line.startswith("[INFO]  ") and ": " in line:
                stage, _, reason = line[8:].partition(": ")
                if stage.isalpha() and stage.islower():
                    found[stage] = reason
        return found

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def ran(status: dict[str, Any]) -> list[str]:
    """The stages that ran, from one ``serviceStatus`` entry of ``deploy service -o json``."""
    return [stage["stage"] for stage in status["stages"] if stage["ran"]]


@dataclass
class CliWorkspace(Workspace):
    cwd: Path | None = None  # where hyscale runs (relative -f paths start there)

    def start_hyscale(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "hyscale_tasks.cli", *args],
                                cwd=self.cwd or self.apps.parent, env=self.env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)

    def finish(self, process: subprocess.Popen[str]) -> CliResult:
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise AssertionError(f"hyscale did not finish in {TIMEOUT}s:\n{stdout}\n{stderr}") \
                from None
        result = CliResult(process.returncode, stdout, stderr)
        assert "Traceback" not in result.output, f"a traceback:\n{result}"
        return result

    def hyscale(self, *args: str, code: int | None = 0) -> CliResult:
        """``hyscale ARGS``; asserts the exit code (unless ``code`` is None) and no traceback."""
        result = self.finish(self.start_hyscale(*args))
        if code is not None:
            assert result.returncode == code, f"expected exit {code}:\n{result}"
        return result

    def doit_app(self, app: str, *args: str, check: bool = True) -> DoitResult:
        """``doit apps=<apps> app=<app> ARGS`` (the same tasks and state as ``hyscale``)."""
        return self.doit(f"app={app}", *args, check=check)

    # -- specs ---------------------------------------------------------------------------------
    def write(self, path: Path, document: dict[str, Any]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def prebuilt(self, path: Path, service: str, image: str, **more: Any) -> Path:
        """A spec whose image exists already (``registry/name:tag``): deploy runs no Docker."""
        registry, _, rest = image.partition("/")
        name, _, tag = rest.rpartition(":")
        spec: dict[str, Any] = {"name": service,
                                "image": {"registry": registry, "name": name, "tag": tag},
                                "props": {"GREETING": "hello"},
                                "external": True,
                                "ports": [{"port": "8080/http"}]}
        spec.update(more)
        return self.write(path, spec)

    def edit(self, path: Path, **changes: Any) -> None:
        spec = yaml.safe_load(path.read_text())
        spec.update(changes)
        self.write(path, spec)

    def service_dir(self, app: str, service: str) -> Path:
        return self.home / "apps" / app / service


def make_workspace(root: Path, kubeconfig: Path | None = None) -> CliWorkspace:
    apps = root / "apps"
    apps.mkdir(parents=True, exist_ok=True)
    docker_config = root / "docker-config"
    docker_config.mkdir(parents=True, exist_ok=True)
    return CliWorkspace(apps, root / "hyscale-home", docker_config, kubeconfig=kubeconfig)


__all__ = ["REPO", "CliResult", "CliWorkspace", "make_workspace", "ran"]
