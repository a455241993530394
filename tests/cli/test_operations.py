"""The commands on deployed services, against the real test cluster: get service status, get
app status, get apps, get replica status, get service logs, scale service, undeploy service and
app; tables and ``-o json``; what they keep in step with the deploy state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing.cli import cluster_workspace
from testing.cluster import Cluster, KubeEnv
from testing.registry import Registry
from testing.testimage import log_lines
from testing.workspace import CliResult, Workspace, ran

LOG = [f"line {i}" for i in range(1, 8)]  # what the deployed service prints first


def _table(result: CliResult) -> dict[str, dict[str, str]]:
    """HyScale's table (each cell followed by a tab) by its first column."""
    lines = [line.removesuffix("\t").split("\t") for line in result.stdout.splitlines()
             if "\t" in line]
    header = [cell.strip() for cell in lines[0]]
    assert lines[1][0].strip() == "---"
    return {cells[0]: dict(zip(header, cells, strict=True))
            for cells in ([c.strip() for c in line] for line in lines[2:])}


def _deploy_web(cli: Workspace, app_ns: str) -> Path:
    """Service ``web`` of app ``app_ns`` deployed to namespace ``app_ns`` with ``hyscale``; it
    logs :data:`LOG`, then the test image's own "listening" line."""
    spec = cli.testapp(cli.apps / app_ns / "web.hspec", "web", props=log_lines(*LOG))
    cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns)
    return spec


@pytest.fixture
def deployed(cli: Workspace, app_ns: str) -> Path:
    """``web`` deployed for a test that changes it."""
    return _deploy_web(cli, app_ns)


@dataclass
class Shared:
    cli: Workspace
    cluster: Cluster
    app_ns: str


@pytest.fixture(scope="module")
def shared(kube_env: KubeEnv, registry: Registry,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """``web`` deployed once for the tests that only read it (a deploy is seconds on the real
    cluster); they must not change it."""
    handle = Cluster(kube_env, tmp_path_factory.mktemp("shared-cluster"))
    try:
        cli = cluster_workspace(tmp_path_factory.mktemp("shared-cli"), handle, registry)
        app_ns = handle.namespace("cli")
        _deploy_web(cli, app_ns)
        yield Shared(cli, handle, app_ns)
    finally:
        handle.close()


def test_service_status(shared: Shared) -> None:
    cli, app_ns = shared.cli, shared.app_ns
    result = cli.hyscale("get", "service", "status", "-s", "web,gone", "-a", app_ns, "-n", app_ns)
    assert result.stdout.startswith(
        "[INFO]  It might take some time as it runs diagnosis for services")
    assert f"APP: {app_ns}" in result.stdout
    rows = _table(result)
    assert rows["web"]["Status"] == "Running" and ":8080" in rows["web"]["Service Address"]
    assert rows["gone"]["Status"] == "Not Deployed"
    assert rows["gone"]["Message"].startswith("No such service found in this cluster")

    data = cli.hyscale("get", "service", "status", "-s", "web", "-a", app_ns, "-n", app_ns,
                       "-o", "json").json
    assert (data["app"], data["namespace"]) == (app_ns, app_ns)
    [web] = data["serviceStatus"]
    assert (web["name"], web["status"], web["replicas"]) == ("web", "Running", "1/1")


def test_app_status(cli: Workspace, deployed: Path, app_ns: str) -> None:
    api = cli.testapp(deployed.parent / "api.hspec", "api")
    cli.hyscale("deploy", "service", "-f", str(api), "-a", app_ns, "-n", app_ns)
    rows = _table(cli.hyscale("get", "app", "status", "-a", app_ns, "-n", app_ns))
    assert sorted(rows) == ["api", "web"] and rows["api"]["Status"] == "Running"
    data = cli.hyscale("get", "apps", "status", "-a", app_ns, "-n", app_ns, "-o", "json").json
    assert [s["name"] for s in data["serviceStatus"]] == ["api", "web"]
    empty = cli.hyscale("get", "app", "status", "-a", "nothing-here", "-n", app_ns)
    assert "[INFO]  No Service Deployed" in empty.stdout


def test_get_apps(shared: Shared) -> None:
    cli, app_ns = shared.cli, shared.app_ns
    rows = _table(cli.hyscale("get", "apps"))
    assert rows[app_ns] == {"Application": app_ns, "Profile": "dev", "Namespace": app_ns}
    data = cli.hyscale("get", "apps", "-o", "json").json
    assert {"name": app_ns, "profile": "dev", "namespace": app_ns} in data["apps"]


def test_replica_status(shared: Shared) -> None:
    cli, app_ns = shared.cli, shared.app_ns
    rows = _table(cli.hyscale("get", "replica", "status", "-s", "web", "-a", app_ns, "-n", app_ns))
    [(pod, row)] = rows.items()
    assert pod.startswith("web-") and row["Status"] == "Running"
    data = cli.hyscale("get", "replicas", "status", "-s", "web", "-a", app_ns, "-n", app_ns,
                       "-o", "json").json
    assert data["service"] == "web" and [r["name"] for r in data["replicas"]] == [pod]


def test_service_logs(shared: Shared) -> None:
    cli, app_ns = shared.cli, shared.app_ns
    core = shared.cluster.core()
    [pod] = core.list_namespaced_pod(app_ns).items
    assert pod.metadata is not None
    name = str(pod.metadata.name)

    def whole_log() -> list[str]:
        lines: list[str] = core.read_namespaced_pod_log(name, app_ns).splitlines()
        return lines if any("testapp listening" in line for line in lines) else []

    # The pod is ready once its container runs: its last startup line can follow a moment later.
    full = shared.cluster.wait_for(whole_log, what="the startup lines of web's log")
    assert full[:len(LOG)] == LOG
    result = cli.hyscale("get", "service", "logs", "-s", "web", "-a", app_ns, "-n", app_ns,
                         "-l", "3")
    assert result.stdout.splitlines() == full[-3:] and "line 7" in full[-3:]
    assert f"Service Logs from {name}" in result.stderr
    saved = cli.service_dir(app_ns, "web") / "logs" / "service.log"
    assert saved.read_text().splitlines() == full[-3:]
    missing = cli.hyscale("get", "service", "logs", "-s", "web", "-a", app_ns, "-n", app_ns,
                          "-r", "no-such-pod", code=11)
    assert '[ERROR]  Cannot find replica "no-such-pod". Available replicas web-' in missing.stderr


def test_scale_is_kept_by_the_next_deploy(cli: Workspace, deployed: Path, app_ns: str) -> None:
    result = cli.hyscale("scale", "service", "-s", "web", "-a", app_ns, "-n", app_ns, "--to", "2")
    assert "[INFO]  web runs 2 replica(s)" in result.stderr
    assert len(_table(cli.hyscale("get", "replica", "status", "-s", "web", "-a", app_ns, "-n",
                                  app_ns))) == 2
    [status] = cli.hyscale("deploy", "service", "-f", str(deployed), "-a", app_ns, "-n", app_ns,
                           "-o", "json").json["serviceStatus"]
    assert ran(status) == []  # a scale is deliberate, not drift
    cli.hyscale("scale", "service", "-s", "web", "-a", app_ns, "-n", app_ns, "--down", "1")
    not_there = cli.hyscale("scale", "service", "-s", "nope", "-a", app_ns, "-n", app_ns, "--up",
                            "1", code=11)
    assert f"nope is not deployed in namespace {app_ns} under app {app_ns}" in not_there.stderr


def test_undeploy_service_then_deploy_again(cli: Workspace, deployed: Path,
                                            app_ns: str) -> None:
    result = cli.hyscale("undeploy", "service", "-s", "web", "-a", app_ns, "-n", app_ns)
    assert "[INFO]  Deleting Deployment web" in result.stderr
    status = cli.hyscale("get", "service", "status", "-s", "web", "-a", app_ns, "-n", app_ns,
                         "-o", "json").json["serviceStatus"][0]
    assert status["status"] == "Not Deployed"
    # the deploy record is gone: doit and hyscale both deploy again
    assert cli.doit_app(app_ns, f"namespace={app_ns}", "deploy:web").executed == ["deploy:web"]
    cli.hyscale("undeploy", "service", "-s", "web", "-a", app_ns, "-n", app_ns)
    [again] = cli.hyscale("deploy", "service", "-f", str(deployed), "-a", app_ns, "-n", app_ns,
                          "-o", "json").json["serviceStatus"]
    assert ran(again) == ["deploy"]
    assert [s["reason"] for s in again["stages"] if s["ran"]] == ["deploy.json is missing"]


def test_undeploy_app(cli: Workspace, deployed: Path, app_ns: str) -> None:
    api = cli.testapp(deployed.parent / "api.hspec", "api")
    cli.hyscale("deploy", "service", "-f", str(api), "-a", app_ns, "-n", app_ns)
    cli.hyscale("undeploy", "app", "-a", app_ns, "-n", app_ns)
    data = cli.hyscale("get", "app", "status", "-a", app_ns, "-n", app_ns, "-o", "json").json
    assert data["serviceStatus"] == []
    [web, api_status] = cli.hyscale("deploy", "service", "-f", f"{deployed},{api}", "-a", app_ns,
                                    "-n", app_ns, "-o", "json").json["serviceStatus"]
    assert ran(web) == ran(api_status) == ["deploy"]
