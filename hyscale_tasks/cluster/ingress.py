"""Where a service behind an Ingress (``loadBalancer`` with provider nginx or traefik) answers.

HyScale polls the Ingress' ``status.loadBalancer`` for an IP and, when none comes, prints the
placeholder ``<External IP of Ingress controller service>``. An address only comes from an
ingress controller, and a cluster may have none that serves the Ingress (kind and minikube have
none until one is installed): waiting then only delays the deploy. So:

* the Ingress has an address (IP or host name) in its status: ``Service IP : <address>:<port>``
  (the port the controller reports, else 443 with TLS, 80 without), and how to reach the host
  rule there before the host's DNS name points at it (a ``Host`` header);
* a controller is there for it (an IngressClass of the name the Ingress asks for, or the
  default class when it names none; or a controller's events on the Ingress): wait up to
  ``HYS_LB_READY_TIMEOUT`` for the address, and if none comes say that the controller has not
  published one;
* no controller serves it: say so, at once, naming the class it asks for and the classes there
  are; the in-cluster address still answers.
"""

from __future__ import annotations

import time
from typing import Any

from hyscale_tasks.cluster.pods import selector
from hyscale_tasks.cluster.reads import Live, ReadRefusedError, Reads

INGRESSES = "/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses"
INGRESS_CLASSES = "/apis/networking.k8s.io/v1/ingressclasses"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"
FORBIDDEN = 403
POLL_SECONDS = 1.0


def find_ingress(reads: Reads, namespace: str, app: str, service: str) -> Live | None:
    """The service's Ingress (by its labels: its name carries the environment)."""
    found = reads.items(INGRESSES, f"list the Ingresses of {service}",
                        [("labelSelector", selector(app, service))], namespace=namespace)
    return found[0] if found else None


def _address(live: Any) -> tuple[str, int | None] | None:
    balancer = live.status.load_balancer if live.status else None
    for entry in (balancer.ingress or []) if balancer else []:
        if entry.ip or entry.hostname:
            ports = [p.port for p in entry.ports or [] if p.port and not p.error]
            return str(entry.ip or entry.hostname), (ports[0] if ports else None)
    return None


def _asked_class(live: Any) -> str:
    annotations = live.metadata.annotations or {}
    return str((live.spec.ingress_class_name if live.spec else None)
               or annotations.get(CLASS_ANNOTATION) or "")


def controller(reads: Reads, namespace: str, live: Any) -> tuple[bool, str]:
    """Is an ingress controller there for this Ingress? (yes/no, and what shows it, or why not)."""
    asked = _asked_class(live)
    try:
        classes = reads.items(INGRESS_CLASSES, "list the cluster's IngressClasses")
    except ReadRefusedError as exc:
        if exc.status != FORBIDDEN:
            raise
        return True, "IngressClasses cannot be listed by this user"  # wait, as HyScale does
    if asked:
        serving = [c for c in classes if c.metadata.name == asked]
    else:
        serving = [c for c in classes
                   if str((c.metadata.annotations or {}).get(DEFAULT_CLASS, "")).lower() == "true"]
    if serving:
        found = serving[0]
        return True, f"IngressClass {found.metadata.name} ({found.spec.controller if found.spec else ''})"
    if _controller_events(reads, namespace, live):
        return True, "an ingress controller reports on it"
    there = ", ".join(sorted(str(c.metadata.name) for c in classes))
    lacks = (f'the cluster has no IngressClass "{asked}"' if asked else
             "it names no class and the cluster has no default IngressClass")
    return False, f"{lacks}; it has {there or 'none'}"


def _controller_events(reads: Reads, namespace: str, live: Any) -> bool:
    """Only a controller writes events about an Ingress (ingress-nginx's "Sync")."""
    fields = f"involvedObject.kind=Ingress,involvedObject.name={live.metadata.name}"
    try:
        return bool(reads.items("/api/v1/namespaces/{namespace}/events",
                                f"read the events of Ingress {live.metadata.name}",
                                [("fieldSelector", fields)], namespace=namespace))
    except ReadRefusedError as exc:
        if exc.status != FORBIDDEN:
            raise
        return False


def _rule(live: Any) -> tuple[str, str]:
    """The host and first path of the Ingress' first rule."""
    for rule in (live.spec.rules or []) if live.spec else []:
        paths = [p.path for p in (rule.http.paths or []) if p.path] if rule.http else []
        return str(rule.host or ""), (paths[0] if paths else "/")
    return "", "/"


def ingress_lines(reads: Reads, namespace: str, live: Any, wait_seconds: float,
                  in_cluster: str) -> list[str]:
    """The closing lines of a service behind ``live`` (an Ingress): its address, or why there is
    none. ``wait_seconds``: how long to wait for a controller to publish one (0: do not wait);
    ``in_cluster``: the Service's in-cluster address, which answers either way."""
    name = live.metadata.name
    started = time.monotonic()
    while True:
        found = _address(live)
        if found is not None:
            return _answering(live, *found)
        present, why = controller(reads, namespace, live)
        if not present or time.monotonic() - started >= wait_seconds:
            break
        time.sleep(POLL_SECONDS)
        live = reads.get(INGRESSES + "/{name}", f"read Ingress {name}", namespace=namespace,
                         name=name) or live
    host, _ = _rule(live)
    where = f" for host {host}" if host else ""
    if not present:
        return [f"Service address : {in_cluster}",
                f"Ingress {name} has no address: no ingress controller serves it ({why}), so "
                f"nothing answers{where} from outside the cluster; install one for that class "
                "(ingress-nginx, traefik) and deploy again, or use the in-cluster address"]
    waited = f" after {int(wait_seconds)} s" if wait_seconds else " yet"
    return [f"Service address : {in_cluster}",
            f"Ingress {name} has no address{waited}: its controller ({why}) has not published "
            f"one (on a cluster without load balancers its own Service may have no external "
            f"IP); see 'kubectl get ingress -n {namespace} {name}'"]


def _answering(live: Any, address: str, port: int | None) -> list[str]:
    secure = bool(live.spec and live.spec.tls)
    port = port or (443 if secure else 80)
    host, path = _rule(live)
    lines = [f"Service IP : {address}:{port}"]
    if host:
        scheme = "https" if secure else "http"
        url = f"{scheme}://{host}{'' if port in (80, 443) else f':{port}'}{path}"
        # --connect-to sends the host's name (Host header, TLS server name) to the address,
        # whether the address is an IP or a load balancer's host name
        lines.append(f"Ingress {live.metadata.name} answers for host {host} only: {url} once "
                     f"{host} resolves to {address}; until then curl --connect-to "
                     f"::{address}:{port} {url}")
    return lines
