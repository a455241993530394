"""Where a service behind an Ingress answers, on the real cluster: the Ingress side of
tests/cluster/test_address.py.

The test cluster has no ingress controller, like kind and minikube until one is installed: the
Ingress never gets an address there. The deploy must not wait for one (HyScale waits
``HYS_LB_READY_TIMEOUT`` and prints a placeholder), and must say plainly why there is none and
give the in-cluster address, which answers. Where a controller serves the Ingress' class (played
here by the test, as ingress-nginx would: an IngressClass, a proxy that routes the Ingress' host
to its backend Service, and the proxy's address in the Ingress' status, a few seconds late), the
deploy waits for the address and prints it, and the test sends a request for the host there.
"""

from __future__ import annotations

import http.server
import re
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from testing.cluster import Cluster, http_get, wait_for
from testing.workspace import NewApp, Workspace, status_rows

ADDRESS_LINE = re.compile(r"^\[INFO\]  Service address : (\S+) \(ClusterIP (\S+)\)$", re.MULTILINE)


def _load_balancer(host: str, class_name: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"provider": "nginx", "host": host,
                            "mapping": [{"port": "8080/http", "contextPaths": ["/"]}]}
    if class_name:
        spec["className"] = class_name
    return spec


def test_without_an_ingress_controller_the_deploy_says_so_at_once(new_app: NewApp,
                                                                   cluster: Cluster) -> None:
    app = new_app("noingress")
    app.extra_env["HYS_LB_READY_TIMEOUT"] = "600000"  # HyScale's wait: it must not be sat out
    host = f"web.{app.namespace}.example.test"
    app.web(external=True, loadBalancer=_load_balancer(host))
    classes = client.NetworkingV1Api(cluster.api_client()).list_ingress_class().items
    there = ", ".join(sorted(c.metadata.name for c in classes)) or "none"

    result = app.deploy("web")

    lines = [line for line in result.stderr.splitlines()
             if line.startswith(("[INFO]  Service", "[INFO]  Ingress"))]
    assert lines[1:] == [
        f"[INFO]  Service URL : {host}",
        f"[INFO]  Ingress dev-web-ingress has no address: no ingress controller serves it (it "
        f"names no class and the cluster has no default IngressClass; it has {there}), so "
        f"nothing answers for host {host} from outside the cluster; install one for that class "
        "(ingress-nginx, traefik) and deploy again, or use the in-cluster address"], result.stderr
    printed = ADDRESS_LINE.match(lines[0])
    assert printed and printed.group(1) == f"web.{app.namespace}.svc:8080", lines
    assert http_get(f"http://{printed.group(2)}:8080/").startswith("testapp web-"), \
        "the in-cluster address it gives answers"
    row = status_rows(app.run("status:web"))["web"]
    assert row["Service Address"].startswith(f"web.{app.namespace}.svc:8080"), row
    assert row["Service URL"] == host, row


def _get_host(address: str, host: str) -> str:
    request = urllib.request.Request(f"http://{address}/", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return str(answer.read().decode(errors="replace"))
    except OSError:  # refused, or an error status (the backend not routed yet)
        return ""


class IngressController:
    """ingress-nginx for one IngressClass, as far as the tool can tell: it routes requests for the
    Ingress' host to the backend Service's ClusterIP (kube-proxy routes it from this host) and,
    some seconds after the Ingress appears, publishes where it listens in the Ingress' status."""

    def __init__(self, cluster: Cluster, namespace: str, class_name: str, host: str) -> None:
        self.cluster, self.namespace, self.host = cluster, namespace, host
        self.networking = client.NetworkingV1Api(cluster.api_client())
        self.networking.create_ingress_class(client.V1IngressClass(
            metadata=client.V1ObjectMeta(name=class_name),
            spec=client.V1IngressClassSpec(controller="hyscale.io/test-ingress-controller")))
        self.class_name = class_name
        self.backend = ""
        self.proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.proxy.server_address[1]
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.proxy.serve_forever, daemon=True),
                        threading.Thread(target=self._publish, daemon=True)]

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        controller = self

        class Route(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if (self.headers.get("Host") or "").split(":")[0] != controller.host \
                        or not controller.backend:
                    self.send_error(404, "no rule for this host")
                    return
                try:
                    with urllib.request.urlopen(f"http://{controller.backend}{self.path}",
                                                timeout=5) as answer:
                        body = answer.read()
                except OSError:  # kube-proxy has not routed the ClusterIP yet
                    self.send_error(502, "backend not reachable yet")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Route

    def _publish(self) -> None:
        def ingress() -> Any:
            found = self.networking.list_namespaced_ingress(self.namespace).items
            return found[0] if found else None

        live = wait_for(ingress, timeout=120, what="the Ingress")
        service = client.CoreV1Api(self.cluster.api_client()).read_namespaced_service(
            "web", self.namespace)
        self.backend = f"{service.spec.cluster_ip}:8080"
        if self.stop.wait(4):  # a controller takes its time: the deploy must wait for it
            return
        self.networking.patch_namespaced_ingress_status(live.metadata.name, self.namespace, {
            "status": {"loadBalancer": {"ingress": [
                {"ip": "127.0.0.1", "ports": [{"port": self.port, "protocol": "TCP"}]}]}}})

    def close(self) -> None:
        self.stop.set()
        self.proxy.shutdown()
        self.networking.delete_ingress_class(self.class_name)


@pytest.fixture
def with_controller(new_app: NewApp, cluster: Cluster) -> Iterator[tuple[Workspace, IngressController]]:
    app = new_app("ingressctl")
    controller = IngressController(cluster, app.namespace, f"test-{secrets.token_hex(3)}",
                                   f"web.{app.namespace}.example.test")
    for thread in controller.threads:
        thread.start()
    try:
        yield app, controller
    finally:
        controller.close()


def test_with_an_ingress_controller_its_address_is_waited_for_and_answers_for_the_host(
        with_controller: tuple[Workspace, IngressController]) -> None:
    app, controller = with_controller
    app.extra_env["HYS_LB_READY_TIMEOUT"] = "60000"
    host = controller.host
    app.web(external=True, loadBalancer=_load_balancer(host, controller.class_name))

    result = app.deploy("web")

    address = f"127.0.0.1:{controller.port}"
    lines = [line for line in result.stderr.splitlines()
             if line.startswith(("[INFO]  Service", "[INFO]  Ingress"))]
    assert lines == [
        f"[INFO]  Service IP : {address}",
        f"[INFO]  Service URL : {host}",
        f"[INFO]  Ingress dev-web-ingress answers for host {host} only: "
        f"http://{host}:{controller.port}/ once {host} resolves to 127.0.0.1; until then curl "
        f"--connect-to ::{address} http://{host}:{controller.port}/"], result.stderr
    # what that curl does: connect to the address, and ask for the host (until kube-proxy
    # routes the Service, a moment after the pods are ready, as testing.cluster.http_get)
    assert wait_for(lambda: _get_host(address, host), timeout=30,
                    what="an answer for the host").startswith("testapp web-")
    row = status_rows(app.run("status:web"))["web"]
    assert (row["Service Address"], row["Service URL"]) == (address, host), row
    assert app.deploy("web").executed == [], "the address in its status is not drift"
