"""Running the real ``doit`` command on a copy of an app, as a user would, for the task tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APPS = REPO / "apps"
# What a developer's shell may have set that would change what the tool does in a test.
SCRUBBED = ("HYSCALE_APPS", "HYSCALE_APP", "HYSCALE_NAMESPACE", "HYSCALE_PROFILE", "HYSCALE_SPECS",
            "HYSCALE_VERBOSE", "KUBECONFIG", "HYS_ROLLOUT_TIMEOUT", "HYS_POD_RESTART_COUNT",
            "HYS_LB_READY_TIMEOUT", "HYS_IMAGE_CLEANUP_POLICY", "HYS_REGISTRY_CONFIG",
            "HYS_LOG_LEVEL", "HYS_LOG_SIZE")
# seconds: a pull and a start take a few on the test cluster; a wait longer than this is a bug
ROLLOUT_TIMEOUT = "60"


# Root reads every file: a test of an unreadable file runs doit as nobody (util-linux setpriv).
AS_NOBODY = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")


@dataclass
class DoitResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def executed(self) -> list[str]:
        """Tasks whose actions ran (doit's console reporter marks them with '.')."""
        return [line[3:].strip() for line in self.stdout.splitlines() if line.startswith(".  ")]

    @property
    def skipped(self) -> list[str]:
        return [line[3:].strip() for line in self.stdout.splitlines() if line.startswith("-- ")]


@dataclass
class Workspace:
    """An apps folder and a HYSCALE_HOME of a test's own, with no docker login; the cluster is
    ``kubeconfig`` (none by default), and ``extra_env`` goes on top of the environment.
    ``run_as`` is a command that runs doit as another user (see :data:`AS_NOBODY`).

    Every ``doit`` run starts in a process session of its own, so a run that hangs is killed with
    its workers; every result is kept in :attr:`results` (the secret checks read them all)."""

    apps: Path
    home: Path
    docker_config: Path
    kubeconfig: Path | None = field(default=None, kw_only=True)
    extra_env: dict[str, str] = field(default_factory=dict, kw_only=True)
    results: list[DoitResult] = field(default_factory=list, kw_only=True)
    timeout: float = field(default=120.0, kw_only=True)
    run_as: tuple[str, ...] = field(default=(), kw_only=True)

    def add_app(self, name: str, source: Path | None = None) -> Path:
        target = self.apps / name
        shutil.copytree(source or APPS / name, target)
        return target

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(HYSCALE_HOME=str(self.home), DOCKER_CONFIG=str(self.docker_config),
                   HYS_ROLLOUT_TIMEOUT=ROLLOUT_TIMEOUT, HYS_LB_READY_TIMEOUT="5000")
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        env.update(self.extra_env)
        return env

    def doit(self, *args: str, check: bool = True) -> DoitResult:
        return self.wait(self.start(*args), check=check)

    def start(self, *args: str) -> subprocess.Popen[str]:
        command = [*self.run_as, sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"),
                   f"apps={self.apps}", *args]
        return subprocess.Popen(command, cwd=REPO, env=self.env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)

    def wait(self, process: subprocess.Popen[str], check: bool = True) -> DoitResult:
        try:
            stdout, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"doit did not finish within {self.timeout}s:\n{stdout}\n{stderr}") from None
        result = DoitResult(process.returncode, stdout, stderr)
        self.results.append(result)
        if check and result.returncode != 0:
            raise AssertionError(f"doit failed ({result.returncode}):\n{stdout}\n{stderr}")
        return result

    def service_dir(self, app: str, service: str) -> Path:
        return self.home / "apps" / app / service

    def manifest(self, app: str, service: str, name: str) -> Path:
        return self.service_dir(app, service) / "generated-files" / "manifests" / name
