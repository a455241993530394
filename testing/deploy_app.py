"""Apps for the deploy tests: specs, a doit workspace pointed at a cluster, and audit arithmetic.

A :class:`DeployApp` is a :class:`~testing.workspace.Workspace` (its own apps folder, HYSCALE_HOME
and DOCKER_CONFIG) holding one app, whose ``doit`` runs get ``KUBECONFIG`` (the stand-in's, or a
fault proxy's in front of it) and a short ``HYS_ROLLOUT_TIMEOUT``. It writes the two kinds of
service the deploy tests need:

* :meth:`DeployApp.web`: a Deployment service (props, map secrets, ``health=True``: an HTTP
  health check);
* :meth:`DeployApp.stateful`: a StatefulSet service (volumes, ``health=True``: a TCP health check).

Health checks are off unless a test is about them: HyScale's probes run every 30 s, and a real
kubelet's first probe after the 10 s initial delay comes on its next 30 s tick, so a service with
one is ready about 30 s after its pod starts; without one, once its container runs.

Each is either *built* (``built=True``: a buildSpec on the test registry's stack image, so the
deploy runs spec -> dockerfile -> build -> push -> manifests -> deploy against the real Docker
engine and registry) or *prebuilt*: the test image ``hyscale-tests/testapp`` that scripts/test
pushes to the test registry (testing/testapp), named as it is, nothing to build or push, the
fast path for tests of the deploy stage itself. Either way the pods pull their image from the
authenticated registry with the app's image-pull Secret, which the tool makes from the docker
login that :func:`make_app` writes. The test image's ``TESTAPP_*`` props make a service fail for
real: :func:`~testing.testimage.crash`, :data:`~testing.testimage.UNHEALTHY`,
:func:`out_of_memory`.

:func:`writes` / :func:`reads` list the API server's audit records of the tool's requests (one per
request, testing/audit.py) between two marks, which is how the tests pin "a no-op deploy writes
nothing and lists each kind of the app's objects once" on the wire (:func:`sync_listings`).
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hyscale_tasks.spec.names import normalize
from hyscale_tasks.tasks.paths import ServicePaths, service_paths
from testing.workspace import DoitResult, Workspace

RUN_ID = "d" + secrets.token_hex(3)
_numbers = itertools.count(1)
WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TEST_IMAGE = "hyscale-tests/testapp"  # in the test registry, tag 1.0 (scripts/test-services)


# A built web service's run commands. Not `exec httpd`: as the container's PID 1, httpd would
# ignore SIGTERM and every stop of the pod would sit out its 30 s grace period.
SERVE_HTTP = "trap 'exit 0' TERM\nhttpd -f -p 8080 -h /www &\nwait"


def out_of_memory(amount: str = "200m") -> dict[str, str]:
    """Spec fields (a ``startCommand``) that make the test image's container hold ``amount`` of
    memory and die when the kernel kills it: give the service a smaller ``memory``. (On cgroup
    v1 the kernel kills only the process that holds the memory; as the container's main process
    its death ends the container, which the runtime then reports as OOMKilled.)"""
    return {"startCommand": f"sh,-c,echo eating {amount} of memory; head -c {amount} /dev/zero | tail"}


def app_name(word: str) -> str:
    """A unique app name (also the namespace and, for built services, the image repository)."""
    assert len(word) <= 16, word
    return f"{word}-{RUN_ID}-{next(_numbers)}"


@dataclass
class DeployApp(Workspace):
    name: str = ""
    registry_host: str = ""
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
    @property
    def pull_secret(self) -> str:
        """The name of the app's image-pull Secret (the registry's, normalized)."""
        return normalize(self.registry_host)

    def _image(self, service: str, built: bool, run: str, tag: str) -> dict[str, Any]:
        if not built:
            return {"registry": self.registry_host, "name": TEST_IMAGE, "tag": tag}
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
            health: bool = False, run: str = SERVE_HTTP, **more: Any) -> Path:
        """A Deployment service: httpd on 8080 (the test image, or when built ``run``), props,
        map secrets, an HTTP health check if ``health``; ``more`` adds spec fields as they are."""
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
                 volumes: list[dict[str, str]] | None = None, tag: str = "1.0",
                 health: bool = False) -> Path:
        """A StatefulSet service: volumes (one claim each per replica), port 6379 (a TCP health
        check if ``health``)."""
        spec: dict[str, Any] = {
            "name": service,
            # not `exec nc`: as the container's PID 1, nc would ignore SIGTERM and every stop of
            # the pod (an undeploy waits for it) would take the kubelet's 30 s grace period
            "image": self._image(service, built, "mkdir -p /data/db\ntrap 'exit 0' TERM\n"
                                 "nc -ll -p 6379 -e cat &\nwait", tag),
            "volumes": volumes or [{"name": "data", "path": "/data", "size": "1Gi"}],
            "ports": [{"port": "6379/tcp", **({"healthCheck": {}} if health else {})}]}
        if props:
            spec["props"] = props
        if replicas is not None:
            spec["replicas"] = replicas
        return self.write_spec(spec)


def make_app(root: Path, word: str, kubeconfig: Path | None, *, registry: Any) -> DeployApp:
    """An empty app under ``root`` whose DOCKER_CONFIG holds the login of ``registry`` (a
    :class:`testing.registry.Registry`), the prebuilt test image's and built services' home."""
    from testing.registry import write_docker_config

    apps = root / "apps"
    apps.mkdir(parents=True, exist_ok=True)
    docker_config = root / "docker-config"
    docker_config.mkdir(parents=True, exist_ok=True)
    app = DeployApp(apps, root / "hyscale-home", docker_config, name=app_name(word),
                    kubeconfig=kubeconfig)
    write_docker_config(docker_config, {registry.host: (registry.user, registry.password)})
    app.registry_host = registry.host
    app.stack_image = registry.stack_image
    (apps / app.name).mkdir()
    return app


# -- audit arithmetic ----------------------------------------------------------------------------
def writes(records: Iterable[dict[str, Any]]) -> list[str]:
    """``VERB path`` of every request that could change the cluster (a dry run cannot)."""
    return [f"{r['verb']} {r['path']}" for r in records
            if r["verb"] in WRITE_VERBS and not is_dry_run(r)]


def is_dry_run(record: dict[str, Any]) -> bool:
    return "dryRun=All" in str(record.get("query") or "")


def applies(records: Iterable[dict[str, Any]]) -> list[tuple[str, int]]:
    """(resource, HTTP code) of each server-side apply that could write, in order: 201 created
    it, 200 merged it (or found nothing to change)."""
    return [(str(r["resource"]), int(r["code"])) for r in records
            if r["verb"] == "PATCH" and not r.get("subresource") and not is_dry_run(r)]


def reads(records: Iterable[dict[str, Any]]) -> list[str]:
    return [f"{r['verb']} {r['path']}" for r in records if r["verb"] not in WRITE_VERBS]


def sync_listings(namespace: str, *collections: str, pull_secret: str = "") -> list[str]:
    """The reads an in-sync check makes: one listing per collection (``configmaps``,
    ``apps/v1/deployments``...) of the objects the app applied, and one read of the image pull
    secret by name (it carries no app label: apps share it)."""
    return sorted([f"GET /api/v1/namespaces/{namespace}/{c}" if "/" not in c else
                   f"GET /apis/{c.rsplit('/', 1)[0]}/namespaces/{namespace}/{c.rsplit('/', 1)[1]}"
                   for c in collections] +
                  ([f"GET /api/v1/namespaces/{namespace}/secrets/{pull_secret}"] if pull_secret else []))


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


def current_pods(api: Any, namespace: str, service: str) -> list[str]:
    """The names of the service's pods that are not being deleted, sorted. ``api``: a
    kubernetes ApiClient."""
    from kubernetes import client

    return sorted(p.metadata.name for p in client.CoreV1Api(api).list_namespaced_pod(
        namespace, label_selector=f"hyscale.io/service-name={service}").items
        if not p.metadata.deletion_timestamp)


def exec_in(api: Any, namespace: str, pod: str, container: str, script: str) -> str:
    """Run ``sh -c script`` in the container, as ``kubectl exec`` does (through the API server
    and the kubelet); its output, stdout and stderr together."""
    from kubernetes import client
    from kubernetes.stream import stream

    output: str = stream(client.CoreV1Api(api).connect_get_namespaced_pod_exec, pod, namespace,
                         container=container, command=["sh", "-c", script],
                         stderr=True, stdin=False, stdout=True, tty=False)
    return output
