"""The operation tasks on deployed services: status, app-status, logs, replicas, scale, undeploy,
app-undeploy (HyScale §7.5-§7.10), against the stand-in with prebuilt images."""

from __future__ import annotations

import queue
import re
import subprocess
import threading
import time

import pytest
from kubernetes import client

from tests.cluster.fixtures import Cluster
from tests.cluster.kubelet_scripted import running
from tests.deploy.apps import (
    PREBUILT_REGISTRY,
    DeployApp,
    assert_no_traceback,
    make_app,
    status_rows,
    writes,
)
from tests.deploy.conftest import NewApp


def _core(cluster: Cluster) -> client.CoreV1Api:
    return client.CoreV1Api(cluster.api_client())


def _app(new_app: NewApp, cluster: Cluster) -> DeployApp:
    """web (props, secrets) and store (two volumes), deployed: for tests that change them."""
    app = new_app("ops")
    app.web(props={"A": "1"}, secrets={"S": "ops-secret"})
    app.stateful("store", volumes=[{"name": "data", "path": "/data", "size": "1Gi"},
                                   {"name": "logs", "path": "/var/log/store", "size": "100Mi"}])
    app.deploy()
    return app


def _pods(cluster: Cluster, app: DeployApp, service: str) -> list[str]:
    return sorted(p.metadata.name for p in _core(cluster).list_namespaced_pod(
        app.namespace, label_selector=f"hyscale.io/service-name={service}").items
        if not p.metadata.deletion_timestamp)


@pytest.fixture(scope="module")
def deployed(shared_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> DeployApp:
    """For the read-only tests: web (2 replicas, 20 log lines each) and store deployed; ``later``
    is a service of the app that was never deployed."""
    app = make_app(tmp_path_factory.mktemp("ops"), "opsread", shared_cluster.kubeconfig)
    app.web(replicas=2)
    app.stateful("store")
    app.web("later")
    shared_cluster.kubelet.script(running(logs="".join(f"web line {n}\n" for n in range(1, 21))),
                                  selector={"hyscale.io/service-name": "web"})
    app.deploy("web", "store")
    return app


def test_status_and_app_status(deployed: DeployApp, shared_cluster: Cluster) -> None:
    app = deployed
    rows = status_rows(app.run("status:web"))
    assert rows["web"]["Status"] == "Running"
    assert rows["web"]["Service Address"] == f"web.{app.namespace}.svc:8080 (ClusterIP " + \
        _core(shared_cluster).read_namespaced_service("web", app.namespace).spec.cluster_ip + ")"

    table = status_rows(app.run("app-status"))
    assert {name: row["Status"] for name, row in table.items()} == {"store": "Running", "web": "Running"}

    missing = status_rows(app.run("status:later"))
    assert missing["later"]["Status"] == "Not Deployed"
    assert "No such service found in this cluster" in missing["later"]["Message"]


def test_logs_lines_replica_and_saved_file(deployed: DeployApp, shared_cluster: Cluster) -> None:
    app = deployed
    pods = _pods(shared_cluster, app, "web")
    assert len(pods) == 2

    result = app.run("logs:web", "--lines", "3")
    assert result.stdout.splitlines()[-3:] == ["web line 18", "web line 19", "web line 20"]
    assert "web line 17" not in result.stdout
    assert (app.paths("web").logs / "service.log").read_text() == "web line 18\nweb line 19\nweb line 20\n"

    chosen = app.run("logs:web", "--lines", "1", "--replica", pods[1])
    assert f"Service Logs from {pods[1]}" in chosen.stderr
    assert chosen.stdout.splitlines()[-1] == "web line 20"

    wrong = app.run("logs:web", "--replica", "web-nope", check=False)
    assert wrong.returncode != 0
    assert_no_traceback(wrong)
    assert 'Cannot find replica "web-nope". Available replicas' in wrong.stderr
    assert pods[0] in wrong.stderr and pods[1] in wrong.stderr


def test_logs_follow_streams_new_lines(deployed: DeployApp, shared_cluster: Cluster) -> None:
    app = deployed
    (app.paths("web").logs / "service.log").unlink(missing_ok=True)
    process = app.start(f"app={app.name}", "logs:web", "--follow", "--lines", "1")
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    try:
        def next_line(timeout: float = 20) -> str:
            return lines.get(timeout=timeout).rstrip("\n")

        deadline = time.monotonic() + 20
        while next_line() != "web line 20":
            assert time.monotonic() < deadline
        followed = re.search(r"Service Logs from (\S+)", process.stderr.readline() if process.stderr
                             else "")
        pod = followed.group(1) if followed else _pods(shared_cluster, app, "web")[-1]
        shared_cluster.kubelet.append_log(app.namespace, pod, "a fresh line\n")
        assert next_line() == "a fresh line"
        assert not (app.paths("web").logs / "service.log").exists(), "a followed log is not saved"
    finally:
        process.terminate()  # doit, started by this test (its own session)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_scale_up_down_to_and_replicas(new_app: NewApp, cluster: Cluster) -> None:
    app = _app(new_app, cluster)
    apps = client.AppsV1Api(cluster.api_client())

    app.run("scale:web", "--up", "2")
    assert apps.read_namespaced_deployment("web", app.namespace).spec.replicas == 3
    assert len(_pods(cluster, app, "web")) == 3
    app.run("scale:web", "--down", "1")
    assert apps.read_namespaced_deployment("web", app.namespace).spec.replicas == 2
    app.run("scale:store", "--to", "2")
    assert apps.read_namespaced_stateful_set("store", app.namespace).status.ready_replicas == 2

    table = app.run("replicas:store").stdout
    assert "store-0" in table and "store-1" in table and "Running" in table

    # the scale went through the patch path: last-applied says 2 replicas too
    live = apps.read_namespaced_deployment("web", app.namespace)
    assert '"replicas": 2' in live.metadata.annotations["hyscale.io/last-applied-configuration"]


def test_undeploy_removes_the_service_and_keeps_its_volume_claims(new_app: NewApp, cluster: Cluster) -> None:
    app = _app(new_app, cluster)
    app.run("scale:store", "--to", "2")
    core, apps = _core(cluster), client.AppsV1Api(cluster.api_client())
    claims = sorted(c.metadata.name
                    for c in core.list_namespaced_persistent_volume_claim(app.namespace).items)
    assert claims == ["data-store-0", "data-store-1", "logs-store-0", "logs-store-1"]

    mark = len(cluster.audit())
    result = app.run("undeploy:store")
    deleted = writes(cluster.audit()[mark:])
    cluster.settle()

    assert "Undeployment completed" in result.stderr
    assert not apps.list_namespaced_stateful_set(app.namespace).items
    assert [s.metadata.name for s in core.list_namespaced_service(app.namespace).items] == ["web"]
    assert all(line.startswith("DELETE ") for line in deleted), deleted
    assert not [line for line in deleted if "persistentvolumeclaims" in line]
    assert sorted(c.metadata.name for c in core.list_namespaced_persistent_volume_claim(
        app.namespace).items) == claims
    assert apps.read_namespaced_deployment("web", app.namespace), "the other service stays"
    assert not app.paths("store").deploy_record.exists()

    # deploying again re-creates it and reattaches the same claims
    redeploy = app.deploy("store")
    assert "deploy:store" in redeploy.executed
    assert apps.read_namespaced_stateful_set("store", app.namespace).status.ready_replicas == 1
    assert sorted(c.metadata.name for c in core.list_namespaced_persistent_volume_claim(
        app.namespace).items) == claims


def test_undeploy_delete_volumes_removes_the_claims(new_app: NewApp, cluster: Cluster) -> None:
    app = _app(new_app, cluster)
    app.run("undeploy:store", "--delete-volumes")
    cluster.settle()
    assert not _core(cluster).list_namespaced_persistent_volume_claim(app.namespace).items


def test_app_undeploy_removes_everything_but_claims_and_namespace(new_app: NewApp, cluster: Cluster) -> None:
    app = _app(new_app, cluster)
    core, apps = _core(cluster), client.AppsV1Api(cluster.api_client())
    pull_secret = PREBUILT_REGISTRY.replace(".", "-")
    assert pull_secret in [s.metadata.name for s in core.list_namespaced_secret(app.namespace).items]

    app.run("app-undeploy")
    cluster.settle()

    assert not apps.list_namespaced_deployment(app.namespace).items
    assert not apps.list_namespaced_stateful_set(app.namespace).items
    assert not core.list_namespaced_service(app.namespace).items
    assert not core.list_namespaced_config_map(app.namespace).items
    assert not core.list_namespaced_secret(app.namespace).items, "the image-pull Secret goes too"
    assert len(core.list_namespaced_persistent_volume_claim(app.namespace).items) == 2
    assert core.read_namespace(app.namespace).metadata.name == app.namespace
    rows = status_rows(app.run("app-status"))
    assert rows == {}
    again = app.run("undeploy:web")
    assert "No resources to undeploy" in again.stderr


def test_operations_on_a_service_that_is_not_deployed(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("nodeploy")
    app.web()
    for args, says in ((["logs:web"], "Service is not created"),
                       (["scale:web", "--to", "2"], "web is not deployed in namespace"),
                       (["undeploy:web"], "No resources to undeploy"),
                       (["scale:web"], "Give exactly one of --up N, --down N, --to N"),
                       (["scale:web", "--down", "0"], "scale down by value must be greater than 0"),
                       (["logs:web", "--lines", "0"], "Logs lines must be more than 1")):
        result = app.run(*args, check=False)
        assert_no_traceback(result)
        assert says in result.stderr, result.stderr
