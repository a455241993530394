"""AgentHandler: sidecar containers, their ConfigMaps and Secrets, volumes and ports.

Inputs follow HyScale's ``processor/agents/*.hspec`` and ``examples/agent-fluentd`` and
``examples/agent-prom-exporter``, carried inline; the expected trees are HyScale's output for
them (§6.8) with the plugin's deliberate differences (see its docstring) where they apply.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from hyscale_tasks.manifests.base import Snippet
from hyscale_tasks.manifests.plugins.agents import AGENTS
from hyscale_tasks.manifests.render import build_manifests
from testing.manifests import build, make_context, render, validate_k8s

NAME = "service-myservice-agent-fluentd"
CM_VOLUME = "service-myservice-agent-fluentd-configmap"
SECRET_VOLUME = "service-myservice-agent-fluentd-secret"
LABELS = {"hyscale.io/app-name": "book-info", "hyscale.io/environment-name": "dev",
          "hyscale.io/service-name": "myservice"}
FLUENTD = "quay.io/fluentd_elasticsearch/fluentd"
OUTPUT_CONF = "<match **>\n  @type stdout\n</match>\n"
INPUT_CONF = "<source>\n  @type tail\n</source>\n"
FILES = {"output.conf": base64.b64encode(OUTPUT_CONF.encode()).decode(),
         "system.input.conf": base64.b64encode(INPUT_CONF.encode()).decode()}
FLUENTD_PROPS = {"FLUENTD_ARGS": "--no-supervisor -vv", "output.conf": "file(output.conf)",
                 "system.input.conf": "file(system.input.conf)"}
SECRETS = {"skey1": "val1", "skey2": "val2"}


def _spec(*agents: dict[str, Any], volumes: bool = True, ports: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "myservice",
        "image": {"registry": "x.y.z", "name": "myServiceImage", "tag": "1.2.3"},
        "replicas": 2,
        "external": True,
        "agents": list(agents),
    }
    if volumes:
        data["volumes"] = [{"name": "vol-name", "path": "/volume/mount/path", "size": "1Gi",
                            "storageClass": "storageClass"}]
    if ports:
        data["ports"] = [{"port": "8080/http", "healthCheck": {"httpPath": "/sample"}},
                         {"port": 8081}]
    return data


def _fluentd(**fields: Any) -> dict[str, Any]:
    return {"name": "fluentd", "image": FLUENTD, **fields}


def _render(data: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    manifests, warnings = render(AGENTS, data, files=FILES)
    assert warnings == []
    return manifests


def _config_ref(key: str) -> dict[str, Any]:
    return {"name": key, "valueFrom": {"configMapKeyRef": {"name": NAME, "key": key}}}


def _secret_ref(key: str) -> dict[str, Any]:
    return {"name": key, "valueFrom": {"secretKeyRef": {"name": NAME, "key": key}}}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- processor/agents/*.hspec -----------------------------------------------------------------

def test_agent_only() -> None:
    # agents-only.hspec: name, image and pull policy; mounts and pod volumes written, empty
    assert _render(_spec(_fluentd())) == {("StatefulSet", None): {"spec": {"template": {"spec": {
        "containers": [{}, {"name": "fluentd", "image": FLUENTD, "imagePullPolicy": "Always",
                            "volumeMounts": []}],
        "volumes": [],
    }}}}}


def test_agent_props_with_file_props() -> None:
    # agents-props.hspec: string props as env + data, file() props as binaryData only
    manifests = _render(_spec(_fluentd(props=FLUENTD_PROPS)))
    assert manifests == {
        ("ConfigMap", NAME): {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": NAME, "labels": LABELS},
            "data": {"FLUENTD_ARGS": "--no-supervisor -vv"},
            "binaryData": {"output.conf": FILES["output.conf"],
                           "system.input.conf": FILES["system.input.conf"]},
        },
        ("StatefulSet", None): {"spec": {"template": {"spec": {
            "containers": [{}, {"name": "fluentd", "image": FLUENTD, "imagePullPolicy": "Always",
                                "env": [_config_ref("FLUENTD_ARGS")],
                                # no propsVolumePath: no mount (HyScale writes one without a path)
                                "volumeMounts": []}],
            "volumes": [{"name": CM_VOLUME, "configMap": {"name": NAME}}],
        }}}},
    }
    assert base64.b64decode(manifests[("ConfigMap", NAME)]["binaryData"]["output.conf"]).decode() \
        == OUTPUT_CONF


def test_agent_map_secrets() -> None:
    # agents-secrets.hspec: a Secret of the agent's own, env from secretKeyRef, a secret volume
    manifests = _render(_spec(_fluentd(secrets=SECRETS), volumes=False))
    assert manifests == {
        ("Secret", NAME): {
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": {"name": NAME, "labels": LABELS},
            "data": {"skey1": "dmFsMQ==", "skey2": "dmFsMg=="},
        },
        ("Deployment", None): {"spec": {"template": {"spec": {
            "containers": [{}, {"name": "fluentd", "image": FLUENTD, "imagePullPolicy": "Always",
                                "env": [_secret_ref("skey1"), _secret_ref("skey2")],
                                "volumeMounts": []}],
            "volumes": [{"name": SECRET_VOLUME, "secret": {"secretName": NAME}}],
        }}}},
    }


def test_agent_props_and_secrets() -> None:
    # agents-deploy.hspec: props env first, then secret env; ConfigMap volume before Secret's
    manifests = _render(_spec(_fluentd(props=FLUENTD_PROPS, secrets=SECRETS), volumes=False))
    assert list(manifests) == [("ConfigMap", NAME), ("Secret", NAME), ("Deployment", None)]
    pod = manifests[("Deployment", None)]["spec"]["template"]["spec"]
    assert pod["containers"][1]["env"] == [_config_ref("FLUENTD_ARGS"), _secret_ref("skey1"),
                                           _secret_ref("skey2")]
    assert pod["volumes"] == [{"name": CM_VOLUME, "configMap": {"name": NAME}},
                              {"name": SECRET_VOLUME, "secret": {"secretName": NAME}}]


# --- examples/agent-fluentd: propsVolumePath and an attached service volume --------------------

def test_fluentd_example() -> None:
    agent = _fluentd(props=FLUENTD_PROPS, propsVolumePath="/usr/local/config",
                     volumes=[{"mountPath": "/mnt/log", "attach": "tomcat-logs"}])
    data = _spec(agent, ports=False)
    data["name"] = "frontend"
    data["volumes"] = [{"name": "tomcat-logs", "path": "/usr/local/tomcat/logs/", "size": "1Gi"}]
    manifests = _render(data)
    name = "service-frontend-agent-fluentd"
    config_map = manifests[("ConfigMap", name)]
    assert config_map["metadata"]["name"] == name
    assert config_map["data"] == {"FLUENTD_ARGS": "--no-supervisor -vv",
                                  "config.props": "FLUENTD_ARGS=--no-supervisor -vv\n"}
    assert set(config_map["binaryData"]) == {"output.conf", "system.input.conf"}
    container = manifests[("StatefulSet", None)]["spec"]["template"]["spec"]["containers"][1]
    assert container["volumeMounts"] == [
        {"name": "tomcat-logs", "mountPath": "/mnt/log", "readOnly": False},
        {"name": f"{name}-configmap", "mountPath": "/usr/local/config", "readOnly": True},
    ]


def test_only_file_props_write_no_config_props_and_no_env() -> None:
    agent = _fluentd(props={"output.conf": "file(output.conf)"}, propsVolumePath="/etc/fluent")
    manifests = _render(_spec(agent))
    assert manifests[("ConfigMap", NAME)]["data"] == {}
    assert manifests[("ConfigMap", NAME)]["binaryData"] == {"output.conf": FILES["output.conf"]}
    assert "env" not in manifests[("StatefulSet", None)]["spec"]["template"]["spec"]["containers"][1]


def test_typed_props() -> None:
    agent = _fluentd(props={"HOST": "endpoint(hrdatabase)", "MODE": "string(fast)", "N": 3})
    data = _render(_spec(agent))[("ConfigMap", NAME)]["data"]
    assert data == {"HOST": "hrdatabase", "MODE": "fast", "N": "3"}


# --- secrets: map with a volume path, list form ----------------------------------------------------

def test_map_secrets_with_volume_path() -> None:
    manifests = _render(_spec(_fluentd(secrets=SECRETS, secretsVolumePath="/etc/secrets")))
    assert manifests[("Secret", NAME)]["data"] == {
        "skey1": "dmFsMQ==", "skey2": "dmFsMg==", "secret.props": _b64("skey1=val1\nskey2=val2\n")}
    container = manifests[("StatefulSet", None)]["spec"]["template"]["spec"]["containers"][1]
    assert container["volumeMounts"] == [
        {"name": SECRET_VOLUME, "mountPath": "/etc/secrets", "readOnly": True}]


def test_list_secrets_reference_the_users_secret() -> None:
    # No data-less Secret (it would shadow the user's); env and volume name the agent's Secret.
    manifests = _render(_spec(_fluentd(secrets=["skey1", "skey2"], secretsVolumePath="/etc/s")))
    assert list(manifests) == [("StatefulSet", None)]
    pod = manifests[("StatefulSet", None)]["spec"]["template"]["spec"]
    assert pod["containers"][1]["env"] == [_secret_ref("skey1"), _secret_ref("skey2")]
    assert pod["containers"][1]["volumeMounts"] == [
        {"name": SECRET_VOLUME, "mountPath": "/etc/s", "readOnly": True}]
    assert pod["volumes"] == [{"name": SECRET_VOLUME, "secret": {"secretName": NAME}}]


def test_list_secrets_without_volume_path_are_not_mounted() -> None:
    manifests = _render(_spec(_fluentd(secrets=["skey1"])))
    container = manifests[("StatefulSet", None)]["spec"]["template"]["spec"]["containers"][1]
    assert container["volumeMounts"] == []


# --- ports and health checks -----------------------------------------------------------------------

def _redis(*agents: dict[str, Any]) -> dict[str, Any]:
    # examples/agent-prom-exporter/redis.hspec
    return {"name": "redis", "image": {"registry": "registry.hub.docker.com",
                                       "name": "library/redis:4"},
            "ports": [{"port": 6379}], "external": True, "agents": list(agents)}


EXPORTER = {"name": "redis-exporter", "image": "registry.hub.docker.com/oliver006/redis_exporter:latest",
            "ports": [{"port": 9121}]}


def test_prom_exporter_ports() -> None:
    manifests = _render(_redis(EXPORTER))
    assert manifests[("Service", None)] == {"spec": {"ports": [
        {"name": "9121-tcp", "port": 9121, "protocol": "TCP", "targetPort": 9121}]}}
    container = manifests[("Deployment", None)]["spec"]["template"]["spec"]["containers"][1]
    assert container == {"name": "redis-exporter", "image": EXPORTER["image"],
                         "imagePullPolicy": "Always",
                         "ports": [{"containerPort": 9121, "name": "9121-tcp", "protocol": "TCP"}],
                         "volumeMounts": []}


def test_agent_ports_append_to_the_service_ports() -> None:
    # What PortsHandler (14th in HyScale's order) wrote first stays first: the tree appends to the list.
    ctx = make_context(_redis(EXPORTER))
    service_port = {"name": "6379-tcp", "port": 6379, "protocol": "TCP", "targetPort": 6379}
    manifests = build([Snippet("Service", "spec.ports", [service_port])])
    build(AGENTS.contribute(ctx), manifests)
    assert [p["name"] for p in manifests[("Service", None)]["spec"]["ports"]] == ["6379-tcp", "9121-tcp"]


def test_agent_volumes_append_to_the_service_volumes() -> None:
    ctx = make_context(_spec(_fluentd(secrets=SECRETS)))
    own = {"name": "book-info-myservice-configmap", "configMap": {"name": "book-info-myservice"}}
    manifests = build([Snippet("StatefulSet", "spec.template.spec.volumes", [own])])
    build(AGENTS.contribute(ctx), manifests)
    volumes = manifests[("StatefulSet", None)]["spec"]["template"]["spec"]["volumes"]
    assert [v["name"] for v in volumes] == ["book-info-myservice-configmap", SECRET_VOLUME]


def test_udp_port_and_duplicates() -> None:
    agent = {**EXPORTER, "ports": [{"port": "5353/udp"}, {"port": "9121/http"}, {"port": 9121}]}
    manifests = _render(_redis(agent))
    assert manifests[("Service", None)]["spec"]["ports"] == [
        {"name": "5353-udp", "port": 5353, "protocol": "UDP", "targetPort": 5353},
        {"name": "9121-tcp", "port": 9121, "protocol": "TCP", "targetPort": 9121}]


PROBE_TIMINGS = {"initialDelaySeconds": 10, "periodSeconds": 30, "timeoutSeconds": 30,
                 "failureThreshold": 10}


@pytest.mark.parametrize(("ports", "probe"), [
    ([{"port": 9121, "healthCheck": {"httpPath": "/metrics"}}],
     {"httpGet": {"path": "/metrics", "port": 9121}}),
    ([{"port": "8443/https", "healthCheck": {"httpPath": "/health"}}],
     {"httpGet": {"path": "/health", "port": 8443, "scheme": "HTTPS"}}),
    ([{"port": 7000, "healthCheck": {}}, {"port": 9121, "healthCheck": {"httpPath": "/m"}}],
     {"httpGet": {"path": "/m", "port": 9121}}),   # an http check wins over an earlier tcp one
    ([{"port": 7000}, {"port": 7001, "healthCheck": {}}], {"tcpSocket": {"port": 7001}}),
    ([{"port": 7000, "healthCheck": None}], None),  # a bare 'healthCheck:' is no check
])
def test_health_checks(ports: list[dict[str, Any]], probe: dict[str, Any] | None) -> None:
    manifests = _render(_redis({**EXPORTER, "ports": ports}))
    container = manifests[("Deployment", None)]["spec"]["template"]["spec"]["containers"][1]
    if probe is None:
        assert "readinessProbe" not in container and "livenessProbe" not in container
    else:
        assert container["readinessProbe"] == container["livenessProbe"] == {**probe, **PROBE_TIMINGS}


def test_ports_and_probes_stay_on_their_own_container() -> None:
    # HyScale's index drift: the second agent's ports went to containers[1] (the first agent).
    first = {"name": "logger", "image": "busybox"}
    second = {**EXPORTER, "ports": [{"port": 9121, "healthCheck": {"httpPath": "/metrics"}}]}
    containers = _render(_redis(first, second))[("Deployment", None)]["spec"]["template"]["spec"][
        "containers"]
    assert containers[1] == {"name": "logger", "image": "busybox", "imagePullPolicy": "Always",
                             "volumeMounts": []}
    assert containers[2]["name"] == "redis-exporter"
    assert containers[2]["ports"] == [{"containerPort": 9121, "name": "9121-tcp", "protocol": "TCP"}]
    assert containers[2]["readinessProbe"]["httpGet"] == {"path": "/metrics", "port": 9121}


def test_service_without_ports_gets_a_whole_service_for_agent_ports() -> None:
    data = _redis(EXPORTER)
    del data["ports"]
    data["external"] = False
    rendered = {(m.kind, m.name): m.body for m in build_manifests(make_context(data), [])}
    service = rendered[("Service", "redis")]
    assert service == {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": "redis", "labels": {**LABELS, "hyscale.io/service-name": "redis"}},
        "spec": {"selector": {**LABELS, "hyscale.io/service-name": "redis"}, "type": "ClusterIP",
                 "ports": [{"name": "9121-tcp", "port": 9121, "protocol": "TCP",
                            "targetPort": 9121}]},
    }
    validate_k8s(service)


def test_no_agent_ports_no_service() -> None:
    assert ("Service", None) not in _render(_spec(_fluentd(props=FLUENTD_PROPS)))


def test_no_agents() -> None:
    assert render(AGENTS, _spec()) == ({}, [])


# --- what is written is valid Kubernetes -----------------------------------------------------------

def test_agent_config_map_and_secret_are_valid_kubernetes() -> None:
    agent = _fluentd(props=FLUENTD_PROPS, propsVolumePath="/etc/fluent", secrets=SECRETS,
                     secretsVolumePath="/etc/secrets")
    manifests = _render(_spec(agent))
    validate_k8s(manifests[("ConfigMap", NAME)])
    validate_k8s(manifests[("Secret", NAME)])


def test_agent_containers_are_valid_kubernetes() -> None:
    agents = [_fluentd(props=FLUENTD_PROPS, propsVolumePath="/etc/fluent", secrets=["skey1"],
                       secretsVolumePath="/etc/secrets",
                       volumes=[{"attach": "vol-name", "mountPath": "/mnt/log", "readOnly": True}]),
              {**EXPORTER, "ports": [{"port": 9121, "healthCheck": {"httpPath": "/metrics"}}]}]
    manifests = _render(_spec(*agents, volumes=False))
    deployment = copy.deepcopy(manifests[("Deployment", None)])
    # What the other plugins would add around the agents' part.
    deployment.update({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "myservice", "labels": LABELS}})
    deployment["spec"]["selector"] = {"matchLabels": LABELS}
    deployment["spec"]["template"]["metadata"] = {"labels": LABELS}
    deployment["spec"]["template"]["spec"]["containers"][0] = {"name": "myservice", "image": "x"}
    validate_k8s(deployment)
