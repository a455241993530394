"""LoadBalancerHandler: Ingress (nginx, traefik) and Istio Gateway/VirtualService/DestinationRule.

Inputs are HyScale's ``builder/input/lb-*.hspec`` (app ``book-info``, env ``dev``), carried
inline; the expected metadata and Istio specs are HyScale's ``builder/output/**`` files, with
the deliberate differences of the plugin's docstring marked where they apply.
"""

from __future__ import annotations

from typing import Any

import pytest

from hyscale_tasks.manifests.plugins.load_balancer import LOAD_BALANCER
from testing.manifests import render, validate_k8s

HEADERS = {"hello": "there", "test": "sample"}
# HyScale's Ingress fixtures carry app and service only; the environment label is our fix.
LABELS = {"hyscale.io/app-name": "book-info", "hyscale.io/environment-name": "dev",
          "hyscale.io/service-name": "productpage"}


def _spec(provider: str, *, tls: str | None = None, class_name: str | None = None,
          sticky: bool = False, headers: dict[str, str] | None = None,
          labels: dict[str, str] | None = None) -> dict[str, Any]:
    lb: dict[str, Any] = {
        "provider": provider,
        "host": "bookinfo.com",
        "mapping": [{"port": "9080/http", "contextPaths": ["/productpage", "/login"]}],
        "headers": HEADERS if headers is None else headers,
    }
    if class_name is not None:
        lb["className"] = class_name
    if sticky:
        lb["sticky"] = True
    if tls is not None:
        lb["tlsSecret"] = tls
    if labels is not None:
        lb["labels"] = labels
    return {"name": "productpage", "image": {"name": "productpage"}, "external": True,
            "ports": [{"port": "9080/http"}], "loadBalancer": lb}


def lb_nginx() -> dict[str, Any]:
    return _spec("nginx")


def lb_nginx_with_tls() -> dict[str, Any]:
    return _spec("nginx", class_name="nginx-ingress", sticky=True, tls="default-server-secret")


def lb_traefik() -> dict[str, Any]:
    return _spec("traefik")


def lb_traefik_with_tls() -> dict[str, Any]:
    return _spec("traefik", class_name="traefik-ingress", sticky=True, tls="default-server-secret")


def lb_istio() -> dict[str, Any]:
    return _spec("istio", labels={"istio": "ingressgateway"})


def lb_istio_with_tls() -> dict[str, Any]:
    return _spec("istio", labels={"istio": "ingressgateway"}, sticky=True, tls="bookinfo-tls-secret")


def _ingress(data: dict[str, Any], **context: Any) -> dict[str, Any]:
    manifests, warnings = render(LOAD_BALANCER, data, **context)
    assert list(manifests) == [("Ingress", None)]
    assert warnings == []
    return manifests[("Ingress", None)]


SNIPPET = "proxy_set_header hello there;proxy_set_header test sample;\n"
PATHS = [
    {"path": "/productpage", "pathType": "ImplementationSpecific",
     "backend": {"service": {"name": "productpage", "port": {"number": 9080}}}},
    {"path": "/login", "pathType": "ImplementationSpecific",
     "backend": {"service": {"name": "productpage", "port": {"number": 9080}}}},
]
RULES = [{"host": "bookinfo.com", "http": {"paths": PATHS}}]
TLS = [{"hosts": ["bookinfo.com"], "secretName": "default-server-secret"}]


# --- Ingress metadata: builder/output/ingress/{nginx,traefik}/*.yaml ----------------------

def test_nginx_metadata() -> None:
    metadata = _ingress(lb_nginx())["metadata"]
    assert metadata == {"name": "dev-productpage-ingress", "labels": LABELS, "annotations": {
        "kubernetes.io/ingress.allow-http": "true",
        "nginx.ingress.kubernetes.io/ssl-redirect": "false",
        "nginx.ingress.kubernetes.io/use-regex": "true",
        "nginx.ingress.kubernetes.io/configuration-snippet": SNIPPET,
    }}


def test_nginx_metadata_with_tls() -> None:
    metadata = _ingress(lb_nginx_with_tls())["metadata"]
    assert metadata == {"name": "dev-productpage-ingress", "labels": LABELS, "annotations": {
        "kubernetes.io/ingress.class": "nginx-ingress",
        "kubernetes.io/ingress.allow-http": "true",
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/use-regex": "true",
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "nginx.ingress.kubernetes.io/configuration-snippet": SNIPPET,
    }}
    # The template's key order, so the written YAML reads like HyScale's.
    assert list(metadata["annotations"]) == [
        "kubernetes.io/ingress.class", "kubernetes.io/ingress.allow-http",
        "nginx.ingress.kubernetes.io/ssl-redirect", "nginx.ingress.kubernetes.io/use-regex",
        "nginx.ingress.kubernetes.io/affinity", "nginx.ingress.kubernetes.io/configuration-snippet"]


def test_traefik_metadata() -> None:
    metadata = _ingress(lb_traefik())["metadata"]
    assert metadata == {"name": "dev-productpage-ingress", "labels": LABELS, "annotations": {
        "ingress.kubernetes.io/custom-request-headers": "hello:there|test:sample",
    }}


def test_traefik_metadata_with_tls() -> None:
    metadata = _ingress(lb_traefik_with_tls())["metadata"]
    assert metadata == {"name": "dev-productpage-ingress", "labels": LABELS, "annotations": {
        "kubernetes.io/ingress.class": "traefik-ingress",
        "traefik.ingress.kubernetes.io/frontend-entry-points": "http",
        "ingress.kubernetes.io/custom-request-headers": "hello:there|test:sample",
    }}


@pytest.mark.parametrize(("class_name", "tls", "entry_points"), [
    ("traefik-ingress", None, "http,https"),
    (None, "default-server-secret", "http"),   # TraefikMetaDataBuilder: TLS alone sets it too
    (None, None, None),
])
def test_traefik_entry_points(class_name: str | None, tls: str | None,
                              entry_points: str | None) -> None:
    annotations = _ingress(_spec("traefik", class_name=class_name, tls=tls))["metadata"]["annotations"]
    assert annotations.get("traefik.ingress.kubernetes.io/frontend-entry-points") == entry_points
    assert "traefik.ingress.kubernetes.io/redirect-entry-point" not in annotations


def test_no_headers_no_header_annotations() -> None:
    nginx = _ingress(_spec("nginx", headers={}))["metadata"]["annotations"]
    assert "nginx.ingress.kubernetes.io/configuration-snippet" not in nginx
    traefik = _ingress(_spec("traefik", headers={}))["metadata"]
    assert "annotations" not in traefik  # nothing to annotate (HyScale crashes here)


# --- Ingress spec and the whole manifest ---------------------------------------------------

def test_ingress_without_tls() -> None:
    ingress = _ingress(lb_nginx())
    assert ingress["kind"] == "Ingress"
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    assert ingress["spec"] == {"rules": RULES}


def test_ingress_with_tls() -> None:
    assert _ingress(lb_traefik_with_tls())["spec"] == {"tls": TLS, "rules": RULES}


def test_ingress_names_are_normalized() -> None:
    ingress = _ingress(lb_nginx(), environment="QA.Stage")
    assert ingress["metadata"]["name"] == "qa-stage-productpage-ingress"
    assert ingress["metadata"]["labels"]["hyscale.io/environment-name"] == "QA-Stage"


def test_provider_is_case_insensitive() -> None:
    assert _ingress(_spec("NGINX"))["metadata"]["annotations"]["nginx.ingress.kubernetes.io/use-regex"]


def test_paths_of_several_mappings() -> None:
    data = lb_nginx()
    data["loadBalancer"]["mapping"].append({"port": "8080/tcp", "contextPaths": ["/api"]})
    paths = _ingress(data)["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["backend"]["service"]["port"]["number"]) for p in paths] == [
        ("/productpage", 9080), ("/login", 9080), ("/api", 8080)]


@pytest.mark.parametrize("data", [lb_nginx(), lb_nginx_with_tls(), lb_traefik(),
                                  lb_traefik_with_tls(), _spec("traefik", headers={})])
def test_ingress_is_valid_kubernetes(data: dict[str, Any]) -> None:
    validate_k8s(_ingress(data))


# --- Istio: builder/output/istio/*.yaml ----------------------------------------------------

def _istio(data: dict[str, Any], **context: Any) -> dict[str, dict[str, Any]]:
    manifests, warnings = render(LOAD_BALANCER, data, **context)
    assert warnings == []
    assert all(name is None for _, name in manifests)
    return {kind: body for (kind, _), body in manifests.items()}


def _metadata(name: str) -> dict[str, Any]:
    return {"name": name, "labels": LABELS}


def test_gateway() -> None:
    gateway = _istio(lb_istio())["Gateway"]
    assert gateway == {
        "kind": "Gateway",
        "apiVersion": "networking.istio.io/v1beta1",
        "metadata": _metadata("dev-productpage-istio-gateway"),
        "spec": {"selector": {"istio": "ingressgateway"},
                 "servers": [{"hosts": ["bookinfo.com"],
                              "port": {"number": 80, "name": "HTTP", "protocol": "HTTP"}}]},
    }


def test_gateway_with_tls() -> None:
    assert _istio(lb_istio_with_tls())["Gateway"]["spec"] == {
        "selector": {"istio": "ingressgateway"},
        "servers": [{"hosts": ["bookinfo.com"],
                     "port": {"number": 443, "name": "HTTPS", "protocol": "HTTPS"},
                     "tls": {"mode": "SIMPLE", "credentialName": "bookinfo-tls-secret"}}],
    }


def test_gateway_has_one_server_for_several_mappings() -> None:
    data = lb_istio()
    data["loadBalancer"]["mapping"].append({"port": "8080/tcp", "contextPaths": ["/api"]})
    assert len(_istio(data)["Gateway"]["spec"]["servers"]) == 1


def test_virtual_service() -> None:
    virtual_service = _istio(lb_istio())["VirtualService"]
    assert virtual_service == {
        "kind": "VirtualService",
        "apiVersion": "networking.istio.io/v1beta1",
        "metadata": _metadata("dev-productpage-istio-virtual-service"),
        "spec": {
            "hosts": ["bookinfo.com"],
            "gateways": ["dev-productpage-istio-gateway"],
            "http": [{
                "match": [{"uri": {"prefix": "/productpage"}}, {"uri": {"prefix": "/login"}}],
                "headers": {"request": {"set": {"hello": "there", "test": "sample"}}},
                "route": [{"destination": {"host": "productpage", "port": {"number": 9080}}}],
            }],
        },
    }


def test_virtual_service_points_at_the_real_gateway_name() -> None:
    resources = _istio(lb_istio(), environment="QA.Stage")
    gateway = resources["Gateway"]["metadata"]["name"]
    assert gateway == "qa-stage-productpage-istio-gateway"
    assert resources["VirtualService"]["spec"]["gateways"] == [gateway]


def test_virtual_service_without_headers() -> None:
    http = _istio(_spec("istio", labels={"istio": "ingressgateway"}, headers={}))["VirtualService"]
    assert "headers" not in http["spec"]["http"][0]


def test_virtual_service_one_route_per_mapping() -> None:
    data = lb_istio()
    data["loadBalancer"]["mapping"].append({"port": "8080/tcp", "contextPaths": ["/api"]})
    http = _istio(data)["VirtualService"]["spec"]["http"]
    assert [route["match"] for route in http] == [
        [{"uri": {"prefix": "/productpage"}}, {"uri": {"prefix": "/login"}}],
        [{"uri": {"prefix": "/api"}}]]
    assert http[1]["route"] == [{"destination": {"host": "productpage", "port": {"number": 8080}}}]


def test_destination_rule_only_when_sticky() -> None:
    assert "DestinationRule" not in _istio(lb_istio())
    rule = _istio(lb_istio_with_tls())["DestinationRule"]
    assert rule == {
        "kind": "DestinationRule",
        "apiVersion": "networking.istio.io/v1beta1",
        "metadata": _metadata("dev-productpage-istio-destination-rule"),
        "spec": {"host": "productpage", "trafficPolicy": {"loadBalancer": {"consistentHash": {
            "httpCookie": {"name": "DEFAULT_COOKIE", "ttl": "30m"}}}}},
    }


def test_istio_writes_no_ingress() -> None:
    assert list(_istio(lb_istio_with_tls())) == ["Gateway", "VirtualService", "DestinationRule"]


# --- nothing to do --------------------------------------------------------------------------

def test_no_load_balancer() -> None:
    data = lb_nginx()
    del data["loadBalancer"]
    assert render(LOAD_BALANCER, data) == ({}, [])


def test_unknown_provider() -> None:
    assert render(LOAD_BALANCER, _spec("haproxy")) == ({}, [])
