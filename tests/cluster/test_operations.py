"""The operation tasks on deployed services: status, app-status, logs, replicas, scale, undeploy,
app-undeploy (HyScale §7.5-§7.10), on the real cluster with the prebuilt test image.

What the logs show is the real container's output: the test image prints its ``TESTAPP_LOG`` prop
first, then ``testapp listening on 8080 and 6379``; a line appended later is written to the
container's stdout by a real exec (:func:`print_in_log`), as ``kubectl exec`` would.
"""

from __future__ import annotations

import queue
import subprocess
import threading

import pytest
from kubernetes import client

from testing.audit import writes
from testing.cluster import Cluster, http_get
from testing.deploy_app import current_pods, exec_in, make_app
from testing.registry import Registry
from testing.workspace import NewApp, Workspace, assert_no_traceback, status_rows

WEB_LOG = "".join(f"web line {n}\\n" for n in range(1, 21))  # printf %b makes the lines
LISTENING = "testapp listening on 8080 and 6379"  # the test image's last line at start-up


def _core(cluster: Cluster) -> client.CoreV1Api:
    return client.CoreV1Api(cluster.api_client())


def _app(new_app: NewApp, cluster: Cluster) -> Workspace:
    """web (props, secrets) and store (two volumes), deployed: for tests that change them."""
    app = new_app("ops")
    app.web(props={"A": "1"}, secrets={"S": "ops-secret"})
    app.stateful("store", volumes=[{"name": "data", "path": "/data", "size": "1Gi"},
                                   {"name": "logs", "path": "/var/log/store", "size": "100Mi"}])
    app.deploy(extra=["-n", "2"])  # both at once: store's wait for its volumes is the longer
    return app


def _pods(cluster: Cluster, app: Workspace, service: str) -> list[str]:
    return current_pods(cluster.api_client(), app.namespace, service)


def print_in_log(cluster: Cluster, namespace: str, pod: str, container: str, line: str) -> None:
    """Append ``line`` to the container's log: written to the stdout of the container's first
    process, which is what the kubelet keeps as the container's log."""
    output = exec_in(cluster.api_client(), namespace, pod, container,
                     f"echo '{line}' > /proc/1/fd/1")
    assert not output, f"the exec in {pod} said: {output}"


@pytest.fixture(scope="module")
def deployed(shared_cluster: Cluster, registry: Registry,
             tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """For the tests that only read: web (2 replicas, 20 log lines each) and store deployed;
    ``later`` is a service of the app that was never deployed. (The log tests append lines:
    test_logs_lines_replica_and_saved_file to the second pod's log, the --follow test, which
    runs after it, to the first pod's.)"""
    app = make_app(tmp_path_factory.mktemp("ops"), "opsread", shared_cluster.kubeconfig,
                   registry=registry)
    shared_cluster.track(app.namespace)
    app.web(replicas=2, props={"TESTAPP_LOG": WEB_LOG})
    app.stateful("store")
    app.web("later")
    app.deploy("web", "store", extra=["-n", "2"])
    return app


def test_status_and_app_status(deployed: Workspace, shared_cluster: Cluster) -> None:
    app = deployed
    rows = status_rows(app.run("status:web"))
    assert rows["web"]["Status"] == "Running"
    cluster_ip = _core(shared_cluster).read_namespaced_service("web", app.namespace).spec.cluster_ip
    assert rows["web"]["Service Address"] == f"web.{app.namespace}.svc:8080 (ClusterIP {cluster_ip})"
    # the address it gives answers (kube-proxy sends it to one of web's pods)
    assert http_get(f"http://{cluster_ip}:8080/", "testapp web-").startswith("testapp web-")

    table = status_rows(app.run("app-status"))
    assert {name: row["Status"] for name, row in table.items()} == {"store": "Running", "web": "Running"}

    missing = status_rows(app.run("status:later"))
    assert missing["later"]["Status"] == "Not Deployed"
    assert "No such service found in this cluster" in missing["later"]["Message"]


def test_logs_lines_replica_and_saved_file(deployed: Workspace, shared_cluster: Cluster) -> None:
    app = deployed
    pods = _pods(shared_cluster, app, "web")
    assert len(pods) == 2

    result = app.run("logs:web", "--lines", "3")
    assert result.stdout.splitlines()[-3:] == ["web line 19", "web line 20", LISTENING]
    assert "web line 18" not in result.stdout
    assert (app.paths("web").logs / "service.log").read_text() == \
        f"web line 19\nweb line 20\n{LISTENING}\n"

    # --replica picks the pod: a line written in one replica's log shows there only
    print_in_log(shared_cluster, app.namespace, pods[1], "web", f"only in {pods[1]}")
    chosen = app.run("logs:web", "--lines", "1", "--replica", pods[1])
    assert f"Service Logs from {pods[1]}" in chosen.stderr
    assert chosen.stdout.splitlines()[-1] == f"only in {pods[1]}"
    other = app.run("logs:web", "--lines", "2", "--replica", pods[0])
    assert other.stdout.splitlines()[-2:] == ["web line 20", LISTENING]

    wrong = app.run("logs:web", "--replica", "web-nope", check=False)
    assert wrong.returncode != 0
    assert_no_traceback(wrong)
    assert 'Cannot find replica "web-nope". Available replicas' in wrong.stderr
    assert pods[0] in wrong.stderr and pods[1] in wrong.stderr


def test_logs_follow_streams_new_lines(deployed: Workspace, shared_cluster: Cluster) -> None:
    app = deployed
    pod = _pods(shared_cluster, app, "web")[0]
    (app.paths("web").logs / "service.log").unlink(missing_ok=True)
    process = app.start(f"app={app.name}", "logs:web", "--follow", "--lines", "1", "--replica", pod)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    def read() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        def next_line(timeout: float = 30) -> str:
            try:
                return lines.get(timeout=timeout).rstrip("\n")
            except queue.Empty:
                raise AssertionError(f"no log line within {timeout}s") from None

        # doit's task line first, then the one line asked for: the stream is open
        while (line := next_line()) != LISTENING:
            assert "web line" not in line, f"more than --lines 1: {line}"
        print_in_log(shared_cluster, app.namespace, pod, "web", "a fresh line")
        assert next_line() == "a fresh line"
        print_in_log(shared_cluster, app.namespace, pod, "web", "and another")
        assert next_line() == "and another"
        assert process.poll() is None, "--follow keeps following"
        assert not (app.paths("web").logs / "service.log").exists(), "a followed log is not saved"
    finally:
        process.terminate()  # doit, started by this test (its own session)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream_ in (process.stdout, process.stderr):
            if stream_ is not None:
                stream_.close()


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

    # web's spec sets no replicas, so the count is the cluster's: a deploy of a change keeps it
    app.edit_spec("web", props={"A": "2"})
    assert "deploy:web" in app.deploy("web").executed
    assert apps.read_namespaced_deployment("web", app.namespace).spec.replicas == 2


def test_undeploy_keeps_the_volume_claims_and_their_data_unless_asked(new_app: NewApp,
                                                                     cluster: Cluster) -> None:
    app = _app(new_app, cluster)
    app.run("scale:store", "--to", "2")
    core, apps = _core(cluster), client.AppsV1Api(cluster.api_client())
    claims = sorted(c.metadata.name
                    for c in core.list_namespaced_persistent_volume_claim(app.namespace).items)
    assert claims == ["data-store-0", "data-store-1", "logs-store-0", "logs-store-1"]
    assert exec_in(cluster.api_client(), app.namespace, "store-0", "store",
                   "echo kept > /data/marker && cat /data/marker") == "kept\n"

    mark = len(cluster.audit())
    result = app.run("undeploy:store")
    deleted = writes(cluster.audit()[mark:])

    assert "Undeployment completed" in result.stderr
    assert not apps.list_namespaced_stateful_set(app.namespace).items
    assert not _pods(cluster, app, "store"), "the undeploy waits for the pods to go"
    assert [s.metadata.name for s in core.list_namespaced_service(app.namespace).items] == ["web"]
    assert all(line.startswith("DELETE ") for line in deleted), deleted
    assert not [line for line in deleted if "persistentvolumeclaims" in line]
    assert sorted(c.metadata.name for c in core.list_namespaced_persistent_volume_claim(
        app.namespace).items) == claims
    assert apps.read_namespaced_deployment("web", app.namespace), "the other service stays"
    assert not app.paths("store").deploy_record.exists()

    # deploying again re-creates it and reattaches the same claims, with the data on them
    redeploy = app.deploy("store")
    assert "deploy:store" in redeploy.executed
    assert apps.read_namespaced_stateful_set("store", app.namespace).status.ready_replicas == 1
    assert sorted(c.metadata.name for c in core.list_namespaced_persistent_volume_claim(
        app.namespace).items) == claims
    assert exec_in(cluster.api_client(), app.namespace, "store-0", "store", "cat /data/marker") == "kept\n"

    # --delete-volumes takes the claims (all of them, the scaled-away replica's too)
    app.run("undeploy:store", "--delete-volumes")
    assert not core.list_namespaced_persistent_volume_claim(app.namespace).items


def test_app_undeploy_removes_everything_but_claims_and_namespace(new_app: NewApp, cluster: Cluster) -> None:
    app = _app(new_app, cluster)
    core, apps = _core(cluster), client.AppsV1Api(cluster.api_client())
    assert app.pull_secret in [s.metadata.name for s in core.list_namespaced_secret(app.namespace).items]

    app.run("app-undeploy")

    assert not apps.list_namespaced_deployment(app.namespace).items
    assert not apps.list_namespaced_stateful_set(app.namespace).items
    assert not core.list_namespaced_service(app.namespace).items
    # every namespace has the cluster's kube-root-ca.crt ConfigMap: only the app's must go
    assert [c.metadata.name for c in core.list_namespaced_config_map(app.namespace).items] == \
        ["kube-root-ca.crt"]
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
