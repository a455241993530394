"""``hyscale deploy service`` of a service it builds: the real Docker engine and the test
registry (``scripts/test-services``), the real test cluster (its pods pull the built image with the
app's image-pull Secret). ``-v`` shows the build and push as they happen; an artifact change
rebuilds and says why at every stage; the state is doit's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.stream import stream

from testing.cluster import Cluster
from testing.images import remove_images_named
from testing.registry import Registry, write_docker_config
from testing.workspace import SERVE_HTTP, Workspace, ran

pytestmark = pytest.mark.docker


@pytest.fixture
def built(cli: Workspace, registry: Registry, app_ns: str) -> Iterator[Path]:
    """Service ``web`` of app ``app_ns``: the stack image, an artifact, a run command (the
    workspace's DOCKER_CONFIG holds the registry login). Its local images go afterwards."""
    folder = cli.apps / app_ns
    (folder / "site").mkdir(parents=True)
    (folder / "site" / "index.html").write_text(f"<h1>{app_ns}</h1>\n")
    spec = cli.write(folder / "web.hspec", {
        "name": "web",
        "image": {"registry": registry.host, "name": f"{app_ns}/web", "tag": "1.0",
                  "buildSpec": {"stackImage": registry.stack_image,
                                "artifacts": [{"name": "site", "source": "site/index.html",
                                               "destination": "/www/"}],
                                "configCommands": "echo configured-by-hyscale > /www/ok.txt",
                                "runCommands": SERVE_HTTP}},
        "props": {"GREETING": "hello"},
        "ports": [{"port": "8080/http"}]})
    yield spec
    remove_images_named(app_ns)


def _served(cluster: Cluster, namespace: str, path: str) -> list[str]:
    """What ``path`` answers from inside each ready pod of the namespace (busybox wget)."""
    core = cluster.core()
    answers = []
    for pod in core.list_namespaced_pod(namespace).items:
        assert pod.metadata is not None and pod.status is not None
        ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])
        if ready and pod.metadata.deletion_timestamp is None:
            answers.append(stream(core.connect_get_namespaced_pod_exec, pod.metadata.name,
                                  namespace, command=["wget", "-qO-", f"http://127.0.0.1:8080{path}"],
                                  stderr=True, stdin=False, stdout=True, tty=False))
    return answers


def _deploy(cli: Workspace, spec: Path, app: str, *more: str, code: int = 0) -> Any:
    return cli.hyscale("deploy", "service", "-f", str(spec), "-a", app, "-n", app, *more,
                       code=code)


def test_build_push_deploy_verbose_then_nothing(cli: Workspace, cluster: Cluster, built: Path,
                                                app_ns: str, registry: Registry) -> None:
    first = _deploy(cli, built, app_ns, "-v")
    assert "Step 1/" in first.stderr and f"docker push {registry.host}/{app_ns}/web:1.0" in \
        first.stderr  # -v: the build and push output, as it comes
    assert "[ACTION]  Building image " in first.stdout and "[ACTION]  Pushing image " in first.stdout
    for label in ("Dockerfile path", "Build Logs", "Push Logs"):
        assert f"{label} : {cli.service_dir(app_ns, 'web')}" in first.stdout
    assert registry.served_digest(f"{app_ns}/web", "1.0") is not None
    # the pod runs what was built: the artifact and what the config commands wrote
    assert _served(cluster, app_ns, "/index.html") == [f"<h1>{app_ns}</h1>\n"]
    assert _served(cluster, app_ns, "/ok.txt") == ["configured-by-hyscale\n"]

    [status] = _deploy(cli, built, app_ns, "-o", "json").json["serviceStatus"]
    assert ran(status) == [] and "exitCode" not in status
    assert cli.doit_app(app_ns, f"namespace={app_ns}", "deploy:web").executed == []

    quiet = _deploy(cli, built, app_ns)
    assert "Step 1/" not in quiet.stderr and "build: up to date" in quiet.stdout


def test_an_artifact_change_rebuilds_and_says_why(cli: Workspace, cluster: Cluster,
                                                  built: Path, app_ns: str) -> None:
    _deploy(cli, built, app_ns)
    (built.parent / "site" / "index.html").write_text("<h1>new content</h1>\n")
    [status] = _deploy(cli, built, app_ns, "-o", "json").json["serviceStatus"]
    reasons = {stage["stage"]: stage["reason"] for stage in status["stages"] if stage["ran"]}
    assert reasons == {
        "dockerfile": "index.html changed",
        "build": "the generated Dockerfile changed",
        "push": "the built image changed",
        "manifests": "no longer true: the manifests pin the image digest of the last push",
        "deploy": "the manifests changed; the pushed image changed"}
    assert _served(cluster, app_ns, "/index.html") == ["<h1>new content</h1>\n"]


def test_a_failed_push_is_exit_11_with_hyscales_group_code(cli: Workspace, built: Path,
                                                           app_ns: str, registry: Registry) -> None:
    write_docker_config(cli.docker_config, {registry.host: (registry.user, "wrong-password")})
    [status] = _deploy(cli, built, app_ns, "-o", "json", code=11).json["serviceStatus"]
    assert status["exitCode"] == 90
    assert status["message"].startswith("Failed to authenticate with the docker registry")
    assert ran(status) == ["spec", "dockerfile", "build", "push", "manifests"]
    assert [s["reason"] for s in status["stages"] if s["stage"] == "deploy"] == \
        ["not run, push:web did not succeed"]
