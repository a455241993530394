"""A 12-service HyScale-style app (tests/manifests/fixtures/bigapp) rendered through the real ``doit`` CLI.

The app was written for these tests after HyScale's own examples (hrms, profile-hrms,
autoscaling, agent-fluentd, agent-prom-exporter, k8sSnippets, quickstart): web frontends behind
nginx and Istio load balancers, APIs, a database and a queue with volumes, a cache with a
Prometheus-exporter sidecar, a worker, a service with a fluentd sidecar, k8s snippets, network
policies, generated / user / prebuilt images, and a dev and a prod profile for every service,
some in ``profiles/`` and some beside their spec.

It is rendered three times (no profile, ``profile=dev``, ``profile=prod``) with the project's
``dodo.py``, and every manifest written is validated strictly against Kubernetes 1.30 and
checked against HyScale's names, labels, selectors, ports, probes, resources, config maps,
secrets, volume claims and sidecars (hyscale-behaviour §3, §6). Deliberate differences from
HyScale that show here: HPA ``autoscaling/v2``, Ingress ``networking.k8s.io/v1`` with all three
labels, list-form secrets mounted, UDP NetworkPolicy ports keep ``protocol: UDP``, ports in spec
order, no ``imagePullSecrets`` without credentials, k8s snippet paths relative to the spec.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.manifests import validate_k8s
from testing.workspace import DoitResult, Workspace

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "manifests" / "fixtures" / "bigapp"
APP = "bigapp"
SERVICES = ("admin", "api", "cache", "db", "notifier", "orders", "portal", "queue", "reports",
            "search", "web", "worker")
STATEFUL = {"db", "queue", "reports"}
ISTIO_KINDS = {"Gateway", "VirtualService", "DestinationRule"}
APP_LABEL = "hyscale.io/app-name"
ENV_LABEL = "hyscale.io/environment-name"
SERVICE_LABEL = "hyscale.io/service-name"
SPEC_ANNOTATION = "hyscale.io/service-spec"
CHECKSUM = "hyscale.io/checksum"
PROBE_TIMINGS = {"initialDelaySeconds": 10, "periodSeconds": 30, "timeoutSeconds": 30,
                 "failureThreshold": 10}

# Logins in $DOCKER_CONFIG/config.json; gcr.io (the worker's registry) has none on purpose.
LOGINS = {"registry.hub.docker.com": ("bigco", "hub-pass"),
          "registry.example.com:5000": ("deployer", "priv-pass"),
          "quay.io": ("bigco+robot", "quay-pass")}
PULL_SECRET = {"registry.hub.docker.com": "registry-hub-docker-com",
               "registry.example.com:5000": "registry-example-com5000",
               "quay.io": "quay-io"}
REGISTRY = {"admin": "registry.example.com:5000", "api": "registry.example.com:5000",
            "cache": "registry.hub.docker.com", "db": "registry.hub.docker.com",
            "notifier": "quay.io", "orders": "registry.example.com:5000", "portal": "quay.io",
            "queue": "registry.hub.docker.com", "reports": "registry.hub.docker.com",
            "search": "registry.hub.docker.com", "web": "registry.hub.docker.com",
            "worker": "gcr.io"}


# --- running doit ---------------------------------------------------------------------------

@dataclass
class Render:
    environment: str
    home: Path
    run: DoitResult
    paths: dict[str, dict[str, Path]]  # service -> file name -> path
    docs: dict[str, dict[str, dict[str, Any]]]  # service -> file name -> manifest

    def workload(self, service: str) -> dict[str, Any]:
        return self.docs[service]["statefulset.yaml" if service in STATEFUL else "deployment.yaml"]

    def pod(self, service: str) -> dict[str, Any]:
        return dict(self.workload(service)["spec"]["template"]["spec"])

    def container(self, service: str, index: int = 0) -> dict[str, Any]:
        return dict(self.pod(service)["containers"][index])


def _doit(home: Path, apps: Path, docker_config: Path, *args: str) -> DoitResult:
    return Workspace(apps, home, docker_config).doit(f"app={APP}", *args, check=False)


def _collect(home: Path, environment: str, run: DoitResult) -> Render:
    assert run.returncode == 0, f"doit failed:\n{run.stdout}\n{run.stderr}"
    paths: dict[str, dict[str, Path]] = {}
    docs: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted((home / "apps" / APP).glob("*/generated-files/manifests/*.yaml")):
        service = path.parts[-4]
        loaded = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        assert len(loaded) == 1 and isinstance(loaded[0], dict), f"{path}: one manifest per file"
        paths.setdefault(service, {})[path.name] = path
        docs.setdefault(service, {})[path.name] = loaded[0]
    return Render(environment, home, run, paths, docs)


@dataclass
class BigApp:
    default: Render  # no profile
    dev: Render  # profile=dev
    prod: Render  # profile=prod, after dev, in the same HYSCALE_HOME
    prod_again: DoitResult  # the same command once more
    prod_fresh: Render  # profile=prod in an empty HYSCALE_HOME

    @property
    def renders(self) -> tuple[Render, ...]:
        return (self.default, self.dev, self.prod)


@pytest.fixture(scope="module")
def bigapp(tmp_path_factory: pytest.TempPathFactory) -> BigApp:
    root = tmp_path_factory.mktemp("bigapp")
    apps = root / "fixtures"
    shutil.copytree(FIXTURE, apps / APP)
    docker_config = root / "docker"
    docker_config.mkdir()
    auths = {registry: {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}
             for registry, (user, password) in LOGINS.items()}
    (docker_config / "config.json").write_text(json.dumps({"auths": auths}))

    default_home, switched_home, fresh_home = root / "home-default", root / "home", root / "home-prod"
    default = _collect(default_home, "dev", _doit(default_home, apps, docker_config))
    dev_run = _doit(switched_home, apps, docker_config, "profile=dev")
    snapshot = root / "home-dev"  # the next run rewrites the same files: keep these
    shutil.copytree(switched_home, snapshot)
    dev = _collect(snapshot, "dev", dev_run)
    prod = _collect(switched_home, "prod",
                    _doit(switched_home, apps, docker_config, "profile=prod"))
    prod_again = _doit(switched_home, apps, docker_config, "profile=prod")
    fresh = _collect(fresh_home, "prod", _doit(fresh_home, apps, docker_config, "profile=prod"))
    return BigApp(default, dev, prod, prod_again, fresh)


# --- expectations of the default render (no profile) ----------------------------------------

PULL = {"registry-hub-docker-com-secret.yaml"}
FILES = {
    "admin": {"deployment.yaml", "configmap.yaml", "secret.yaml", "service.yaml",
              "registry-example-com5000-secret.yaml"},
    "api": {"deployment.yaml", "configmap.yaml", "secret.yaml", "service.yaml",
            "networkpolicy.yaml", "registry-example-com5000-secret.yaml"},
    "cache": {"deployment.yaml", "service.yaml", "networkpolicy.yaml",
              "service-cache-agent-redis-exporter-configmap.yaml", *PULL},
    "db": {"statefulset.yaml", "configmap.yaml", "secret.yaml", "service.yaml",
           "networkpolicy.yaml", *PULL},
    "notifier": {"deployment.yaml", "configmap.yaml", "service.yaml", "networkpolicy.yaml",
                 "quay-io-secret.yaml"},
    "orders": {"deployment.yaml", "configmap.yaml", "service.yaml", "networkpolicy.yaml",
               "horizontalpodautoscaler.yaml", "registry-example-com5000-secret.yaml"},
    "portal": {"deployment.yaml", "service.yaml", "gateway.yaml", "virtualservice.yaml",
               "destinationrule.yaml", "quay-io-secret.yaml"},
    "queue": {"statefulset.yaml", "configmap.yaml", "secret.yaml", "service.yaml",
              "networkpolicy.yaml", *PULL},
    "reports": {"statefulset.yaml", "configmap.yaml", "service.yaml",
                "service-reports-agent-fluentd-configmap.yaml",
                "service-reports-agent-fluentd-secret.yaml", *PULL},
    "search": {"deployment.yaml", "configmap.yaml", "service.yaml", *PULL},
    "web": {"deployment.yaml", "configmap.yaml", "service.yaml", "ingress.yaml", *PULL},
    "worker": {"deployment.yaml", "configmap.yaml"},
}
# What the profiles add to (+) or take from (-) that set.
DEV_FILES = {"orders": {"-horizontalpodautoscaler.yaml"}}
PROD_FILES = {"api": {"+horizontalpodautoscaler.yaml"}, "web": {"+horizontalpodautoscaler.yaml"},
              "worker": {"+horizontalpodautoscaler.yaml"}, "portal": {"-destinationrule.yaml"},
              "search": {"+search-pdb-poddisruptionbudget.yaml"}}

IMAGES = {"admin": "registry.example.com:5000/bigco/admin:7.1",
          "api": "registry.example.com:5000/bigco/api:1.8.0",
          "cache": "registry.hub.docker.com/library/redis:7.2",
          "db": "registry.hub.docker.com/bigco/db:8.0",
          "notifier": "quay.io/bigco/notifier:4.0",
          "orders": "registry.example.com:5000/bigco/orders:3.2",
          "portal": "quay.io/bigco/portal:5.0",
          "queue": "registry.hub.docker.com/library/rabbitmq:3.13-management",
          "reports": "registry.hub.docker.com/bigco/reports:1.1.0",
          "search": "registry.hub.docker.com/bigco/search:2.0.0",
          "web": "registry.hub.docker.com/bigco/web:2.3.1",
          "worker": "gcr.io/bigco-prod/worker:0.9.4"}

# The service's own ports, in spec order: (number, protocol).
PORTS: dict[str, list[tuple[int, str]]] = {
    "admin": [(8443, "TCP")], "api": [(8000, "TCP"), (9090, "TCP")], "cache": [(6379, "TCP")],
    "db": [(3306, "TCP"), (33060, "TCP")], "notifier": [(5140, "UDP"), (8025, "TCP")],
    "orders": [(8081, "TCP")], "portal": [(9080, "TCP"), (9443, "TCP")],
    "queue": [(5672, "TCP"), (15672, "TCP")], "reports": [(8500, "TCP")],
    "search": [(9200, "TCP"), (9300, "TCP")], "web": [(8080, "TCP")], "worker": [],
}


def _http(path: str, port: int, https: bool = False) -> dict[str, Any]:
    action: dict[str, Any] = {"path": path, "port": port}
    if https:
        action["scheme"] = "HTTPS"
    return {"httpGet": action, **PROBE_TIMINGS}


def _tcp(port: int) -> dict[str, Any]:
    return {"tcpSocket": {"port": port}, **PROBE_TIMINGS}


PROBES: dict[str, dict[str, Any] | None] = {
    "admin": _http("/admin/status", 8443, https=True),
    "api": _http("/api/health", 8000),
    "cache": _tcp(6379),
    "db": _tcp(3306),
    "notifier": _tcp(8025),  # the UDP port has no check; the second port's {} is tcp
    "orders": _http("/actuator/health", 8081),
    "portal": _http("/portal/health", 9080),  # the first httpPath wins over 9443/https
    "queue": _http("/api/health/checks/alarms", 15672),
    "reports": _http("/reports/ping", 8500),
    "search": _http("/_cluster/health", 9200),
    "web": _http("/healthz", 8080),
    "worker": None,
}

RESOURCES: dict[str, dict[str, Any]] = {
    "admin": {"requests": {"memory": "128Mi", "cpu": "50m"}, "limits": {"memory": "256Mi", "cpu": "200m"}},
    "api": {"requests": {"memory": "256Mi", "cpu": "250m"}, "limits": {"memory": "512Mi", "cpu": "750m"}},
    "cache": {"requests": {"memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    "db": {"limits": {"memory": "1Gi"}},
    "notifier": {},
    "orders": {"requests": {"memory": "512Mi", "cpu": "200m"}, "limits": {"memory": "1Gi", "cpu": "800m"}},
    "portal": {"limits": {"memory": "128Mi", "cpu": "100m"}},
    "queue": {"limits": {"memory": "512Mi"}},
    "reports": {"requests": {"memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    "search": {"requests": {"memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    "web": {"requests": {"memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    "worker": {"limits": {"memory": "128Mi", "cpu": "100m"}},
}

REPLICAS = {"api": 2, "orders": 2, "reports": 1, "web": 2, "worker": 2}

START = {"api": (["gunicorn"], ["--bind", "0.0.0.0:8000", "app.main:app"]),
         "cache": (["redis-server"], ["--appendonly", "yes"]),
         "notifier": (["notifier"], ["--listen", "0.0.0.0"]),
         "worker": (["python"], ["-u", "/app/worker.py", "--queue", "orders"])}

# Env vars of the service container, in order: (name, "cm" | "secret").
ENV: dict[str, list[tuple[str, str]]] = {
    "admin": [("API_URL", "cm"), ("ADMIN_TOKEN", "secret")],
    "api": [("DB_HOST", "cm"), ("CACHE_HOST", "cm"), ("LOG_LEVEL", "cm"), ("FEATURE_FLAGS", "cm"),
            ("DB_PASSWORD", "secret"), ("JWT_KEY", "secret")],
    "cache": [("REDIS_PASSWORD", "secret")],
    "db": [("MYSQL_DATABASE", "cm"), ("MYSQL_USER", "cm"), ("MYSQL_ROOT_PASSWORD", "secret"),
           ("MYSQL_PASSWORD", "secret")],
    "notifier": [("SMTP_RELAY", "cm"), ("SMTP_PASSWORD", "secret")],
    "orders": [("DB_HOST", "cm"), ("KAFKA_TOPIC", "cm"), ("ORDERS_DB_PASSWORD", "secret"),
               ("PAYMENT_API_KEY", "secret")],
    "portal": [],
    "queue": [("RABBITMQ_DEFAULT_VHOST", "cm"), ("RABBITMQ_DEFAULT_PASS", "secret")],
    "reports": [("REPORT_FORMAT", "cm"), ("LOG_DIR", "cm")],
    "search": [("CLUSTER_NAME", "cm")],
    "web": [("API_URL", "cm"), ("ORDERS_URL", "cm"), ("THEME", "cm")],
    "worker": [("QUEUE_HOST", "cm"), ("CONCURRENCY", "cm"), ("DEBUG", "cm")],
}

CONFIG_DATA: dict[str, dict[str, str]] = {
    "admin": {"API_URL": "api"},
    "api": {"DB_HOST": "db", "CACHE_HOST": "cache", "LOG_LEVEL": "info",
            "FEATURE_FLAGS": "search,orders",
            "config.props": "DB_HOST=db\nCACHE_HOST=cache\nLOG_LEVEL=info\n"
                            "FEATURE_FLAGS=search,orders\n"},
    "db": {"MYSQL_DATABASE": "bigapp", "MYSQL_USER": "bigapp"},
    "notifier": {"SMTP_RELAY": "mail-relay"},
    "orders": {"DB_HOST": "db", "KAFKA_TOPIC": "orders"},
    "queue": {"RABBITMQ_DEFAULT_VHOST": "bigapp"},
    "reports": {"REPORT_FORMAT": "pdf", "LOG_DIR": "/var/log/reports"},
    "search": {"CLUSTER_NAME": "bigapp-search"},
    "web": {"API_URL": "api", "ORDERS_URL": "orders", "THEME": "light"},
    "worker": {"QUEUE_HOST": "queue", "CONCURRENCY": "4", "DEBUG": "false",
               "config.props": "QUEUE_HOST=queue\nCONCURRENCY=4\nDEBUG=false\n"},
}

SECRET_DATA: dict[str, dict[str, str]] = {
    "admin": {"ADMIN_TOKEN": "adm-T0ken-xyz"},
    "api": {"DB_PASSWORD": "api-db-S3cret", "JWT_KEY": "jwt-0123456789abcdef",
            "secret.props": "DB_PASSWORD=api-db-S3cret\nJWT_KEY=jwt-0123456789abcdef\n"},
    "db": {"MYSQL_ROOT_PASSWORD": "r00t-Secret-db", "MYSQL_PASSWORD": "app-Secret-db"},
    "queue": {"RABBITMQ_DEFAULT_PASS": "guest-Secret-q1"},
}

SERVICE_TYPES = {"admin": "LoadBalancer", "api": "ClusterIP", "cache": "ClusterIP",
                 "db": "ClusterIP", "notifier": "ClusterIP", "orders": "ClusterIP",
                 "portal": "ClusterIP", "queue": "ClusterIP", "reports": "ClusterIP",
                 "search": "NodePort", "web": "ClusterIP"}


def _from(*services: str) -> list[dict[str, Any]]:
    return [{"podSelector": {"matchLabels": {SERVICE_LABEL: name}}} for name in services]


NETWORK_POLICIES: dict[str, list[dict[str, Any]] | None] = {
    "api": [{"from": _from("web", "portal", "admin"), "ports": [{"port": 8000}]},
            {"from": [], "ports": [{"port": 9090}]}],
    "cache": [{"from": _from("api", "worker"), "ports": [{"port": 6379}]},
              {"from": [], "ports": [{"port": 9121}]}],
    "db": [{"from": _from("api", "orders", "worker"), "ports": [{"port": 3306}]}],
    "notifier": [{"from": _from("api", "orders"),
                  "ports": [{"port": 5140, "protocol": "UDP"}, {"port": 8025}]}],
    "orders": [{"from": _from("web", "api"), "ports": [{"port": 8081}]}],
    # the rule for 15672 has no 'from': dropped
    "queue": [{"from": _from("orders", "worker"), "ports": [{"port": 5672}]}],
}

CLAIMS: dict[str, list[tuple[str, str, str | None]]] = {
    "db": [("data", "2Gi", "standard"), ("backups", "1G", None)],
    "queue": [("mnesia", "1Gi", None)],
    "reports": [("app-logs", "500Mi", None)],
}
MOUNTS: dict[str, list[dict[str, Any]]] = {
    "api": [{"name": "bigapp-api-configmap", "mountPath": "/etc/api/config", "readOnly": True},
            {"name": "bigapp-api-secret", "mountPath": "/etc/api/secrets", "readOnly": True}],
    # list-form secrets are mounted too (HyScale adds only the volume: a deliberate fix)
    "cache": [{"name": "bigapp-cache-secret", "mountPath": "/etc/redis/secrets", "readOnly": True}],
    "db": [{"name": "data", "mountPath": "/var/lib/mysql", "readOnly": False},
           {"name": "backups", "mountPath": "/backups", "readOnly": False}],
    "queue": [{"name": "mnesia", "mountPath": "/var/lib/rabbitmq", "readOnly": False}],
    "reports": [{"name": "app-logs", "mountPath": "/var/log/reports", "readOnly": False}],
    "worker": [{"name": "bigapp-worker-configmap", "mountPath": "/etc/worker", "readOnly": True}],
}
POD_VOLUMES: dict[str, list[dict[str, Any]]] = {
    "api": [{"name": "bigapp-api-configmap", "configMap": {"name": "bigapp-api"}},
            {"name": "bigapp-api-secret", "secret": {"secretName": "bigapp-api"}}],
    "cache": [{"name": "bigapp-cache-secret", "secret": {"secretName": "bigapp-cache"}},
              {"name": "service-cache-agent-redis-exporter-configmap",
               "configMap": {"name": "service-cache-agent-redis-exporter"}}],
    "reports": [{"name": "service-reports-agent-fluentd-configmap",
                 "configMap": {"name": "service-reports-agent-fluentd"}},
                {"name": "service-reports-agent-fluentd-secret",
                 "secret": {"secretName": "service-reports-agent-fluentd"}}],
    "worker": [{"name": "bigapp-worker-configmap", "configMap": {"name": "bigapp-worker"}}],
}


def _fixture_bytes(relative: str) -> str:
    return base64.b64encode((FIXTURE / relative).read_bytes()).decode()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _labels(service: str, environment: str) -> dict[str, str]:
    return {APP_LABEL: APP, ENV_LABEL: environment, SERVICE_LABEL: service}


def _expected_files(service: str, changes: dict[str, set[str]]) -> set[str]:
    files = set(FILES[service])
    for change in changes.get(service, set()):
        (files.add if change[0] == "+" else files.discard)(change[1:])
    return files


def _secret_values() -> set[str]:
    """Every map-form secret value in the fixture's specs and profiles (service and agents)."""
    found: set[str] = set()
    for path in [*FIXTURE.rglob("*.hspec"), *FIXTURE.rglob("*.hprof")]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        owners = [data, *(data.get("agents") or [])]
        for owner in owners:
            if isinstance(owner.get("secrets"), dict):
                found.update(str(value) for value in owner["secrets"].values())
    found.update(password for _, password in LOGINS.values())
    return found


# --- every manifest: schema, names, labels --------------------------------------------------

def test_every_manifest_is_valid_kubernetes_1_30(bigapp: BigApp) -> None:
    checked = 0
    for render in (*bigapp.renders, bigapp.prod_fresh):
        for service, docs in render.docs.items():
            for name, doc in docs.items():
                if doc["kind"] in ISTIO_KINDS:  # no schema in kubernetes-validate
                    assert doc["apiVersion"] == "networking.istio.io/v1beta1", (service, name)
                    assert doc["metadata"]["name"] and isinstance(doc["spec"], dict), (service, name)
                else:
                    validate_k8s(doc)
                checked += 1
    assert checked > 150


@pytest.mark.parametrize("profile", ["default", "dev", "prod"])
def test_file_names(bigapp: BigApp, profile: str) -> None:
    render = getattr(bigapp, profile)
    changes = {"default": {}, "dev": DEV_FILES, "prod": PROD_FILES}[profile]
    assert sorted(render.docs) == list(SERVICES)
    for service in SERVICES:
        assert set(render.docs[service]) == _expected_files(service, changes), service


def test_kinds_match_file_names(bigapp: BigApp) -> None:
    for render in bigapp.renders:
        for service, docs in render.docs.items():
            for name, doc in docs.items():
                kind = doc["kind"].lower()
                assert name == f"{kind}.yaml" or name.endswith(f"-{kind}.yaml"), (service, name)


def test_resource_names(bigapp: BigApp) -> None:
    for render in bigapp.renders:
        env = render.environment
        for service, docs in render.docs.items():
            for name, doc in docs.items():
                kind, meta_name = doc["kind"], doc["metadata"]["name"]
                expected = {
                    "Deployment": service, "StatefulSet": service, "Service": service,
                    "HorizontalPodAutoscaler": f"{APP}-{service}",
                    "NetworkPolicy": f"{APP}-{service}",
                    "Ingress": f"{env}-{service}-ingress",
                    "Gateway": f"{env}-{service}-istio-gateway",
                    "VirtualService": f"{env}-{service}-istio-virtual-service",
                    "DestinationRule": f"{env}-{service}-istio-destination-rule",
                    "PodDisruptionBudget": "search-pdb",
                }.get(kind)
                if kind in ("ConfigMap", "Secret"):
                    if name.startswith("service-"):  # a sidecar's: service-<svc>-agent-<agent>
                        expected = name.rsplit("-", 1)[0]
                    elif doc.get("type") == "kubernetes.io/dockerconfigjson":
                        expected = PULL_SECRET[REGISTRY[service]]
                    else:
                        expected = f"{APP}-{service}"
                assert meta_name == expected, (render.environment, service, name)


def test_labels_on_every_manifest(bigapp: BigApp) -> None:
    for render in bigapp.renders:
        for service, docs in render.docs.items():
            for name, doc in docs.items():
                labels = doc["metadata"].get("labels")
                if doc.get("type") == "kubernetes.io/dockerconfigjson":
                    # shared by every app of the namespace that pulls from the registry
                    assert labels is None, name
                else:
                    assert labels == _labels(service, render.environment), (service, name)


def test_selectors_are_the_three_labels(bigapp: BigApp) -> None:
    for render in bigapp.renders:
        for service in SERVICES:
            labels = _labels(service, render.environment)
            workload = render.workload(service)
            assert workload["spec"]["selector"] == {"matchLabels": labels}
            assert workload["spec"]["template"]["metadata"]["labels"] == labels
            if "service.yaml" in render.docs[service]:
                assert render.docs[service]["service.yaml"]["spec"]["selector"] == labels


# --- workloads and containers ---------------------------------------------------------------

def test_statefulset_iff_volumes_with_claim_templates(bigapp: BigApp) -> None:
    render = bigapp.default
    for service in SERVICES:
        kind = render.workload(service)["kind"]
        assert kind == ("StatefulSet" if service in STATEFUL else "Deployment"), service
    for service, claims in CLAIMS.items():
        spec = render.workload(service)["spec"]
        assert spec["serviceName"] == service
        templates = spec["volumeClaimTemplates"]
        assert [t["metadata"]["name"] for t in templates] == [c[0] for c in claims]
        for template, (volume, size, storage_class) in zip(templates, claims, strict=True):
            assert template["metadata"]["labels"] == {**_labels(service, "dev"),
                                                      "hyscale.io/volume-name": volume}
            assert template["spec"]["accessModes"] == ["ReadWriteOnce"]
            assert template["spec"]["resources"] == {"requests": {"storage": size}}
            assert template["spec"].get("storageClassName") == storage_class


def test_containers_images_and_pull_secrets(bigapp: BigApp) -> None:
    for render in bigapp.renders:
        for service in SERVICES:
            container = render.container(service)
            assert container["name"] == service
            assert container["image"] == IMAGES[service]
            assert container["imagePullPolicy"] == "Always"
            pull = PULL_SECRET.get(REGISTRY[service])
            pod = render.pod(service)
            if pull is None:  # no login for gcr.io: no pull secret, no [{}] either
                assert "imagePullSecrets" not in pod
                assert not any(name.endswith("-secret.yaml") for name in render.docs[service])
            else:
                assert pod["imagePullSecrets"] == [{"name": pull}]
                assert f"{pull}-secret.yaml" in render.docs[service]


def test_missing_login_is_a_warning(bigapp: BigApp) -> None:
    assert ("Missing credentials for the registry gcr.io. Please perform 'docker login gcr.io ' "
            "to continue with the deployment") in bigapp.default.run.stderr


def test_image_pull_secret(bigapp: BigApp) -> None:
    for service in SERVICES:
        registry = REGISTRY[service]
        if registry not in LOGINS:
            continue
        doc = bigapp.default.docs[service][f"{PULL_SECRET[registry]}-secret.yaml"]
        assert doc["type"] == "kubernetes.io/dockerconfigjson"
        config = json.loads(base64.b64decode(doc["data"][".dockerconfigjson"]))
        user, password = LOGINS[registry]
        assert config["auths"] == {registry: {"auth": _b64(f"{user}:{password}")}}


def test_ports(bigapp: BigApp) -> None:
    render = bigapp.default
    for service, ports in PORTS.items():
        expected = [{"containerPort": n, "name": f"{n}-{proto.lower()}", "protocol": proto}
                    for n, proto in ports]
        assert render.container(service).get("ports", []) == expected, service
        if not ports:
            assert "service.yaml" not in render.docs[service]
            continue
        service_ports = render.docs[service]["service.yaml"]["spec"]["ports"]
        own = [{"name": f"{n}-{proto.lower()}", "port": n, "protocol": proto, "targetPort": n}
               for n, proto in ports]
        if service == "search":  # the NodePort snippet: merged by name, plus a port of its own
            own[0]["nodePort"] = 30920
            own.append({"name": "transport-admin", "port": 9301, "targetPort": 9300,
                        "protocol": "TCP"})
        if service == "cache":  # the exporter sidecar's port
            own.append({"name": "9121-tcp", "port": 9121, "protocol": "TCP", "targetPort": 9121})
        assert service_ports == own, service


def test_probes(bigapp: BigApp) -> None:
    for render in bigapp.renders:
        for service, probe in PROBES.items():
            container = render.container(service)
            if probe is None:
                assert "readinessProbe" not in container and "livenessProbe" not in container
            else:
                assert container["readinessProbe"] == probe, service
                assert container["livenessProbe"] == container["readinessProbe"]


def test_resources(bigapp: BigApp) -> None:
    for service, resources in RESOURCES.items():
        assert bigapp.default.container(service)["resources"] == resources, service


def test_replicas_and_start_commands(bigapp: BigApp) -> None:
    render = bigapp.default
    for service in SERVICES:
        assert render.workload(service)["spec"].get("replicas") == REPLICAS.get(service), service
        container = render.container(service)
        command, args = START.get(service, (None, None))
        assert container.get("command") == command and container.get("args") == args, service


def test_env_config_maps_and_secrets(bigapp: BigApp) -> None:
    render = bigapp.default
    for service, env in ENV.items():
        expected = []
        for name, source in env:
            ref = "configMapKeyRef" if source == "cm" else "secretKeyRef"
            expected.append({"name": name, "valueFrom": {ref: {"name": f"{APP}-{service}",
                                                                "key": name}}})
        assert render.container(service).get("env", []) == expected, service
    for service, data in CONFIG_DATA.items():
        config_map = render.docs[service]["configmap.yaml"]
        assert config_map["data"] == data, service
        binary = {"worker.ini": _fixture_bytes("worker/config/worker.ini")} \
            if service == "worker" else {}
        assert config_map["binaryData"] == binary, service  # file props: not in env
    for service, data in SECRET_DATA.items():
        secret = render.docs[service]["secret.yaml"]
        assert secret["data"] == {key: _b64(value) for key, value in data.items()}, service
    # list-form secrets name a Secret the user creates: none is written
    for service in ("cache", "notifier", "orders"):
        assert "secret.yaml" not in render.docs[service]


def test_volumes_and_mounts(bigapp: BigApp) -> None:
    render = bigapp.default
    for service in SERVICES:
        assert render.container(service).get("volumeMounts", []) == MOUNTS.get(service, []), service
        assert render.pod(service).get("volumes", []) == POD_VOLUMES.get(service, []), service


def test_service_types(bigapp: BigApp) -> None:
    for service, service_type in SERVICE_TYPES.items():
        assert bigapp.default.docs[service]["service.yaml"]["spec"]["type"] == service_type
    # admin is internal in dev (external: false), exposed again in prod
    assert bigapp.dev.docs["admin"]["service.yaml"]["spec"]["type"] == "ClusterIP"
    assert bigapp.prod.docs["admin"]["service.yaml"]["spec"]["type"] == "LoadBalancer"


def test_service_spec_annotation(bigapp: BigApp) -> None:
    secrets = _secret_values()
    for render in bigapp.renders:
        for service in SERVICES:
            annotations = render.workload(service)["metadata"]["annotations"]
            assert set(annotations) == {SPEC_ANNOTATION}
            text = annotations[SPEC_ANNOTATION]
            spec = json.loads(text)
            assert spec["name"] == service
            assert f"{spec['image']['registry']}/{spec['image']['name']}:{spec['image']['tag']}" \
                == IMAGES[service]
            assert "secrets" not in spec
            assert all("secrets" not in agent for agent in spec.get("agents", []))
            assert not [value for value in secrets if value in text], service
    # the annotation holds the effective spec: the profile merged in
    web = json.loads(bigapp.prod.workload("web")["metadata"]["annotations"][SPEC_ANNOTATION])
    assert web["replicas"] == {"min": 2, "max": 6, "cpuThreshold": "60%"}
    assert web["memory"] == "256Mi-512Mi" and web["props"]["THEME"] == "corporate"
    orders = json.loads(bigapp.prod.workload("orders")["metadata"]["annotations"][SPEC_ANNOTATION])
    assert orders["replicas"] == {"min": 2, "max": 20, "cpuThreshold": "50%"}


def test_checksum_iff_props_or_secrets(bigapp: BigApp) -> None:
    for render in bigapp.renders:
        for service in SERVICES:
            template = render.workload(service)["spec"]["template"]["metadata"]
            if service == "portal":  # the only service without props or secrets
                assert "annotations" not in template
            else:
                assert re.fullmatch(r"[0-9a-f]{40}", template["annotations"][CHECKSUM]), service


def test_no_secret_value_in_clear(bigapp: BigApp) -> None:
    secrets = _secret_values()
    assert len(secrets) >= 15  # map-form secrets of specs, profiles and sidecars; registry logins
    for render in bigapp.renders:
        for service, paths in render.paths.items():
            for path in paths.values():
                text = path.read_text(encoding="utf-8")
                assert not [value for value in secrets if value in text], (service, path.name)
        assert not [value for value in secrets if value in render.run.stdout + render.run.stderr]


def test_horizontal_pod_autoscalers(bigapp: BigApp) -> None:
    cases = [(bigapp.default, "orders", 2, 8, 65), (bigapp.prod, "orders", 2, 20, 50),
             (bigapp.prod, "web", 2, 6, 60), (bigapp.prod, "api", 3, 10, 70),
             (bigapp.prod, "worker", 2, 12, 80)]
    for render, service, low, high, utilization in cases:
        hpa = render.docs[service]["horizontalpodautoscaler.yaml"]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"] == {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
            "minReplicas": low, "maxReplicas": high,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": utilization}}}],
        }
        # spec.replicas is the autoscaler's minimum
        assert render.workload(service)["spec"]["replicas"] == low


def test_network_policies(bigapp: BigApp) -> None:
    render = bigapp.default
    for service in SERVICES:
        policy = render.docs[service].get("networkpolicy.yaml")
        if service not in NETWORK_POLICIES:
            assert policy is None, service
            continue
        assert policy is not None
        assert policy["spec"] == {"podSelector": {"matchLabels": {SERVICE_LABEL: service}},
                                  "policyTypes": ["Ingress"],
                                  "ingress": NETWORK_POLICIES[service]}, service
    # dev: 'allowTraffic: []' replaces the spec's rules and denies all ingress (no 'ingress')
    assert bigapp.dev.docs["queue"]["networkpolicy.yaml"]["spec"] == {
        "podSelector": {"matchLabels": {SERVICE_LABEL: "queue"}}, "policyTypes": ["Ingress"]}
    # prod: the profile's list replaces the spec's (admin and the metrics rule are gone)
    assert bigapp.prod.docs["api"]["networkpolicy.yaml"]["spec"]["ingress"] == [
        {"from": _from("web", "portal"), "ports": [{"port": 8000}]}]


def test_nginx_ingress(bigapp: BigApp) -> None:
    ingress = bigapp.default.docs["web"]["ingress.yaml"]
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    assert ingress["metadata"]["annotations"] == {
        "kubernetes.io/ingress.class": "nginx",
        "kubernetes.io/ingress.allow-http": "true",
        "nginx.ingress.kubernetes.io/ssl-redirect": "false",
        "nginx.ingress.kubernetes.io/use-regex": "true",
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "nginx.ingress.kubernetes.io/configuration-snippet": "proxy_set_header X-Frame-Options DENY;\n",
    }
    backend = {"service": {"name": "web", "port": {"number": 8080}}}
    assert ingress["spec"] == {"rules": [{"host": "shop.bigco.example", "http": {"paths": [
        {"path": "/", "pathType": "ImplementationSpecific", "backend": backend},
        {"path": "/static", "pathType": "ImplementationSpecific", "backend": backend}]}}]}
    prod = bigapp.prod.docs["web"]["ingress.yaml"]
    assert prod["spec"]["tls"] == [{"hosts": ["shop.bigco.example"], "secretName": "shop-tls"}]
    assert prod["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-redirect"] == "true"


def test_istio_load_balancer(bigapp: BigApp) -> None:
    docs = bigapp.default.docs["portal"]
    assert docs["gateway.yaml"]["spec"] == {
        "selector": {"istio": "ingressgateway"},
        "servers": [{"hosts": ["portal.bigco.example"],
                     "port": {"number": 443, "name": "HTTPS", "protocol": "HTTPS"},
                     "tls": {"mode": "SIMPLE", "credentialName": "portal-cert"}}]}
    assert docs["virtualservice.yaml"]["spec"] == {
        "hosts": ["portal.bigco.example"], "gateways": ["dev-portal-istio-gateway"],
        "http": [{"match": [{"uri": {"prefix": "/portal"}}, {"uri": {"prefix": "/api/portal"}}],
                  "headers": {"request": {"set": {"X-Portal": "v5"}}},
                  "route": [{"destination": {"host": "portal", "port": {"number": 9080}}}]}]}
    assert docs["destinationrule.yaml"]["spec"] == {
        "host": "portal", "trafficPolicy": {"loadBalancer": {"consistentHash": {
            "httpCookie": {"name": "DEFAULT_COOKIE", "ttl": "30m"}}}}}
    for name in ("gateway.yaml", "virtualservice.yaml", "destinationrule.yaml"):
        assert docs[name]["apiVersion"] == "networking.istio.io/v1beta1"


def test_prometheus_exporter_sidecar(bigapp: BigApp) -> None:
    render = bigapp.default
    containers = render.pod("cache")["containers"]
    assert [c["name"] for c in containers] == ["cache", "redis-exporter"]
    name = "service-cache-agent-redis-exporter"
    assert containers[1] == {
        "name": "redis-exporter",
        "image": "registry.hub.docker.com/oliver006/redis_exporter:v1.58.0",
        "imagePullPolicy": "Always",
        "env": [{"name": "REDIS_ADDR", "valueFrom": {"configMapKeyRef": {"name": name,
                                                                          "key": "REDIS_ADDR"}}}],
        "ports": [{"containerPort": 9121, "name": "9121-tcp", "protocol": "TCP"}],
        "readinessProbe": _http("/metrics", 9121),
        "livenessProbe": _http("/metrics", 9121),
        "volumeMounts": [],  # no propsVolumePath: the ConfigMap volume is not mounted
    }
    config_map = render.docs["cache"][f"{name}-configmap.yaml"]
    assert config_map["data"] == {"REDIS_ADDR": "redis://localhost:6379"}
    assert config_map["binaryData"] == {}


def test_fluentd_sidecar(bigapp: BigApp) -> None:
    render = bigapp.default
    name = "service-reports-agent-fluentd"
    containers = render.pod("reports")["containers"]
    assert [c["name"] for c in containers] == ["reports", "fluentd"]
    fluentd = containers[1]
    assert fluentd["image"] == "quay.io/fluentd_elasticsearch/fluentd:v4.5.2"
    assert fluentd["imagePullPolicy"] == "Always"
    assert fluentd["env"] == [  # the file() props are files, not env vars
        {"name": "FLUENTD_ARGS", "valueFrom": {"configMapKeyRef": {"name": name, "key": "FLUENTD_ARGS"}}},
        {"name": "ES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": name, "key": "ES_PASSWORD"}}}]
    assert fluentd["volumeMounts"] == [
        {"name": "app-logs", "mountPath": "/mnt/log", "readOnly": True},
        {"name": f"{name}-configmap", "mountPath": "/etc/fluent/config.d", "readOnly": True},
        {"name": f"{name}-secret", "mountPath": "/etc/fluent/secrets", "readOnly": True}]
    assert "ports" not in fluentd and "readinessProbe" not in fluentd
    config_map = render.docs["reports"][f"{name}-configmap.yaml"]
    assert config_map["data"] == {"FLUENTD_ARGS": "--no-supervisor -q",
                                  "config.props": "FLUENTD_ARGS=--no-supervisor -q\n"}
    assert config_map["binaryData"] == {"output.conf": _fixture_bytes("reports/fluentd/output.conf"),
                                        "input.conf": _fixture_bytes("reports/fluentd/input.conf")}
    secret = render.docs["reports"][f"{name}-secret.yaml"]
    assert secret["data"] == {"ES_PASSWORD": _b64("elastic-Secret-42"),
                              "secret.props": _b64("ES_PASSWORD=elastic-Secret-42\n")}


def test_k8s_snippets(bigapp: BigApp) -> None:
    init = [{"name": "sysctl", "image": "busybox:1.36",
             "command": ["sh", "-c", "sysctl -w vm.max_map_count=262144"],
             "securityContext": {"privileged": True}}]
    default = bigapp.default.pod("search")
    assert default["initContainers"] == init
    assert "securityContext" not in default  # that snippet comes with the profiles only
    for render in (bigapp.dev, bigapp.prod):
        pod = render.pod("search")
        assert pod["initContainers"] == init  # spec and profile snippet lists are united
        assert pod["securityContext"] == {"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000}
        assert [c["name"] for c in pod["containers"]] == ["search"]  # merged by name
        container = pod["containers"][0]
        assert container["securityContext"] == {"allowPrivilegeEscalation": False,
                                                "readOnlyRootFilesystem": True}
        assert container["image"] == IMAGES["search"] and container["readinessProbe"]
        assert render.docs["search"]["service.yaml"]["spec"]["type"] == "NodePort"
    budget = bigapp.prod.docs["search"]["search-pdb-poddisruptionbudget.yaml"]
    assert budget == {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1",
                      "metadata": {"name": "search-pdb", "labels": _labels("search", "prod")},
                      "spec": {"minAvailable": 2,
                               "selector": {"matchLabels": {SERVICE_LABEL: "search"}}}}


# --- profiles -------------------------------------------------------------------------------

def _normalized(doc: dict[str, Any]) -> Any:
    """``doc`` without what differs between any two environments by construction."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: ("*" if key in (ENV_LABEL, SPEC_ANNOTATION, CHECKSUM) else walk(value))
                    for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node
    return walk(doc)


def _step(path: str, key: str) -> str:
    return f'{path}["{key}"]' if "." in key or "/" in key else (f"{path}.{key}" if path else key)


def _diff(a: Any, b: Any, path: str = "") -> set[str]:
    """Paths where ``a`` and ``b`` differ: dict keys by name, equal-length lists by index."""
    if isinstance(a, dict) and isinstance(b, dict):
        found: set[str] = set()
        for key in {*a, *b}:
            if key not in a or key not in b:
                found.add(_step(path, key))
            else:
                found |= _diff(a[key], b[key], _step(path, key))
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return {p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _diff(x, y, f"{path}[{i}]")}
    return set() if a == b else {path}


C0 = "spec.template.spec.containers[0]"
LIMITS, REQUESTS = f"{C0}.resources.limits", f"{C0}.resources.requests"
# Every difference between the dev and the prod render, each one asked for by a profile.
DEV_VS_PROD: dict[str, dict[str, set[str]]] = {
    "admin": {"deployment.yaml": {"spec.replicas", f"{LIMITS}.cpu", f"{LIMITS}.memory",
                                  f"{REQUESTS}.cpu", f"{REQUESTS}.memory"},
              "secret.yaml": {"data.ADMIN_TOKEN"}, "service.yaml": {"spec.type"}},
    "api": {"configmap.yaml": {"data.LOG_LEVEL", 'data["config.props"]'},
            "deployment.yaml": {"spec.replicas", f"{LIMITS}.cpu", f"{LIMITS}.memory",
                                f"{REQUESTS}.cpu", f"{REQUESTS}.memory"},
            "networkpolicy.yaml": {"spec.ingress"},
            "secret.yaml": {"data.DB_PASSWORD", "data.JWT_KEY", 'data["secret.props"]'}},
    "cache": {"deployment.yaml": {"spec.replicas", f"{C0}.env", f"{LIMITS}.memory",
                                  f"{C0}.resources.requests",
                                  "spec.template.spec.containers[1].env"},
              "service-cache-agent-redis-exporter-configmap.yaml": {
                  "data.REDIS_EXPORTER_LOG_FORMAT"}},
    "db": {"secret.yaml": {"data.MYSQL_PASSWORD", "data.MYSQL_ROOT_PASSWORD"},
           "statefulset.yaml": {f"{LIMITS}.cpu", f"{LIMITS}.memory", f"{C0}.resources.requests",
                                "spec.volumeClaimTemplates[0].spec.resources.requests.storage",
                                "spec.volumeClaimTemplates[0].spec.storageClassName",
                                "spec.volumeClaimTemplates[1].spec.resources.requests.storage"}},
    "notifier": {"configmap.yaml": {"data.LOG_FORMAT", "data.SMTP_RELAY"},
                 "deployment.yaml": {"spec.replicas", f"{C0}.env", LIMITS, REQUESTS}},
    "orders": {"configmap.yaml": {"data.KAFKA_TOPIC"},
               "deployment.yaml": {"spec.replicas", f"{LIMITS}.cpu", f"{LIMITS}.memory",
                                   f"{REQUESTS}.cpu", f"{REQUESTS}.memory"}},
    "portal": {"deployment.yaml": {"spec.replicas", f"{LIMITS}.cpu", f"{LIMITS}.memory",
                                   f"{C0}.resources.requests"},
               "gateway.yaml": {"metadata.name", "spec.servers[0].hosts[0]"},
               "virtualservice.yaml": {"metadata.name", "spec.gateways[0]", "spec.hosts[0]"}},
    "queue": {"networkpolicy.yaml": {"spec.ingress"}, "secret.yaml": {"data.RABBITMQ_DEFAULT_PASS"},
              "statefulset.yaml": {f"{LIMITS}.cpu", f"{LIMITS}.memory", f"{C0}.resources.requests",
                                   "spec.volumeClaimTemplates[0].spec.resources.requests.storage",
                                   "spec.volumeClaimTemplates[0].spec.storageClassName"}},
    "reports": {"service-reports-agent-fluentd-configmap.yaml": {"data.FLUENTD_ARGS",
                                                                 'data["config.props"]'},
                "service-reports-agent-fluentd-secret.yaml": {"data.ES_PASSWORD",
                                                              'data["secret.props"]'},
                "statefulset.yaml": {"spec.replicas",
                                     "spec.volumeClaimTemplates[0].spec.resources.requests.storage",
                                     "spec.volumeClaimTemplates[0].spec.storageClassName"}},
    "search": {"deployment.yaml": {"spec.replicas", f"{LIMITS}.memory", f"{REQUESTS}.memory"}},
    "web": {"configmap.yaml": {"data.THEME"},
            "deployment.yaml": {"spec.replicas", f"{LIMITS}.cpu", f"{LIMITS}.memory",
                                f"{REQUESTS}.cpu", f"{REQUESTS}.memory"},
            "ingress.yaml": {'metadata.annotations["nginx.ingress.kubernetes.io/ssl-redirect"]',
                             "metadata.name", "spec.rules[0].host", "spec.tls"}},
    "worker": {"configmap.yaml": {'binaryData["worker.ini"]', "data.CONCURRENCY", "data.DEBUG",
                                  'data["config.props"]'},
               "deployment.yaml": {"spec.replicas", f"{LIMITS}.cpu", f"{C0}.resources.requests"}},
}


def test_dev_and_prod_differ_exactly_where_the_profiles_say(bigapp: BigApp) -> None:
    dev, prod = bigapp.dev, bigapp.prod
    for service in SERVICES:
        common = set(dev.docs[service]) & set(prod.docs[service])
        found = {name: _diff(_normalized(dev.docs[service][name]), _normalized(prod.docs[service][name]))
                 for name in sorted(common)}
        assert {name: paths for name, paths in found.items() if paths} == DEV_VS_PROD[service], service


def test_profile_values(bigapp: BigApp) -> None:
    dev, prod = bigapp.dev, bigapp.prod
    # replicas: int in the spec, a plain number in dev, an autoscaler in prod
    assert dev.workload("web")["spec"]["replicas"] == 1
    assert prod.workload("web")["spec"]["replicas"] == 2
    # resources: single values and ranges
    assert dev.container("db")["resources"] == {"limits": {"memory": "512Mi"}}
    assert prod.container("db")["resources"] == {"requests": {"memory": "2Gi", "cpu": "1"},
                                                 "limits": {"memory": "4Gi", "cpu": "2"}}
    assert prod.container("notifier")["resources"] == {"requests": {"memory": "64Mi"},
                                                       "limits": {"memory": "128Mi"}}
    # volume size and storage class by name; the other volume keeps the spec's values
    claims = {t["metadata"]["name"]: t["spec"] for t in dev.workload("db")["spec"]["volumeClaimTemplates"]}
    assert claims["data"]["resources"]["requests"]["storage"] == "1Gi"
    assert claims["data"]["storageClassName"] == "standard"
    assert claims["backups"]["resources"]["requests"]["storage"] == "1G"
    claims = {t["metadata"]["name"]: t["spec"] for t in prod.workload("db")["spec"]["volumeClaimTemplates"]}
    assert claims["data"]["resources"]["requests"]["storage"] == "20Gi"
    assert claims["data"]["storageClassName"] == "ssd"
    assert claims["backups"]["resources"]["requests"]["storage"] == "50Gi"
    # secrets by key: dev replaces one of two, prod both
    assert dev.docs["db"]["secret.yaml"]["data"] == {"MYSQL_ROOT_PASSWORD": _b64("dev-root-pass"),
                                                     "MYSQL_PASSWORD": _b64("app-Secret-db")}
    # list secrets are united
    assert [e["name"] for e in prod.container("cache")["env"]] == ["REDIS_PASSWORD", "REDIS_ACL_PASSWORD"]
    # props: a changed file() prop and a new prop
    assert prod.docs["worker"]["configmap.yaml"]["binaryData"] == {
        "worker.ini": _fixture_bytes("worker/config/worker-prod.ini")}
    assert [e["name"] for e in dev.container("notifier")["env"]] == ["SMTP_RELAY", "LOG_FORMAT",
                                                                     "SMTP_PASSWORD"]
    # agents merged by name: a new prop for the exporter in dev
    assert dev.docs["cache"]["service-cache-agent-redis-exporter-configmap.yaml"]["data"] == {
        "REDIS_ADDR": "redis://localhost:6379", "REDIS_EXPORTER_LOG_FORMAT": "txt"}
    # struct replaced by a number: no autoscaler for orders in dev, spec.replicas from it
    assert dev.workload("orders")["spec"]["replicas"] == 1


def test_checksum_follows_config(bigapp: BigApp) -> None:
    def checksum(render: Render, service: str) -> str | None:
        template = render.workload(service)["spec"]["template"]["metadata"]
        value = template.get("annotations", {}).get(CHECKSUM)
        return None if value is None else str(value)

    def config(render: Render, service: str) -> list[Any]:
        """Data of the service's and its sidecars' ConfigMaps and Secrets (not the pull secret)."""
        return [(name, doc.get("data"), doc.get("binaryData"))
                for name, doc in sorted(render.docs[service].items())
                if doc["kind"] in ("ConfigMap", "Secret")
                and doc.get("type") != "kubernetes.io/dockerconfigjson"]

    for service in SERVICES:
        same_config = config(bigapp.dev, service) == config(bigapp.prod, service)
        same_checksum = checksum(bigapp.dev, service) == checksum(bigapp.prod, service)
        assert same_config == same_checksum, service
    assert checksum(bigapp.dev, "search") == checksum(bigapp.prod, "search") is not None
    assert checksum(bigapp.dev, "db") != checksum(bigapp.prod, "db")


# --- incremental runs and file modes --------------------------------------------------------

def _tasks(stage: str) -> list[str]:
    return [f"{stage}:{service}" for service in SERVICES]


def test_first_run_executes_every_stage(bigapp: BigApp) -> None:
    assert sorted(bigapp.default.run.executed) == sorted(_tasks("spec") + _tasks("dockerfile")
                                                         + _tasks("manifests"))


def test_switching_profile_re_renders_what_the_profiles_change(bigapp: BigApp) -> None:
    run = bigapp.prod.run
    # Every spec record changes with the profile; no profile touches an image, so the
    # Dockerfiles stay as they are; every service's manifests change.
    assert sorted(run.executed) == sorted(_tasks("spec") + _tasks("manifests"))
    assert sorted(run.skipped) == sorted(_tasks("dockerfile"))
    # ... and the result is exactly a fresh prod render: stale dev files are gone
    fresh = bigapp.prod_fresh
    assert {s: set(d) for s, d in bigapp.prod.docs.items()} == {s: set(d) for s, d in fresh.docs.items()}
    for service, paths in bigapp.prod.paths.items():
        for name, path in paths.items():
            assert path.read_bytes() == fresh.paths[service][name].read_bytes(), (service, name)


def test_second_run_executes_nothing(bigapp: BigApp) -> None:
    run = bigapp.prod_again
    assert run.returncode == 0, run.stderr
    assert run.executed == []
    assert sorted(run.skipped) == sorted(_tasks("spec") + _tasks("dockerfile") + _tasks("manifests"))


def test_secret_manifests_and_state_records_are_private(bigapp: BigApp) -> None:
    checked = 0
    for render in (bigapp.default, bigapp.prod):
        app_home = render.home / "apps" / APP
        for service, paths in render.paths.items():
            for name, path in paths.items():
                if render.docs[service][name]["kind"] == "Secret":
                    assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
                    checked += 1
        records = sorted(app_home.glob("*/state/*.json"))
        assert len(records) >= 3 * len(SERVICES)
        for record in records:
            assert stat.S_IMODE(record.stat().st_mode) == 0o600, record
    assert checked >= 20
