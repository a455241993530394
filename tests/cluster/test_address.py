"""The address a deploy prints answers, on a real cluster, with and without a load balancer
controller.

The test cluster, like kind and minikube, has no load balancer controller: a LoadBalancer Service
never gets an external IP there. The tool must not wait for one, and must print what does answer
(a node's address and the node port), saying so. Where a controller works on the Service (played
here by the test, as MetalLB or k3s' servicelb would: an event, then the node's IP in the
Service's status, which kube-proxy routes), the tool waits for it and prints HyScale's
``Service IP`` line. Either way the test sends an HTTP request to exactly what was printed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from kubernetes import client

from testing.cluster import Cluster, http_get
from testing.workspace import NewApp, Workspace, status_rows

NODE_PORT_LINE = re.compile(
    r"\[INFO\]  Service address : (\S+:\d+) \(node port; no load balancer assigned an external IP\)")
SERVICE_IP_LINE = re.compile(r"\[INFO\]  Service IP : (\S+:\d+)$", re.MULTILINE)


def _get(address: str) -> str:
    return http_get(f"http://{address}/")


def test_without_a_load_balancer_the_node_port_is_printed_and_answers(new_app: NewApp,
                                                                       cluster: Cluster) -> None:
    app = new_app("nodeport")
    app.extra_env["HYS_LB_READY_TIMEOUT"] = "600000"  # HyScale's wait: it must not be sat out
    app.web(external=True)

    result = app.deploy("web")

    printed = NODE_PORT_LINE.search(result.stderr)
    assert printed, result.stderr
    address = printed.group(1)
    assert address.startswith(f"{cluster.node_ip}:")
    assert _get(address).startswith("testapp web-"), "the printed address reaches the service"
    row = status_rows(app.run("status:web"))["web"]
    assert row["Service Address"].startswith(address), row
    assert "no load balancer" in row["Service Address"], row


def test_an_internal_service_names_its_cluster_address(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("internal")
    app.web()

    result = app.deploy("web")

    line = next(line for line in result.stderr.splitlines() if "Service address" in line)
    cluster_ip = cluster.core().read_namespaced_service("web", app.namespace).spec.cluster_ip
    assert line == f"[INFO]  Service address : web.{app.namespace}.svc:8080 (ClusterIP {cluster_ip})"
    assert _get(f"{cluster_ip}:8080").startswith("testapp web-"), "kube-proxy routes the ClusterIP"


class LoadBalancerController:
    """What MetalLB or k3s' servicelb do, for one Service: say so in an event, then give it the
    node's address (kube-proxy routes a LoadBalancer ingress IP to the Service's pods)."""

    def __init__(self, cluster: Cluster, namespace: str, name: str) -> None:
        self.core = cluster.core()
        self.namespace, self.name, self.address = namespace, name, cluster.node_ip
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="lb-controller")

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                live = self.core.read_namespaced_service(self.name, self.namespace)
            except client.ApiException:
                continue  # not created yet
            if live.spec.type != "LoadBalancer":
                continue
            now = datetime.now(UTC)
            self.core.create_namespaced_event(self.namespace, client.CoreV1Event(
                metadata=client.V1ObjectMeta(generate_name=f"{self.name}."),
                involved_object=client.V1ObjectReference(kind="Service", name=self.name,
                                                         namespace=self.namespace,
                                                         uid=live.metadata.uid),
                reason="IPAllocated", message=f"Assigned IP [\"{self.address}\"]", type="Normal",
                first_timestamp=now, last_timestamp=now, count=1,
                source=client.V1EventSource(component="test-lb-controller")))
            # a controller takes its time: the tool must wait for it, not give up after the grace
            self.stop.wait(8)
            self.core.patch_namespaced_service_status(self.name, self.namespace, {
                "status": {"loadBalancer": {"ingress": [{"ip": self.address}]}}})
            return


@pytest.fixture
def lb_app(new_app: NewApp, cluster: Cluster) -> Iterator[Workspace]:
    app = new_app("lbctl")
    controller = LoadBalancerController(cluster, app.namespace, "web")
    controller.thread.start()
    try:
        yield app
    finally:
        controller.stop.set()
        controller.thread.join(10)


def test_with_a_load_balancer_controller_its_address_is_waited_for_and_answers(
        lb_app: Workspace, cluster: Cluster) -> None:
    lb_app.extra_env["HYS_LB_READY_TIMEOUT"] = "60000"
    lb_app.web(external=True)

    result = lb_app.deploy("web")

    printed = SERVICE_IP_LINE.search(result.stderr)
    assert printed, result.stderr
    assert printed.group(1) == f"{cluster.node_ip}:8080"
    assert _get(printed.group(1)).startswith("testapp web-")
    assert lb_app.deploy("web").executed == [], \
        "the Service's new status is what the next check expects"
