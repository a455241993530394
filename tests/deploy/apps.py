"""Apps for the deploy tests: specs, a doit workspace pointed at a cluster, and audit arithmetic.

A :class:`DeployApp` is a :class:`~tests.doit_runner.Workspace` (its own apps folder, HYSCALE_HOME
and DOCKER_CONFIG) holding one app, whose ``doit`` runs get ``KUBECONFIG`` (the stand-in's, or a
fault proxy's in front of it) and a short ``HYS_ROLLOUT_TIMEOUT``. It writes the two kinds of
service the deploy tests need:

* :meth:`DeployApp.web`: a Deployment service (props, map secrets, an HTTP health check);
* :meth:`DeployApp.stateful`: a StatefulSet service (volumes, a TCP health check).

Each is either *built* (``built=True``: a buildSpec on the test registry's stack image, so the
deploy runs spec -> dockerfile -> build -> push -> manifests -> deploy against the real Docker
engine and registry) or *prebuilt* (an image named as it is, nothing to build or push: no Docker,
the fast path for tests of the deploy stage itself; the scripted kubelet runs any image name).

:func:`writes` / :func:`reads` list the stand-in's audit records (one per HTTP request) between two
marks, which is how the tests pin "a no-op deploy writes nothing and lists each kind of the app's
objects once" on the wire (:func:`sync_listings`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hyscale_tasks.tasks.paths import ServicePaths, service_paths
from tests.doit_runner import DoitResult, Workspace

RUN_ID = "d" + secrets.token_hex(3)
_numbers = itertools.count(1)
WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PREBUILT_REGISTRY = "registry.local"  # the scripted kubelet "pulls" any name
# A docker login for PREBUILT_REGISTRY, so prebuilt services get an image-pull Secret too; the
# password is a secret the tool must never show (tests/deploy/test_secrets.py).
PULL_USER = "deploy-tests"
PULL_PASSWORD = "pull-pw-" + secrets.token_hex(8)


def app_name(word: str) -> str:
    """A unique app name (also the namespace and, for built services, the image repository)."""
    assert len(word) <= 16, word
    return f"{word}-{RUN_ID}-{next(_numbers)}"


@dataclass
class DeployApp(Workspace):
    name: str = ""
    registry_host: str = PREBUILT_REGISTRY
    stack_image: str = ""
    timeout: float = field(default=150.0, kw_only=True)

    # -- running doit --------------------------------------------------------------------------
    def run(self, *args: str, check: bool = True) -> DoitResult:
        """``doit app=<this app> ARGS``."""
        return self.doit(f"app={self.name}", *args, check=check)

    def deploy(self, *services: str, check: bool = True, extra: Iterable[str] = ()) -> DoitResult:
        tasks = [f"deploy:{s}" for s in services] or ["deploy"]
        return self.run(*extra, *tasks, check=check)

    # -- where things are ----------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.apps / self.name

    @property
    def namespace(self) -> str:
        return self.name

    def paths(self, service: str) -> ServicePaths:
        return service_paths(self.home / "apps" / self.name, service)

    def deploy_record(self, service: str) -> dict[str, Any]:
        return dict(json.loads(self.paths(service).deploy_record.read_text()))

    def manifest_of(self, service: str, file_name: str) -> dict[str, Any]:
        return dict(yaml.safe_load((self.paths(service).manifests / file_name).read_text()))

    # -- writing services ----------------------------------------------------------------------
    def _image(self, service: str, built: bool, run: str, tag: str) -> dict[str, Any]:
        if not built:
            return {"registry": PREBUILT_REGISTRY, "name": f"{self.name}/{service}", "tag": tag}
        assert self.stack_image, "a built service needs the test registry (use the built_app fixture)"
        site = self.folder / f"{service}-site" / "index.html"
        site.parent.mkdir(parents=True, exist_ok=True)
        if not site.exists():
            site.write_text(f"<h1>{service} of {self.name}</h1>\n")
        return {"registry": self.registry_host, "name": f"{self.name}/{service}", "tag": tag,
                "buildSpec": {"stackImage": self.stack_image,
                              "artifacts": [{"name": "site", "source": f"{service}-site/index.html",
                                             "destination": "/www/"}],
                              "runCommands": run}}

    def write_spec(self, spec: dict[str, Any]) -> Path:
        path = self.folder / f"{spec['name']}.hspec"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        return path

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

    def web(self, service: str = "web", *, built: bool = False, props: dict[str, str] | None = None,
            secrets: dict[str, str] | None = None, replicas: int | None = None,
            memory: str | None = None, external: bool = False, tag: str = "1.0",
            health: bool = True, run: str = "exec httpd -f -p 8080 -h /www", **more: Any) -> Path:
        """A Deployment service: httpd on 8080 (when built; ``run`` replaces the command), props,
        map secrets, an HTTP health check; ``more`` adds spec fields as they are."""
        spec: dict[str, Any] = {"name": service, "image": self._image(service, built, run, tag)}
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
                 volumes: list[dict[str, str]] | None = None, tag: str = "1.0") -> Path:
        """A StatefulSet service: volumes (one claim each per replica), a TCP check on 6379."""
        spec: dict[str, Any] = {
            "name": service,
            "image": self._image(service, built, "mkdir -p /data/db\nexec nc -ll -p 6379 -e cat", tag),
            "volumes": volumes or [{"name": "data", "path": "/data", "size": "1Gi"}],
            "ports": [{"port": "6379/tcp", "healthCheck": {}}]}
        if props:
            spec["props"] = props
        if replicas is not None:
            spec["replicas"] = replicas
        return self.write_spec(spec)


def make_app(root: Path, word: str, kubeconfig: Path | None, *, registry: Any = None) -> DeployApp:
    """An empty app under ``root``; with ``registry`` (a :class:`tests.infra.registry.Registry`),
    a DOCKER_CONFIG holding its login and built services on its stack image."""
    from tests.infra.registry import write_docker_config

    apps = root / "apps"
    apps.mkdir(parents=True, exist_ok=True)
    docker_config = root / "docker-config"
    docker_config.mkdir(parents=True, exist_ok=True)
    app = DeployApp(apps, root / "hyscale-home", docker_config, name=app_name(word),
                    kubeconfig=kubeconfig)
    logins = {PREBUILT_REGISTRY: (PULL_USER, PULL_PASSWORD)}
    if registry is not None:
        logins[registry.host] = (registry.user, registry.password)
    write_docker_config(docker_config, logins)
    if registry is not None:
        app.registry_host = registry.host
        app.stack_image = registry.stack_image
    (apps / app.name).mkdir()
    return app


# -- audit arithmetic ----------------------------------------------------------------------------
def writes(records: Iterable[dict[str, Any]]) -> list[str]:
    """``VERB path`` of every request that could change the cluster."""
    return [f"{r['verb']} {r['path']}" for r in records if r["verb"] in WRITE_VERBS]


def reads(records: Iterable[dict[str, Any]]) -> list[str]:
    return [f"{r['verb']} {r['path']}" for r in records if r["verb"] not in WRITE_VERBS]


def sync_listings(namespace: str, *collections: str) -> list[str]:
    """The reads an in-sync check makes: one listing per collection (``configmaps``,
    ``apps/v1/deployments``...) of the objects the app applied."""
    return sorted(f"GET /api/v1/namespaces/{namespace}/{c}" if "/" not in c else
                  f"GET /apis/{c.rsplit('/', 1)[0]}/namespaces/{namespace}/{c.rsplit('/', 1)[1]}"
                  for c in collections)


def actions(records: Iterable[dict[str, Any]], resource: str, name: str | None = None) -> list[str]:
    """The actions (create, patch, delete, get ...) on ``resource`` (plural), in order; with
    ``name``, those on that object (a create, sent to the collection, counts whatever it names)."""
    return [str(r.get("action")) for r in records
            if r.get("resource") == resource and not r.get("subresource")
            and (name is None or r.get("name") == name or r.get("action") == "create")]


def summary(records: Iterable[dict[str, Any]]) -> Counter[str]:
    return Counter(f"{r['verb']} {r.get('resource') or r['path']}" for r in records)


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


def assert_converges(app: DeployApp, api: Any, service: str = "web", rerun: bool = True) -> None:
    """The next run deploys (``rerun``), the one after is a no-op, and the Deployment is ready and
    carries the digest of the deployed manifests. ``api``: a kubernetes ApiClient."""
    from kubernetes import client

    if rerun:
        assert f"deploy:{service}" in app.deploy(service).executed
    assert app.deploy(service).executed == []
    live = client.AppsV1Api(api).read_namespaced_deployment(service, app.namespace)
    assert live.status.ready_replicas == 1
    assert live.metadata.annotations["hyscale.io/service-manifests-digest"] == \
        app.deploy_record(service)["serviceDigest"]


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def remove_images_named(marker: str) -> None:
    """Remove the engine's images with ``marker`` in a tag or repository digest (an image that
    lost its tag to a newer build keeps its repository digest)."""
    try:
        import docker

        engine = docker.from_env(timeout=60)
    except Exception:  # no engine: nothing was built
        return
    with contextlib.closing(engine):
        for image in engine.images.list():
            names = [*image.tags, *(image.attrs.get("RepoDigests") or [])]
            if any(marker in name for name in names):
                with contextlib.suppress(docker.errors.APIError):
                    engine.images.remove(image.id, force=True)
