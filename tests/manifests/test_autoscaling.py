"""AutoScalingPluginHandler: the HPA spec (autoscaling/v2), HyScale's conditions and warnings.

Inputs follow HyScale's ``processor/service-hpa-deploy.hspec`` and ``examples/autoscaling``.
"""

from __future__ import annotations

from typing import Any

import pytest

from hyscale_tasks.manifests.plugins.autoscaling import AUTOSCALING
from testing.manifests import complete, make_context, render, validate_k8s

KEY = ("HorizontalPodAutoscaler", None)
LABELS = {"hyscale.io/app-name": "book-info", "hyscale.io/environment-name": "dev",
          "hyscale.io/service-name": "myservice"}
SUFFIX = " , so replicas has been ignored for this deployment"


def _spec(replicas: Any, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "myservice",
        "image": {"registry": "x.y.z", "name": "myServiceImage", "tag": "1.2.3"},
        "memory": "123Mi-456Mi",
        "cpu": "123m-456m",
        "external": True,
        "ports": [{"port": "8080/http", "healthCheck": {"httpPath": "/sample"}}, {"port": 8081}],
        **extra,
    }
    if replicas is not None:
        data["replicas"] = replicas
    return data


def _hpa(kind: str, name: str, minimum: int, maximum: int, utilization: int) -> dict[str, Any]:
    return {"spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
        "minReplicas": minimum,
        "maxReplicas": maximum,
        "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": utilization}}}],
    }}


def test_deployment_hpa() -> None:
    # processor/service-hpa-deploy.hspec
    manifests, warnings = render(AUTOSCALING, _spec({"min": 1, "max": 3, "cpuThreshold": "10%"}))
    assert manifests == {KEY: _hpa("Deployment", "myservice", 1, 3, 10)}
    assert warnings == []


def test_statefulset_hpa() -> None:
    # examples/autoscaling/frontend: a volume makes the owner a StatefulSet
    data = _spec({"min": 1, "max": 3, "cpuThreshold": "40%"}, name="frontend",
                 volumes=[{"name": "tomcat-logs", "path": "/usr/local/tomcat/logs", "size": "1Gi"}])
    manifests, warnings = render(AUTOSCALING, data)
    assert manifests == {KEY: _hpa("StatefulSet", "frontend", 1, 3, 40)}
    assert warnings == []


def test_min_defaults_to_one_and_equal_bounds_are_allowed() -> None:
    manifests, _ = render(AUTOSCALING, _spec({"max": 1, "cpuThreshold": "80%"}))
    assert manifests == {KEY: _hpa("Deployment", "myservice", 1, 1, 80)}


def test_target_name_is_normalized() -> None:
    manifests, _ = render(AUTOSCALING, _spec({"min": 2, "max": 4, "cpuThreshold": "50%"},
                                             name="My.Service"))
    assert manifests[KEY]["spec"]["scaleTargetRef"]["name"] == "my-service"


@pytest.mark.parametrize(("replicas", "reason"), [
    ({"min": 1, "cpuThreshold": "40%"}, "Missing field max replicas"),
    ({"min": 3, "max": 2, "cpuThreshold": "40%"}, "Min replicas should be less than max replicas"),
    ({"min": 1, "max": 3}, "Missing field cpuThreshold"),
    ({"min": 1, "max": 3, "cpuThreshold": "  "}, "Missing field cpuThreshold"),
    ({"min": 1, "max": 3, "cpuThreshold": "40"}, "The field cpuThreshold should match the regex [\\d]+%"),
    ({"min": 1, "max": 3, "cpuThreshold": "4.5%"}, "The field cpuThreshold should match the regex [\\d]+%"),
    ({"min": 1, "max": 3, "cpuThreshold": "0%"}, "The field cpuThreshold should be greater than 0"),
])
def test_invalid_replicas_warn_and_give_no_hpa(replicas: dict[str, Any], reason: str) -> None:
    manifests, warnings = render(AUTOSCALING, _spec(replicas))
    assert manifests == {}
    assert warnings == [reason + SUFFIX]


@pytest.mark.parametrize("replicas", [
    None,                         # no replicas field
    2,                            # a plain count
    {"min": 2},                   # a struct with only min
    {"min": 0, "max": 3, "cpuThreshold": "40%"},  # min < 1 is silently not autoscaling
])
def test_no_autoscaling_and_no_warning(replicas: Any) -> None:
    data = _spec(replicas)
    assert render(AUTOSCALING, data) == ({}, [])
    assert not make_context(data).service.replicas or not make_context(data).service.replicas.autoscaled


def test_exact_warning_text() -> None:
    _, warnings = render(AUTOSCALING, _spec({"min": 1, "max": 3}))
    assert warnings == ["Missing field cpuThreshold , so replicas has been ignored for this deployment"]


def test_predicate_agrees_with_the_plugin() -> None:
    assert make_context(_spec({"max": 3, "cpuThreshold": "10%"})).service.replicas.autoscaled


@pytest.mark.parametrize("volumes", [[], [{"name": "data", "path": "/data"}]])
def test_complete_hpa_is_valid_kubernetes(volumes: list[dict[str, Any]]) -> None:
    manifests, _ = render(AUTOSCALING, _spec({"min": 1, "max": 3, "cpuThreshold": "10%"},
                                             volumes=volumes))
    validate_k8s(complete(manifests[KEY], "HorizontalPodAutoscaler", "book-info-myservice", LABELS))
