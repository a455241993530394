"""Where a deployed service answers: the closing lines of a deploy and the address column of
``status`` (HyScale §7.4 step 8).

* A Service with a load balancer's address: ``Service IP : <ip or host>:<port>`` (HyScale's line).
* An ``external: true`` service whose LoadBalancer Service has no address: on a cluster without a
  load balancer controller (kind, minikube, a bare-metal cluster without MetalLB) none will ever
  come, so waiting for it only delays the deploy and then prints an address that does not
  answer. The tool waits only while a controller visibly works on it (its events on the Service,
  or a ``loadBalancerClass``), and otherwise, after a short grace, names what does answer: a
  node's address and the Service's node port, saying that no load balancer assigned one.
* Any other service: its in-cluster name and port, and its ClusterIP.
* Behind an Ingress: the Ingress' address, or why it has none (:mod:`.ingress`).

The first line is the address (``Service IP`` or ``Service address``); a ``Service URL`` line and
lines that explain may follow.
"""

from __future__ import annotations

import os
import time
from typing import Any

from hyscale_tasks.cluster.client import Cluster
from hyscale_tasks.cluster.ingress import find_ingress, ingress_lines
from hyscale_tasks.cluster.reads import Live, ReadRefusedError, Reads
from hyscale_tasks.spec.model import ServiceSpec

# Event reasons of the controllers that assign load balancer addresses: the cloud providers'
# service controller, MetalLB, k3s' servicelb. Any of them on the Service means "wait".
LOAD_BALANCER_EVENTS = {"EnsuringLoadBalancer", "EnsuredLoadBalancer", "UpdatedLoadBalancer",
                        "SyncLoadBalancerFailed", "IPAllocated", "nodeAssigned", "AppliedDaemonSet"}
# How long a deploy looks for a sign of a load balancer controller before it concludes there is
# none: MetalLB and k3s assign within a second, a cloud controller says "EnsuringLoadBalancer".
GRACE_SECONDS = 5.0
POLL_SECONDS = 1.0
NO_LOAD_BALANCER = "node port; no load balancer assigned an external IP"
INGRESS_PROVIDERS = ("nginx", "traefik")  # an Ingress; istio's Gateway has no address to read


def _lb_timeout() -> float:
    """HyScale's HYS_LB_READY_TIMEOUT (milliseconds): how long to wait for a load balancer that a
    controller is working on."""
    try:
        return int(os.environ.get("HYS_LB_READY_TIMEOUT", "90000")) / 1000
    except ValueError:
        return 90.0


def _read_service(reads: Reads, namespace: str, name: str) -> Live | None:
    return reads.get("/api/v1/namespaces/{namespace}/services/{name}", f"read Service {name}",
                     namespace=namespace, name=name)


def _ingress_host(live: Any) -> str:
    status = live.status.load_balancer if live.status else None
    for entry in (status.ingress or []) if status else []:
        if entry.ip or entry.hostname:
            return str(entry.ip or entry.hostname)
    return ""


def _controller_at_work(reads: Reads, namespace: str, live: Any) -> bool:
    if live.spec and live.spec.load_balancer_class:
        return True
    selector = f"involvedObject.kind=Service,involvedObject.name={live.metadata.name}"
    try:
        events = reads.items("/api/v1/namespaces/{namespace}/events",
                             f"read the events of Service {live.metadata.name}",
                             [("fieldSelector", selector)], namespace=namespace)
    except ReadRefusedError as exc:
        if exc.status == 403:  # not allowed to look: wait as HyScale does, to be safe
            return True
        raise
    return any(event.reason in LOAD_BALANCER_EVENTS for event in events)


def node_address(reads: Reads) -> str:
    """An address of a Ready node: its external one if it has one (reachable from outside the
    cluster), else its internal one; "" if the user may not list nodes."""
    try:
        nodes = reads.items("/api/v1/nodes", "list the cluster's nodes")
    except ReadRefusedError as exc:
        if exc.status == 403:  # a namespace-bound user: the caller names the Service instead
            return ""
        raise
    ready = [n for n in nodes if n.status and any(c.type == "Ready" and c.status == "True"
                                                  for c in (n.status.conditions or []))] or nodes
    for wanted in ("ExternalIP", "InternalIP", "Hostname"):
        for node in ready:
            for address in (node.status.addresses or []) if node.status else []:
                if address.type == wanted:
                    return str(address.address)
    return ""


def _joined(host: str, ports: list[int]) -> str:
    return ",".join(f"{host}:{port}" for port in ports)


def _in_cluster(service: ServiceSpec, namespace: str, live: Any) -> str:
    ports = [p.port for p in live.spec.ports or []]
    return f"{_joined(f'{service.name}.{namespace}.svc', ports)} (ClusterIP {live.spec.cluster_ip})"


def service_address(cluster: Cluster, namespace: str, app: str, service: ServiceSpec,
                    wait: bool) -> list[str]:
    """The closing lines: where the service answers, and the Ingress URL if it has one.
    ``wait``: after a deploy, give a load balancer controller its time (see the module doc)."""
    lines = []
    if service.load_balancer is not None and service.load_balancer.host:
        lines.append(f"Service URL : {service.load_balancer.host}")
    if not service.ports:
        return lines
    reads = Reads(cluster.api)
    live = _read_service(reads, namespace, service.name)
    if live is None:
        return lines
    if service.load_balancer is not None and service.load_balancer.provider in INGRESS_PROVIDERS:
        ingress = find_ingress(reads, namespace, app, service.name)
        if ingress is not None:
            found = ingress_lines(reads, namespace, ingress, _lb_timeout() if wait else 0,
                                  _in_cluster(service, namespace, live))
            return [found[0], *lines, *found[1:]]  # the address first, as HyScale prints it
    # Behind a load balancer of the spec (Ingress, Istio) the Service is a ClusterIP anyway.
    if live.spec.type != "LoadBalancer":
        return [f"Service address : {_in_cluster(service, namespace, live)}", *lines]
    ports = [p.port for p in live.spec.ports or []]
    started = time.monotonic()
    while True:
        host = _ingress_host(live)
        if host:
            return [f"Service IP : {_joined(host, ports)}", *lines]
        waited = time.monotonic() - started
        at_work = _controller_at_work(reads, namespace, live)
        if not wait or waited >= (_lb_timeout() if at_work else min(GRACE_SECONDS, _lb_timeout())):
            break
        time.sleep(POLL_SECONDS)
        live = _read_service(reads, namespace, service.name) or live
    if at_work:  # a controller is on it, it just has not finished
        return [f"Service address : {_in_cluster(service, namespace, live)}; "
                "external IP not assigned yet", *lines]
    node_ports = [p.node_port for p in live.spec.ports or [] if p.node_port]
    node = node_address(reads)
    if not node or not node_ports:
        return [f"Service address : {_in_cluster(service, namespace, live)}; "
                "no load balancer assigned an external IP", *lines]
    return [f"Service address : {_joined(node, node_ports)} ({NO_LOAD_BALANCER})", *lines]
