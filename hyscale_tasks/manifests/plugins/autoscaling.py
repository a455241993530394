"""The HorizontalPodAutoscaler ``spec`` (HyScale's AutoScalingPluginHandler, plugin #20).

Owns the HPA's ``spec`` and the warnings when replicas cannot autoscale. Whether a service
autoscales is a fact of its spec (``Replicas.autoscaling_problem``, HyScale's
``ReplicasUtil.isAutoScalingEnabled``, §2.6), which the metadata plugin reads too.

Deliberate difference: HyScale writes ``autoscaling/v1`` (``targetCPUUtilizationPercentage``).
We write ``autoscaling/v2`` (the project's API version, ``base.API_VERSIONS``): the stable HPA
API that ``kubectl`` shows and that later metrics would need, with the same meaning here: one
``Resource`` metric on cpu whose ``Utilization`` target is the threshold. The conditions and
the warning texts are HyScale's, word for word.
"""

from __future__ import annotations

from typing import Any

from hyscale_tasks.manifests.base import API_VERSIONS, Plugin, RenderContext, Snippet
from hyscale_tasks.spec.model import Replicas

HPA = "HorizontalPodAutoscaler"
_IGNORED = "{reason} , so replicas has been ignored for this deployment"


def hpa_spec(ctx: RenderContext, replicas: Replicas) -> dict[str, Any]:
    return {
        "scaleTargetRef": {
            "apiVersion": API_VERSIONS[ctx.owner_kind],
            "kind": ctx.owner_kind,
            "name": ctx.service_name,
        },
        "minReplicas": replicas.min,
        "maxReplicas": replicas.max,
        "metrics": [{
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": replicas.utilization},
            },
        }],
    }


def _contribute(ctx: RenderContext) -> list[Snippet]:
    replicas = ctx.service.replicas
    if replicas is None:
        return []
    problem = replicas.autoscaling_problem
    if problem:
        ctx.warn(_IGNORED.format(reason=problem))
    if problem is not None:
        return []
    return [Snippet(HPA, "spec", hpa_spec(ctx, replicas))]


AUTOSCALING = Plugin("AutoScalingPluginHandler", _contribute)
