"""A workspace of a test's own, in which the real ``doit`` and ``hyscale`` commands run as a user
runs them.

A :class:`Workspace` is an apps folder, a HYSCALE_HOME and a DOCKER_CONFIG (with the registry
logins given to :meth:`Workspace.create`), and the cluster it talks to (``kubeconfig``). With a
``name`` it holds one app, ``apps/<name>``: :meth:`Workspace.run` is ``doit app=<name> ...``, and
the readers (:meth:`Workspace.paths`, the stage records, the rendered manifests) and the spec
writers (:meth:`Workspace.write_spec`, :meth:`Workspace.edit_spec`) are about that app. The test
areas add the kinds of service they write: :class:`testing.deploy_app.DeployApp`,
:class:`testing.image_app.ImageApp`, :class:`testing.cli.CliWorkspace`.

Every run starts in a process session of its own, so a run that hangs is killed with its
workers, and a test can interrupt the whole process group as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import yaml

from hyscale_tasks.tasks.paths import ServicePaths, service_paths
from testing.registry import write_docker_config

REPO = Path(__file__).resolve().parents[1]
APPS = REPO / "apps"
# What a developer's shell may have set that would change what the tool does in a test.
SCRUBBED = ("HYSCALE_APPS", "HYSCALE_APP", "HYSCALE_NAMESPACE", "HYSCALE_PROFILE", "HYSCALE_SPECS",
            "HYSCALE_VERBOSE", "KUBECONFIG", "HYS_ROLLOUT_TIMEOUT", "HYS_POD_RESTART_COUNT",
            "HYS_LB_READY_TIMEOUT", "HYS_IMAGE_CLEANUP_POLICY", "HYS_REGISTRY_CONFIG",
            "HYS_LOG_LEVEL", "HYS_LOG_SIZE")
# seconds: a pull and a start take a few on the test cluster; a wait longer than this is a bug
ROLLOUT_TIMEOUT = "60"
HYSCALE_TIMEOUT = 150.0  # seconds for one hyscale run; a deploy's rollout wait is 60 s at most


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
class CliResult:
    """The outcome of one ``hyscale`` run."""

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
class Workspace:
    """An apps folder and a HYSCALE_HOME of a test's own, and a DOCKER_CONFIG (no login unless
    one is written there); the cluster is ``kubeconfig`` (none by default), and ``extra_env``
    goes on top of the environment. ``name``: the app the workspace holds, if it holds one.
    ``run_as`` is a command that runs doit as another user (see :data:`AS_NOBODY`); ``cwd`` is
    where ``hyscale`` runs (relative ``-f`` paths start there; default: beside the apps folder).
    ``lb_ready_timeout`` is HYS_LB_READY_TIMEOUT unless ``extra_env`` sets it.

    Every result is kept in :attr:`results` (the secret checks read them all)."""

    apps: Path
    home: Path
    docker_config: Path
    name: str = field(default="", kw_only=True)
    kubeconfig: Path | None = field(default=None, kw_only=True)
    extra_env: dict[str, str] = field(default_factory=dict, kw_only=True)
    results: list[DoitResult] = field(default_factory=list, kw_only=True)
    timeout: float = field(default=120.0, kw_only=True)
    run_as: tuple[str, ...] = field(default=(), kw_only=True)
    cwd: Path | None = field(default=None, kw_only=True)
    lb_ready_timeout: str = field(default="5000", kw_only=True)

    @classmethod
    def create(cls, root: Path, name: str = "", *, logins: dict[str, tuple[str, str]] | None = None,
               **options: Any) -> Self:
        """A workspace under ``root`` (``apps/``, ``hyscale-home/``, ``docker-config/``), whose
        docker config holds ``logins`` (host -> (user, password)) if given; with ``name``, an
        empty ``apps/<name>/``. ``options`` are the other fields."""
        apps = root / "apps"
        apps.mkdir(parents=True, exist_ok=True)
        docker_config = root / "docker-config"
        docker_config.mkdir(parents=True, exist_ok=True)
        if logins is not None:
            write_docker_config(docker_config, logins)
        if name:
            (apps / name).mkdir()
        return cls(apps, root / "hyscale-home", docker_config, name=name, **options)

    def add_app(self, name: str, source: Path | None = None) -> Path:
        target = self.apps / name
        shutil.copytree(source or APPS / name, target)
        return target

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(HYSCALE_HOME=str(self.home), DOCKER_CONFIG=str(self.docker_config),
                   HYS_ROLLOUT_TIMEOUT=ROLLOUT_TIMEOUT, HYS_LB_READY_TIMEOUT=self.lb_ready_timeout)
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        env.update(self.extra_env)
        return env

    # -- running doit ----------------------------------------------------------------------------
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

    def doit_app(self, app: str, *args: str, check: bool = True) -> DoitResult:
        """``doit apps=<apps> app=<app> ARGS``."""
        return self.doit(f"app={app}", *args, check=check)

    def run(self, *args: str, check: bool = True) -> DoitResult:
        """``doit app=<this app> ARGS``."""
        return self.doit_app(self.name, *args, check=check)

    def run_start(self, *args: str) -> subprocess.Popen[str]:
        """``doit app=<this app> ARGS``, started: :meth:`wait` for it."""
        return self.start(f"app={self.name}", *args)

    # -- running hyscale -------------------------------------------------------------------------
    def start_hyscale(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "hyscale_tasks.cli", *args],
                                cwd=self.cwd or self.apps.parent, env=self.env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)

    def finish(self, process: subprocess.Popen[str]) -> CliResult:
        try:
            stdout, stderr = process.communicate(timeout=HYSCALE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise AssertionError(f"hyscale did not finish in {HYSCALE_TIMEOUT}s:\n{stdout}\n{stderr}") \
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

    # -- where things are ------------------------------------------------------------------------
    def service_dir(self, app: str, service: str) -> Path:
        return self.home / "apps" / app / service

    def manifest(self, app: str, service: str, name: str) -> Path:
        return self.service_dir(app, service) / "generated-files" / "manifests" / name

    @property
    def folder(self) -> Path:
        """The app's folder: its specs, profiles and build files."""
        return self.apps / self.name

    @property
    def namespace(self) -> str:
        """The app's namespace (doit's default: the app's name)."""
        return self.name

    def paths(self, service: str) -> ServicePaths:
        return service_paths(self.home / "apps" / self.name, service)

    def deploy_record(self, service: str) -> dict[str, Any]:
        return dict(json.loads(self.paths(service).deploy_record.read_text()))

    def push_record(self, service: str) -> dict[str, Any]:
        return dict(yaml.safe_load(self.paths(service).push_record.read_text()))

    def build_record(self, service: str) -> dict[str, Any]:
        return dict(yaml.safe_load(self.paths(service).build_record.read_text()))

    def manifest_of(self, service: str, file_name: str) -> dict[str, Any]:
        return dict(yaml.safe_load((self.paths(service).manifests / file_name).read_text()))

    # -- specs -----------------------------------------------------------------------------------
    def write(self, path: Path, document: dict[str, Any]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def write_spec(self, spec: dict[str, Any]) -> Path:
        """``<app folder>/<spec's name>.hspec``."""
        return self.write(self.folder / f"{spec['name']}.hspec", spec)

    def spec(self, service: str) -> dict[str, Any]:
        return dict(yaml.safe_load((self.folder / f"{service}.hspec").read_text()))

    def edit_spec(self, service: str, **changes: Any) -> None:
        """Set top-level fields of a spec (``None`` removes the field)."""
        spec = self.spec(service)
        for key, value in changes.items():
            if value is None:
                spec.pop(key, None)
            else:
                spec[key] = value
        self.write_spec(spec)


# -- what a run said -------------------------------------------------------------------------------
def status_rows(result: DoitResult) -> dict[str, dict[str, str]]:
    """The rows of a ``status``/``app-status`` table, by service name."""
    lines = [line for line in result.stdout.splitlines() if "\t" in line]
    header = [cell.strip() for cell in lines[0].split("\t")]
    rows = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.split("\t")]
        rows[cells[0]] = dict(zip(header, cells, strict=False))
    return rows


def assert_no_traceback(result: DoitResult) -> None:
    text = result.stdout + result.stderr
    assert "Traceback" not in text, f"a traceback:\n{text}"


def assert_failed_cleanly(result: DoitResult, *fragments: str) -> None:
    """A non-zero exit, no traceback, and each fragment in the error output."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert_no_traceback(result)
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"


def assert_no_secret(app: Workspace, *secrets: str) -> None:
    """No secret (a password, a base64 login) in any file under HYSCALE_HOME, including the doit
    database, nor in any doit output of this workspace. The image-pull Secret manifest is the one
    place a login must be (base64 inside a dockerconfigjson), so it carries no plain secret."""
    for secret in secrets:
        for result in app.results:
            assert secret not in result.stdout + result.stderr, f"secret in doit output:\n{result}"
        for path in app.home.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), f"secret in {path}"


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]
