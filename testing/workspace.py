"""A workspace of a test's own, in which the real ``doit`` and ``hyscale`` commands run as a user
runs them.

A :class:`Workspace` is an apps folder, a HYSCALE_HOME and a DOCKER_CONFIG (with the registry
logins given to :meth:`Workspace.create`), and the cluster it talks to (``kubeconfig``). With a
``name`` it holds one app, ``apps/<name>``: :meth:`Workspace.run` is ``doit app=<name> ...``, and
the readers (:meth:`Workspace.paths`, the stage records, the rendered manifests) and the spec
writers are about that app. It writes the services each kind of test needs:

* the deploy tests' (:meth:`Workspace.web`, a Deployment; :meth:`Workspace.stateful`, a
  StatefulSet): the prebuilt test image (testing/testapp, nothing to build or push, the fast path
  for tests of the deploy stage itself), or with ``built=True`` a buildSpec on the test registry's
  stack image, so the deploy runs spec -> dockerfile -> build -> push -> manifests -> deploy
  against the real Docker engine and registry. Health checks are off unless a test is about
  them: HyScale's probes run every 30 s, and a real kubelet's first probe after the 10 s initial
  delay comes on its next 30 s tick, so a service with one is ready about 30 s after its pod
  starts; without one, once its container runs;
* the build and push tests' four kinds of image: a generated Dockerfile
  (:meth:`Workspace.generated`), a user Dockerfile (:meth:`Workspace.user_dockerfile`), the stack
  image as it is (:meth:`Workspace.stack_as_is`), an image that exists already
  (:meth:`Workspace.existing_image`);
* the ``hyscale`` command's tests', at any path as a user writes them: :meth:`Workspace.prebuilt`
  (any image) and :meth:`Workspace.testapp` (the test image).

The test image's ``TESTAPP_*`` props make a service fail for real (testing/testimage.py). Every
run starts in a process session of its own, so a run that hangs is killed with its workers, and a
test can interrupt the whole process group as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import yaml

from hyscale_tasks.paths import ServicePaths, service_paths
from hyscale_tasks.spec.names import normalize
from testing.registry import Registry, write_docker_config

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
TEST_IMAGE = "hyscale-tests/testapp"  # in the test registry, tag 1.0 (scripts/test-services)

# A built web service's run commands. Not `exec httpd`: as the container's PID 1, httpd would
# ignore SIGTERM and every stop of the pod would sit out its 30 s grace period.
SERVE_HTTP = "trap 'exit 0' TERM\nhttpd -f -p 8080 -h /www &\nwait"


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
    ``timeout``: the seconds a doit run may take. ``run_as`` is a command that runs doit as
    another user (see :data:`AS_NOBODY`); ``cwd`` is where ``hyscale`` runs (relative ``-f``
    paths start there; default: beside the apps folder). ``lb_ready_timeout`` is
    HYS_LB_READY_TIMEOUT unless ``extra_env`` sets it. ``registry`` is the test registry (its
    stack image builds the built services), ``registry_host`` the registry the specs name (the
    registry, or a relay in front of it), ``app_image`` the prebuilt test image
    (``registry/hyscale-tests/testapp:1.0``).

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
    registry: Registry | None = field(default=None, kw_only=True)
    registry_host: str = field(default="", kw_only=True)  # where specs push: the registry, or a relay
    app_image: str = field(default="", kw_only=True)  # the test image in the test registry

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

    def deploy(self, *services: str, check: bool = True, extra: Iterable[str] = ()) -> DoitResult:
        """``doit app=<this app> EXTRA deploy:<service>...`` (every service's ``deploy`` without
        ``services``)."""
        tasks = [f"deploy:{s}" for s in services] or ["deploy"]
        return self.run(*extra, *tasks, check=check)

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

    def repository(self, service: str) -> str:
        return f"{self.name}/{service}"

    def deployed_image(self, service: str) -> str:
        """The container image the rendered Deployment names."""
        deployment = yaml.safe_load((self.paths(service).manifests / "deployment.yaml").read_text())
        return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])

    def local_tag(self, service: str, tag: str = "1.0") -> str:
        return f"hyscale.io/{self.name}/{service}:{tag}"

    @property
    def stack_image(self) -> str:
        """The test registry's stack image (FROM scratch + busybox-static), which built services
        start from."""
        assert self.registry, "a built service needs the test registry (make the app with new_app)"
        return self.registry.stack_image

    @property
    def pull_secret(self) -> str:
        """The name of the app's image-pull Secret (the registry's, normalized)."""
        return normalize(self.registry_host)

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


    # -- services of the deploy tests: the prebuilt test image, or built on the stack image ------
    def _deploy_image(self, service: str, built: bool, run: str, tag: str) -> dict[str, Any]:
        if not built:
            return {"registry": self.registry_host, "name": TEST_IMAGE, "tag": tag}
        stack = self.stack_image
        site = self.folder / f"{service}-site" / "index.html"
        site.parent.mkdir(parents=True, exist_ok=True)
        if not site.exists():
            site.write_text(f"<h1>{service} of {self.name}</h1>\n")
        return {"registry": self.registry_host, "name": f"{self.name}/{service}", "tag": tag,
                "buildSpec": {"stackImage": stack,
                              "artifacts": [{"name": "site", "source": f"{service}-site/index.html",
                                             "destination": "/www/"}],
                              "runCommands": run}}

    def web(self, service: str = "web", *, built: bool = False, props: dict[str, str] | None = None,
            secrets: dict[str, str] | None = None, replicas: int | dict[str, Any] | None = None,
            memory: str | None = None, external: bool = False, tag: str = "1.0",
            health: bool = False, run: str = SERVE_HTTP, **more: Any) -> Path:
        """A Deployment service: httpd on 8080 (the test image, or when built ``run``), props,
        map secrets, an HTTP health check if ``health``; ``more`` adds spec fields as they are.
        ``replicas``: a count, or HyScale's autoscaling (``{"min": 1, "max": 3, ...}``)."""
        spec: dict[str, Any] = {"name": service, "image": self._deploy_image(service, built, run, tag)}
        if replicas is not None:
            spec["replicas"] = replicas
        if memory is not None:
            spec["memory"] = memory
        if props:
            spec["props"] = props
        if secrets:
            spec["secrets"] = secrets
        if external:
            spec["external"] = True
        spec["ports"] = [{"port": "8080/http", **({"healthCheck": {"httpPath": "/"}} if health else {})}]
        spec.update(more)
        return self.write_spec(spec)

    def stateful(self, service: str = "store", *, built: bool = False,
                 props: dict[str, str] | None = None, replicas: int | None = None,
                 volumes: list[dict[str, str]] | None = None, tag: str = "1.0",
                 health: bool = False) -> Path:
        """A StatefulSet service: volumes (one claim each per replica), port 6379 (a TCP health
        check if ``health``)."""
        spec: dict[str, Any] = {
            "name": service,
            # not `exec nc`: as the container's PID 1, nc would ignore SIGTERM and every stop of
            # the pod (an undeploy waits for it) would take the kubelet's 30 s grace period
            "image": self._deploy_image(service, built, "mkdir -p /data/db\ntrap 'exit 0' TERM\n"
                                 "nc -ll -p 6379 -e cat &\nwait", tag),
            "volumes": volumes or [{"name": "data", "path": "/data", "size": "1Gi"}],
            "ports": [{"port": "6379/tcp", **({"healthCheck": {}} if health else {})}]}
        if props:
            spec["props"] = props
        if replicas is not None:
            spec["replicas"] = replicas
        return self.write_spec(spec)

    # -- services of the build and push tests: the four kinds of image ---------------------------
    def _registry_image(self, service: str, tag: str) -> dict[str, Any]:
        return {"registry": self.registry_host, "name": self.repository(service), "tag": tag}

    def _write_service(self, service: str, image: dict[str, Any]) -> Path:
        return self.write_spec({"name": service, "image": image, "ports": [{"port": "8080/http"}]})

    def generated(self, service: str, content: str, *, tag: str = "1.0",
                  config_commands: str = "echo configured-by-hyscale > /www/configured.txt",
                  run_commands: str | None = "exec httpd -f -p 8080 -h /www") -> Path:
        """A buildSpec service: the stack image, the artifact ``<service>-site/index.html``
        (holding ``content``) copied to /www/, configure and run commands."""
        assert self.registry is not None
        artifact = self.folder / f"{service}-site" / "index.html"
        artifact.parent.mkdir(parents=True, exist_ok=True)
        artifact.write_text(content)
        build: dict[str, Any] = {
            "stackImage": self.registry.stack_image,
            "artifacts": [{"name": "site", "source": f"{service}-site/index.html",
                           "destination": "/www/"}],
            "configCommands": config_commands}
        if run_commands:
            build["runCommands"] = run_commands
        return self._write_service(service, {**self._registry_image(service, tag), "buildSpec": build})

    def artifact(self, service: str) -> Path:
        return self.folder / f"{service}-site" / "index.html"

    def set_tag(self, service: str, tag: str) -> None:
        path = self.folder / f"{service}.hspec"
        spec = yaml.safe_load(path.read_text())
        spec["image"]["tag"] = tag
        self.write(path, spec)

    def user_dockerfile(self, service: str, dockerfile: str, files: dict[str, str], *,
                        args: dict[str, str] | None = None, target: str | None = None,
                        tag: str = "1.0") -> Path:
        """An image.dockerfile service: context ``<service>/`` holding ``files`` and
        ``docker/Dockerfile`` (dockerfilePath names the folder, as in HyScale)."""
        context = self.folder / service
        (context / "docker").mkdir(parents=True, exist_ok=True)
        (context / "docker" / "Dockerfile").write_text(dockerfile)
        for name, text in files.items():
            (context / name).write_text(text)
        settings: dict[str, Any] = {"path": service, "dockerfilePath": "docker"}
        if args:
            settings["args"] = args
        if target:
            settings["target"] = target
        return self._write_service(service, {**self._registry_image(service, tag), "dockerfile": settings})

    def stack_as_is(self, service: str, tag: str = "1.0") -> Path:
        """A buildSpec with only the stack image: HyScale pulls, tags and pushes it as is."""
        assert self.registry is not None
        return self._write_service(service, {**self._registry_image(service, tag),
                                     "buildSpec": {"stackImage": self.registry.stack_image}})

    def existing_image(self, service: str, registry: str, name: str, tag: str) -> Path:
        """No build section: the image exists already and is deployed as it is."""
        return self._write_service(service, {"registry": registry, "name": name, "tag": tag})

    # -- specs at any path, as a user of the hyscale command writes them -------------------------
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

    def testapp(self, path: Path, service: str, *, props: dict[str, str] | None = None,
                external: bool = False, health: bool = False, **more: Any) -> Path:
        """A service of the test image: httpd on 8080; ``props`` go on top of GREETING=hello;
        ``health``: an HTTP health check on / (with HyScale's probe timing a pod is ready only
        ~30 s after it starts, so only the tests about health checks have one)."""
        assert self.app_image, "a testapp service needs the cli fixture (the test registry's image)"
        port: dict[str, Any] = {"port": "8080/http"}
        if health:
            port["healthCheck"] = {"httpPath": "/"}
        return self.prebuilt(path, service, self.app_image,
                             props={"GREETING": "hello", **(props or {})}, external=external,
                             ports=[port], **more)

    def edit(self, path: Path, **changes: Any) -> None:
        spec = yaml.safe_load(path.read_text())
        spec.update(changes)
        self.write(path, spec)



NewApp = Callable[..., Workspace]  # a new_app fixture: an empty app of a test's own


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
