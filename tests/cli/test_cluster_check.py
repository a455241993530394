"""Without a cluster that answers, ``hyscale deploy service`` stops after the specs and before any
build, as HyScale's cluster check does: exit 202, the cause and the fix, nothing built.
``doit deploy`` does the same through the ``cluster:<svc>`` task (tests/cluster/
test_cluster_first.py); ``doit build:<svc>`` alone needs no cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from testing.cluster import Cluster
from testing.endpoints import down_kubeconfig
from testing.workspace import Workspace

NO_ANSWER = "[ERROR]  Failed to connect to cluster (kube context down in "


def _built_spec(cli: Workspace) -> Path:
    """A service that builds its image (a stack image and an artifact): a deploy would build it."""
    folder = cli.apps / "shop"
    (folder / "site").mkdir(parents=True)
    (folder / "site" / "index.html").write_text("<h1>shop</h1>\n")
    return cli.write(folder / "web.hspec", {
        "name": "web",
        "image": {"registry": "127.0.0.1:5000", "name": "shop/web", "tag": "1.0",
                  "buildSpec": {"stackImage": "127.0.0.1:5000/stack:1",
                                "artifacts": [{"name": "site", "source": "site/index.html",
                                               "destination": "/www/"}],
                                "runCommands": "httpd -f -p 8080 -h /www"}},
        "ports": [{"port": "8080/http"}]})


def _built_nothing(cli: Workspace, result_stdout: str) -> None:
    assert "Building image" not in result_stdout and "Pushing image" not in result_stdout
    web = cli.service_dir("shop", "web")
    assert not (web / "state" / "build.json").exists(), "the image was built"
    assert not (web / "logs" / "build.log").exists()


def _deploy(cli: Workspace, spec: Path, *more: str) -> list[str]:
    return ["deploy", "service", "-f", str(spec), "-a", "shop", "-n", "shop", *more]


def test_no_kubeconfig_stops_the_deploy_before_the_build(offline: Workspace) -> None:
    spec = _built_spec(offline)
    result = offline.hyscale(*_deploy(offline, spec), code=202)
    assert f"[ERROR]  Cannot find kubeconfig(config) at {offline.kubeconfig}" in result.stderr
    assert "  fix: set KUBECONFIG" in result.stderr
    _built_nothing(offline, result.stdout)

    as_json = offline.hyscale(*_deploy(offline, spec, "-o", "json"), code=202)
    assert as_json.json["deploymentError"].startswith("Cannot find kubeconfig(config) at ")


@pytest.mark.parametrize("command", ["hyscale", "doit"])
def test_a_cluster_that_does_not_answer_stops_the_deploy_before_the_build(
        offline: Workspace, tmp_path: Path, command: str) -> None:
    offline.kubeconfig = down_kubeconfig(tmp_path / "kubeconfig")
    spec = _built_spec(offline)
    if command == "hyscale":
        result = offline.hyscale(*_deploy(offline, spec), code=202)
        stdout, stderr = result.stdout, result.stderr
    else:
        ran = offline.doit_app("shop", "deploy:web", check=False)
        assert ran.returncode == 1 and ran.executed == ["spec:web", "cluster:web"], ran
        stdout, stderr = ran.stdout, ran.stderr
    [line] = [line for line in stderr.splitlines() if line.startswith("[ERROR]")]
    assert line.startswith(f"{NO_ANSWER}{offline.kubeconfig}): Cannot reach the cluster"), stderr
    assert "Connection refused" in line
    assert "  fix: start the cluster or check the network to it" in stderr
    assert "Traceback" not in stdout + stderr
    _built_nothing(offline, stdout)


def test_the_render_needs_no_cluster(offline: Workspace, tmp_path: Path) -> None:
    """The check belongs to the deploy: the render never asks the cluster."""
    offline.kubeconfig = down_kubeconfig(tmp_path / "kubeconfig")
    _built_spec(offline)
    render = offline.doit_app("shop", "dockerfile:web", "manifests:web")
    assert sorted(render.executed) == ["dockerfile:web", "manifests:web", "spec:web"]
    assert "cluster:web" not in render.skipped


def test_credentials_the_cluster_refuses_are_hyscales_authentication_failure(
        offline: Workspace, cluster: Cluster, tmp_path: Path) -> None:
    """The real API server, a token it never issued: 401, HyScale's message, exit 202."""
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    for user in config["users"]:
        user["user"] = {"token": "not-a-token-this-cluster-issued"}
    offline.kubeconfig = tmp_path / "refused-kubeconfig"
    offline.kubeconfig.write_text(yaml.safe_dump(config))
    spec = _built_spec(offline)

    result = offline.hyscale(*_deploy(offline, spec), code=202)

    assert "[ERROR]  Cluster authentication failed. Verify if cluster config is valid: the API " \
        f"server of kube context {config['current-context']} in {offline.kubeconfig} refused its " \
        "credentials (HTTP 401)." in result.stderr
    assert "  fix: renew the credentials of that context" in result.stderr
    _built_nothing(offline, result.stdout)
