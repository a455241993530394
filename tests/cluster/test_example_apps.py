"""The example apps in apps/ deploy for real: every service built, pushed, pulled by the real
kubelet, ready, and answering; volumes bound by the cluster's provisioner.

The specs name ``localhost:5000`` and ``busybox:1.36``; the test points them at the test
registry and its stack image (nothing can be pulled from the internet here).

Every example service has a health check, and HyScale's probes (10 s initial delay, 30 s period)
make a pod ready about 30 s after it starts. So the three apps are deployed at once, in the
background, when the first test of this module asks for them (shop with ``-n 3``: its services
in parallel), and each test waits for its own app's deploy: the waits overlap.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from kubernetes import client

from testing.cluster import Cluster, http_get
from testing.deploy_app import current_pods, exec_in, make_app
from testing.registry import Registry
from testing.workspace import APPS, DoitResult, Workspace, status_rows

pytestmark = pytest.mark.docker
STORE_PASSWORD = "s3cret-store-pw"
# doit arguments of each example's deploy
EXAMPLES = {"hello": [], "store": [], "shop": ["profile=prod", "-n", "3"]}


def _copy_example(app: Workspace, example: str) -> None:
    """Every spec of the example (images pointed at the test registry and stack image, image
    repositories named after the app, so the run's clean-up finds them), and its folders."""
    for spec in sorted((APPS / example).glob("*.hspec")):
        text = spec.read_text()
        text = text.replace("localhost:5000", app.registry_host)
        text = text.replace("busybox:1.36", app.stack_image)
        text = text.replace(f"name: {example}/", f"name: {app.name}/")
        (app.folder / spec.name).write_text(text)
    for item in (APPS / example).iterdir():
        if item.is_dir():
            shutil.copytree(item, app.folder / item.name, dirs_exist_ok=True)


@dataclass
class Deploying:
    """``doit deploy`` of one example, running in the background."""

    app: Workspace
    args: list[str]
    process: subprocess.Popen[str]
    done: list[DoitResult] = field(default_factory=list)

    def result(self) -> DoitResult:
        """Wait for the deploy; it must succeed."""
        if not self.done:
            self.done.append(self.app.wait(self.process))
        return self.done[0]


@pytest.fixture(scope="module")
def examples(shared_cluster: Cluster, registry: Registry, request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Deploying]]:
    request.getfixturevalue("_remove_run_images")  # the built images go at the session's end
    started: dict[str, Deploying] = {}
    try:
        for example, args in EXAMPLES.items():
            app = make_app(tmp_path_factory.mktemp(example), example, shared_cluster.kubeconfig,
                           registry=registry)
            shared_cluster.track(app.namespace)
            # A pod is probed first on the kubelet's first 30 s tick after the 10 s initial delay:
            # ready after 30 s, or 60 s when its container started late for that tick (a busy
            # machine); HyScale's own deadline is 120 s per replica.
            app.extra_env["HYS_ROLLOUT_TIMEOUT"] = "120"
            app.timeout = 240
            _copy_example(app, example)
            if example == "store":
                # List-form secrets name a Secret the user creates first, as the app's README says.
                core = shared_cluster.core()
                core.create_namespace({"metadata": {"name": app.namespace}})  # type: ignore[arg-type]
                core.create_namespaced_secret(app.namespace, {  # type: ignore[arg-type]
                    "metadata": {"name": f"{app.name}-store"},
                    "stringData": {"STORE_PASSWORD": STORE_PASSWORD}})
            started[example] = Deploying(app, args, app.start(f"app={app.name}", *args, "deploy"))
        yield started
    finally:
        for deploying in started.values():
            if deploying.process.poll() is None:  # a test failed before waiting for it
                os.killpg(deploying.process.pid, signal.SIGKILL)  # the doit this fixture started
                deploying.process.communicate()


def _statuses(app: Workspace) -> dict[str, str]:
    return {name: row["Status"] for name, row in status_rows(app.run("app-status")).items()}


def _tcp_echo(host: str, port: int, payload: bytes, timeout: float = 30.0) -> bytes:
    """Send ``payload`` and read as much back, retrying while kube-proxy has not yet routed the
    Service (refused or unanswered, see :func:`~testing.cluster.http_get`)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=2) as connection:
                connection.sendall(payload)
                answer = b""
                while len(answer) < len(payload):
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
                return answer
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_hello_deploys_and_answers(examples: dict[str, Deploying], shared_cluster: Cluster) -> None:
    app = examples["hello"].app
    deployed = examples["hello"].result()
    api, ns = shared_cluster.api_client(), app.namespace
    assert _statuses(app) == {"web": "Running"}

    # external: a LoadBalancer Service. The test cluster has no load balancer controller, so the
    # deploy gives the node port, and there the site and the health page answer.
    node_port = shared_cluster.core().read_namespaced_service("web", ns).spec.ports[0].node_port
    address = f"{shared_cluster.node_ip}:{node_port}"
    assert f"Service address : {address}" in deployed.stderr
    http_get(f"http://{address}/", "Hello from a HyScale service")
    assert http_get(f"http://{address}/health/", "ok") == "ok\n"

    # the props and secrets are in the container's environment, the file prop under
    # propsVolumePath, and the run commands' output in the log
    [pod] = current_pods(api, ns, "web")
    assert exec_in(api, ns, pod, "web", 'echo "$GREETING|$BACKEND_URL|$API_TOKEN"') == \
        "Hello from HyScale|store|change-me\n"
    assert exec_in(api, ns, pod, "web", "cat /etc/hello/motd.txt") == \
        (APPS / "hello" / "config" / "motd.txt").read_text()
    assert "starting hello on port 8080 (Hello from HyScale)" in app.run("logs:web").stdout
    assert app.deploy().executed == []


def test_store_deploys_with_its_own_secret_and_volumes(examples: dict[str, Deploying],
                                                       shared_cluster: Cluster) -> None:
    app = examples["store"].app
    examples["store"].result()
    api, ns, core = shared_cluster.api_client(), app.namespace, shared_cluster.core()
    assert _statuses(app) == {"store": "Running"}

    # one claim per volume, bound by the default StorageClass's provisioner at the asked size
    claims = {c.metadata.name: c for c in core.list_namespaced_persistent_volume_claim(ns).items}
    assert sorted(claims) == ["data-store-0", "logs-store-0"]
    default_class = next(s.metadata.name for s in client.StorageV1Api(api).list_storage_class().items
                         if (s.metadata.annotations or {}).get(
                             "storageclass.kubernetes.io/is-default-class") == "true")
    for name, size in (("data-store-0", "1Gi"), ("logs-store-0", "200Mi")):
        assert claims[name].status.phase == "Bound"
        assert claims[name].spec.storage_class_name == default_class
        assert claims[name].status.capacity["storage"] == size

    # the Service answers (nc echoes), the user's Secret reaches the container, the volumes are
    # mounted where the spec says and writable
    cluster_ip = core.read_namespaced_service("store", ns).spec.cluster_ip
    assert _tcp_echo(cluster_ip, 6379, b"hello store\n") == b"hello store\n"
    assert exec_in(api, ns, "store-0", "store",
                   'echo "$STORE_PASSWORD"; ls -d /data/db; touch /var/log/store/w && echo ok') == \
        f"{STORE_PASSWORD}\n/data/db\nok\n"
    assert "store listening on 6379, data in /data/db" in app.run("logs:store").stdout
    assert app.deploy().executed == []


def test_shop_deploys_every_service_with_the_prod_profile(examples: dict[str, Deploying],
                                                          shared_cluster: Cluster) -> None:
    shop = examples["shop"]
    app = shop.app
    deployed = shop.result()
    api, ns, core = shared_cluster.api_client(), app.namespace, shared_cluster.core()
    apps = client.AppsV1Api(api)
    assert _statuses(app) == {"cart": "Running", "catalog": "Running", "frontend": "Running"}

    # prod: an autoscaler holds cart at its minimum (no load), the frontend runs 3 replicas
    hpas = client.AutoscalingV2Api(api).list_namespaced_horizontal_pod_autoscaler(ns).items
    assert [(h.metadata.name, h.spec.min_replicas, h.spec.max_replicas) for h in hpas] == \
        [(f"{app.name}-cart", 2, 6)]
    assert apps.read_namespaced_deployment("cart", ns).status.ready_replicas == 2
    assert apps.read_namespaced_deployment("frontend", ns).status.ready_replicas == 3

    # every frontend pod runs the frontend and its metrics sidecar, both ready
    frontends = [p for p in core.list_namespaced_pod(
        ns, label_selector="hyscale.io/service-name=frontend").items
        if not p.metadata.deletion_timestamp]
    assert len(frontends) == 3
    for frontend in frontends:
        assert {s.name: s.ready for s in frontend.status.container_statuses} == \
            {"frontend": True, "metrics": True}

    # the frontend serves the shop, and the sidecar's port, on the same Service, answers
    # Prometheus: the frontend (localhost in its pod) is up
    frontend_ip = core.read_namespaced_service("frontend", ns).spec.cluster_ip
    http_get(f"http://{frontend_ip}:8080/", "<h1>shop</h1>")
    metrics = http_get(f"http://{frontend_ip}:9102/metrics", "\nshop_frontend_up 1\n")
    assert "# TYPE shop_frontend_up gauge" in metrics
    sidecar_log = core.read_namespaced_pod_log(frontends[0].metadata.name, ns, container="metrics")
    assert "metrics of http://localhost:8080/ at :9102/metrics" in sidecar_log

    # the frontend reaches the backends by the names its endpoint() props hold (the cluster
    # DNS resolves them in the namespace); the profile's props are there too
    pod = frontends[0].metadata.name

    def backend(url_prop: str) -> str:
        return exec_in(api, ns, pod, "frontend", f'timeout 3 wget -q -O - "http://${url_prop}:8080/"')

    assert shared_cluster.wait_for(lambda: backend("CATALOG_URL") == "catalog is up\n",
                                   timeout=30, what="the catalog to answer the frontend")
    assert shared_cluster.wait_for(lambda: backend("CART_URL") == "cart is up\n",
                                   timeout=30, what="the cart to answer the frontend")
    assert exec_in(api, ns, pod, "frontend", 'echo "$LOG_LEVEL"') == "warn\n"
    [catalog] = current_pods(api, ns, "catalog")
    assert exec_in(api, ns, catalog, "catalog", 'echo "$PAGE_SIZE"') == "50\n"

    # the Ingress (no ingress controller here: nothing serves it) and the NetworkPolicies that
    # admit only the frontend (the test cluster's bridge network does not enforce them)
    assert "Service URL : shop.example.com" in deployed.stderr
    [ingress] = client.NetworkingV1Api(api).list_namespaced_ingress(ns).items
    assert [rule.host for rule in ingress.spec.rules] == ["shop.example.com"]
    policies = client.NetworkingV1Api(api).list_namespaced_network_policy(ns).items
    assert sorted(p.spec.pod_selector.match_labels["hyscale.io/service-name"] for p in policies) \
        == ["cart", "catalog"]
    assert app.deploy(extra=shop.args[:1]).executed == []
