"""Ingress and Istio resources from ``loadBalancer`` (HyScale's LoadBalancerHandler, #24).

Owns, whole (kind, apiVersion, metadata and spec, each a snippet of its own): the Ingress for
the ``nginx`` and ``traefik`` providers, and the Istio Gateway, VirtualService and (when
``sticky``) DestinationRule for ``istio`` (§6.7). The metadata plugin writes none of these.
Annotation keys and values, names and spec shapes are HyScale's, except for these deliberate
differences:

* The Ingress is ``networking.k8s.io/v1`` (``v1beta1`` is gone since Kubernetes 1.22): the
  backend is ``service: {name, port: {number}}`` and every path needs a ``pathType``; we write
  ``ImplementationSpecific`` because nginx's ``use-regex`` annotation makes the paths regexes,
  which neither ``Prefix`` nor ``Exact`` allows. ``ingressClassName`` is not written: HyScale's
  ``kubernetes.io/ingress.class`` annotation is kept, so a cluster picks the same controller.
* The Ingress carries all three default labels; HyScale's template never fills the
  environment label, so ``hyscale.io/environment-name=<env>`` selections missed it.
* The VirtualService's ``gateways`` entry is the Gateway's real (normalized) name; HyScale joins
  the raw names, which can differ from the Gateway's normalized one and orphan the route.
* The Gateway gets one server, not one identical server per mapping: Istio rejects a Gateway
  whose servers repeat a port name.
* Empty ``headers`` write nothing: HyScale's traefik builder crashes on them, and an empty
  ``headers.request.set`` in a VirtualService means nothing.
* traefik's ``redirect-entry-point`` stays absent as in HyScale's output (its template never
  renders it): writing it would redirect to an https entry point HyScale never configured.
"""

from __future__ import annotations

from typing import Any

from hyscale_tasks.manifests.base import API_VERSIONS, Plugin, RenderContext, Snippet
from hyscale_tasks.spec.model import LoadBalancer
from hyscale_tasks.spec.names import normalize

INGRESS_PROVIDERS = ("nginx", "traefik")
ISTIO_PROVIDER = "istio"

def ingress_name(ctx: RenderContext) -> str:
    return f"{normalize(ctx.environment)}-{ctx.service_name}-ingress"


def istio_names(ctx: RenderContext) -> dict[str, str]:
    """Names of the Istio resources by kind: ``<env>-<svc>-istio-<gateway|...>``."""
    prefix = f"{normalize(ctx.environment)}-{ctx.service_name}-istio"
    return {"Gateway": f"{prefix}-gateway",
            "VirtualService": f"{prefix}-virtual-service",
            "DestinationRule": f"{prefix}-destination-rule"}


def _is_set(value: str | None) -> bool:
    # HyScale's StringUtils.isNotBlank: a blank className or tlsSecret counts as absent.
    return value is not None and bool(value.strip())


def _resource(kind: str, name: str, ctx: RenderContext, spec: dict[str, Any],
              annotations: dict[str, str] | None = None) -> list[Snippet]:
    metadata: dict[str, Any] = {"name": name, "labels": ctx.labels}
    if annotations:
        metadata["annotations"] = annotations
    return [Snippet(kind, "kind", kind), Snippet(kind, "apiVersion", API_VERSIONS[kind]),
            Snippet(kind, "metadata", metadata), Snippet(kind, "spec", spec)]


# --- Ingress (nginx, traefik) -------------------------------------------------------------

def ingress_spec(ctx: RenderContext, lb: LoadBalancer) -> dict[str, Any]:
    paths = [{"path": path, "pathType": "ImplementationSpecific",
              "backend": {"service": {"name": ctx.service_name,
                                      "port": {"number": mapping.number}}}}
             for mapping in lb.mappings for path in mapping.context_paths]
    spec: dict[str, Any] = {}
    if _is_set(lb.tls_secret):
        spec["tls"] = [{"hosts": [lb.host], "secretName": lb.tls_secret}]
    spec["rules"] = [{"host": lb.host, "http": {"paths": paths}}]
    return spec


def nginx_annotations(lb: LoadBalancer) -> dict[str, str]:
    """``nginx/ingress-meta.yaml.tpl``, in its key order."""
    annotations: dict[str, str] = {}
    if _is_set(lb.class_name):
        annotations["kubernetes.io/ingress.class"] = str(lb.class_name)
    # HyScale's template has a false branch for allow-http that nothing can reach.
    annotations["kubernetes.io/ingress.allow-http"] = "true"
    annotations["nginx.ingress.kubernetes.io/ssl-redirect"] = (
        "true" if _is_set(lb.tls_secret) else "false")
    annotations["nginx.ingress.kubernetes.io/use-regex"] = "true"
    if lb.sticky:
        annotations["nginx.ingress.kubernetes.io/affinity"] = "cookie"
    if lb.headers:
        # A YAML literal block in the template, hence the one trailing newline.
        annotations["nginx.ingress.kubernetes.io/configuration-snippet"] = "".join(
            f"proxy_set_header {key} {value};" for key, value in lb.headers.items()) + "\n"
    return annotations


def traefik_annotations(lb: LoadBalancer) -> dict[str, str]:
    """``traefik/ingress-meta.yaml.tpl`` as TraefikMetaDataBuilder fills it."""
    annotations: dict[str, str] = {}
    entry_points = None
    if _is_set(lb.class_name):
        annotations["kubernetes.io/ingress.class"] = str(lb.class_name)
        entry_points = "http,https"
    if _is_set(lb.tls_secret):
        entry_points = "http"  # the builder overrides it whenever a TLS secret is set
    if entry_points is not None:
        annotations["traefik.ingress.kubernetes.io/frontend-entry-points"] = entry_points
    if lb.headers:
        annotations["ingress.kubernetes.io/custom-request-headers"] = "|".join(
            f"{key}:{value}" for key, value in lb.headers.items())
    return annotations


def _ingress(ctx: RenderContext, lb: LoadBalancer) -> list[Snippet]:
    annotations = nginx_annotations(lb) if lb.provider == "nginx" else traefik_annotations(lb)
    return _resource("Ingress", ingress_name(ctx), ctx, ingress_spec(ctx, lb), annotations)


# --- Istio --------------------------------------------------------------------------------

def gateway_spec(lb: LoadBalancer) -> dict[str, Any]:
    tls = _is_set(lb.tls_secret)
    server: dict[str, Any] = {
        "hosts": [lb.host],
        "port": {"number": 443, "name": "HTTPS", "protocol": "HTTPS"} if tls
        else {"number": 80, "name": "HTTP", "protocol": "HTTP"},
    }
    if tls:
        server["tls"] = {"mode": "SIMPLE", "credentialName": lb.tls_secret}
    return {"selector": dict(lb.labels), "servers": [server]}


def virtual_service_spec(ctx: RenderContext, lb: LoadBalancer) -> dict[str, Any]:
    routes = []
    for mapping in lb.mappings:
        route: dict[str, Any] = {"match": [{"uri": {"prefix": path}} for path in mapping.context_paths]}
        if lb.headers:
            route["headers"] = {"request": {"set": dict(lb.headers)}}
        route["route"] = [{"destination": {"host": ctx.service_name,
                                           "port": {"number": mapping.number}}}]
        routes.append(route)
    return {"hosts": [lb.host], "gateways": [istio_names(ctx)["Gateway"]], "http": routes}


def destination_rule_spec(ctx: RenderContext) -> dict[str, Any]:
    cookie = {"name": "DEFAULT_COOKIE", "ttl": "30m"}
    return {"host": ctx.service_name,
            "trafficPolicy": {"loadBalancer": {"consistentHash": {"httpCookie": cookie}}}}


def _istio(ctx: RenderContext, lb: LoadBalancer) -> list[Snippet]:
    names = istio_names(ctx)
    snippets = _resource("Gateway", names["Gateway"], ctx, gateway_spec(lb))
    snippets += _resource("VirtualService", names["VirtualService"], ctx,
                          virtual_service_spec(ctx, lb))
    if lb.sticky:
        snippets += _resource("DestinationRule", names["DestinationRule"], ctx,
                              destination_rule_spec(ctx))
    return snippets


def _contribute(ctx: RenderContext) -> list[Snippet]:
    lb = ctx.service.load_balancer
    if lb is None:
        return []
    if lb.provider in INGRESS_PROVIDERS:
        return _ingress(ctx, lb)
    if lb.provider == ISTIO_PROVIDER:
        return _istio(ctx, lb)
    return []  # an unknown provider is the spec validator's to report, as in HyScale


LOAD_BALANCER = Plugin("LoadBalancerHandler", _contribute)
