"""The commands on deployed services, against the Kubernetes stand-in: get service status, get
app status, get apps, get replica status, get service logs, scale service, undeploy service and
app; tables and ``-o json``; what they keep in step with the deploy state."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import CliResult, CliWorkspace, ran
from tests.cluster.fixtures import Cluster
from tests.cluster.kubelet_scripted import running


def _table(result: CliResult) -> dict[str, dict[str, str]]:
    """HyScale's table (each cell followed by a tab) by its first column."""
    lines = [line.removesuffix("\t").split("\t") for line in result.stdout.splitlines()
             if "\t" in line]
    header = [cell.strip() for cell in lines[0]]
    assert lines[1][0].strip() == "---"
    return {cells[0]: dict(zip(header, cells, strict=True))
            for cells in ([c.strip() for c in line] for line in lines[2:])}


@pytest.fixture
def deployed(cli: CliWorkspace, cluster: Cluster, app_ns: str) -> Path:
    """Service ``web`` of app ``app_ns`` deployed to namespace ``app_ns`` with ``hyscale``."""
    if cluster.is_standin:
        cluster.kubelet.script(running(logs="".join(f"line {i}\n" for i in range(1, 8))),
                               namespace=app_ns)
    spec = cli.prebuilt(cli.apps / app_ns / "web.hspec", "web", cluster.image)
    cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns)
    return spec


def test_service_status(cli: CliWorkspace, deployed: Path, app_ns: str) -> None:
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


def test_app_status(cli: CliWorkspace, cluster: Cluster, deployed: Path, app_ns: str) -> None:
    api = cli.prebuilt(deployed.parent / "api.hspec", "api", cluster.image, external=False)
    cli.hyscale("deploy", "service", "-f", str(api), "-a", app_ns, "-n", app_ns)
    rows = _table(cli.hyscale("get", "app", "status", "-a", app_ns, "-n", app_ns))
    assert sorted(rows) == ["api", "web"] and rows["api"]["Status"] == "Running"
    data = cli.hyscale("get", "apps", "status", "-a", app_ns, "-n", app_ns, "-o", "json").json
    assert [s["name"] for s in data["serviceStatus"]] == ["api", "web"]
    empty = cli.hyscale("get", "app", "status", "-a", "nothing-here", "-n", app_ns)
    assert "[INFO]  No Service Deployed" in empty.stdout


def test_get_apps(cli: CliWorkspace, deployed: Path, app_ns: str) -> None:
    rows = _table(cli.hyscale("get", "apps"))
    assert rows[app_ns] == {"Application": app_ns, "Profile": "dev", "Namespace": app_ns}
    data = cli.hyscale("get", "apps", "-o", "json").json
    assert {"name": app_ns, "profile": "dev", "namespace": app_ns} in data["apps"]


def test_replica_status(cli: CliWorkspace, deployed: Path, app_ns: str) -> None:
    rows = _table(cli.hyscale("get", "replica", "status", "-s", "web", "-a", app_ns, "-n", app_ns))
    [(pod, row)] = rows.items()
    assert pod.startswith("web-") and row["Status"] == "Running"
    data = cli.hyscale("get", "replicas", "status", "-s", "web", "-a", app_ns, "-n", app_ns,
                       "-o", "json").json
    assert data["service"] == "web" and [r["name"] for r in data["replicas"]] == [pod]


def test_service_logs(cli: CliWorkspace, cluster: Cluster, deployed: Path, app_ns: str) -> None:
    if not cluster.is_standin:
        pytest.skip("the log lines are the scripted kubelet's")
    result = cli.hyscale("get", "service", "logs", "-s", "web", "-a", app_ns, "-n", app_ns,
                         "-l", "3")
    assert result.stdout.splitlines() == ["line 5", "line 6", "line 7"]
    assert "Service Logs from web-" in result.stderr
    saved = cli.service_dir(app_ns, "web") / "logs" / "service.log"
    assert saved.read_text().splitlines() == ["line 5", "line 6", "line 7"]
    missing = cli.hyscale("get", "service", "logs", "-s", "web", "-a", app_ns, "-n", app_ns,
                          "-r", "no-such-pod", code=11)
    assert '[ERROR]  Cannot find replica "no-such-pod". Available replicas web-' in missing.stderr


def test_scale_is_kept_by_the_next_deploy(cli: CliWorkspace, deployed: Path, app_ns: str) -> None:
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


def test_undeploy_service_then_deploy_again(cli: CliWorkspace, deployed: Path,
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


def test_undeploy_app(cli: CliWorkspace, cluster: Cluster, deployed: Path, app_ns: str) -> None:
    api = cli.prebuilt(deployed.parent / "api.hspec", "api", cluster.image)
    cli.hyscale("deploy", "service", "-f", str(api), "-a", app_ns, "-n", app_ns)
    cli.hyscale("undeploy", "app", "-a", app_ns, "-n", app_ns)
    data = cli.hyscale("get", "app", "status", "-a", app_ns, "-n", app_ns, "-o", "json").json
    assert data["serviceStatus"] == []
    [web, api_status] = cli.hyscale("deploy", "service", "-f", f"{deployed},{api}", "-a", app_ns,
                                    "-n", app_ns, "-o", "json").json["serviceStatus"]
    assert ran(web) == ran(api_status) == ["deploy"]
