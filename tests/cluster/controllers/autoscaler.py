"""HorizontalPodAutoscaler controller, as it behaves on a cluster without a metrics server.

It keeps the target's replicas within [minReplicas, maxReplicas] through the target's scale
subresource (``SuccessfulRescale`` events, as the real controller does even without metrics) and
reports that it cannot compute utilization (``ScalingActive=False/FailedGetResourceMetric``), so a
tool sees the same HPA status and replica counts it would see on a fresh cluster.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..clock import stamp
from ..errors import qualified
from ..store import Change, Obj
from .common import Controller, Key, set_condition

HPA = ("autoscaling", "horizontalpodautoscalers")
NO_METRICS = (
    "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics "
    "for resource cpu: no metrics returned from resource metrics API"
)


class AutoscalerController(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == HPA and change.type != "DELETED":
            yield (change.namespace, change.name)
        elif change.key in (("apps", "deployments"), ("apps", "statefulsets"), ("apps", "replicasets")):
            for hpa in self.api.store.select(HPA, change.namespace):
                if (hpa.get("spec") or {}).get("scaleTargetRef", {}).get("name") == change.name:
                    yield (change.namespace, hpa["metadata"]["name"])

    def sync(self, key: Key) -> None:
        ns, name = key
        hpa_rt = self.api.rt("autoscaling/v2", "HorizontalPodAutoscaler")
        raw = self.api.find(hpa_rt, ns, name)
        if raw is None or raw["metadata"].get("deletionTimestamp"):
            return
        hpa = self.api.output(hpa_rt, raw)
        spec = hpa["spec"]
        ref = spec.get("scaleTargetRef") or {}
        recorder = self.ctx.recorder("horizontal-pod-autoscaler")
        status: Obj = dict(hpa.get("status") or {})
        status["observedGeneration"] = hpa["metadata"].get("generation", 1)
        target_rt = self.api.registry.by_api_version_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
        target = (
            self.api.find(target_rt, ns, ref.get("name", ""))
            if target_rt and target_rt.has("scale")
            else None
        )
        if target_rt is None or target is None:
            if target_rt is not None:
                what = f'{qualified(target_rt.group, target_rt.plural)} "{ref.get("name")}" not found'
            else:
                what = f'no matches for kind "{ref.get("kind")}" in group "{ref.get("apiVersion", "")}"'
            message = f"the HPA controller was unable to get the target's current scale: {what}"
            if _reason(status, "AbleToScale") != "FailedGetScale":
                recorder.record(hpa, "Warning", "FailedGetScale", what)
            set_condition(status, "AbleToScale", "False", "FailedGetScale", message, update_time=False)
            status.setdefault("desiredReplicas", 0)
            self._write(ns, name, status)
            return
        current = (target.get("spec") or {}).get("replicas", 1)
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas", 1)
        set_condition(
            status,
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
            update_time=False,
        )
        reason = None
        if current == 0 and low != 0:
            desired = 0
            set_condition(
                status,
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
                update_time=False,
            )
        elif current > high:
            desired, reason = high, "Current number of replicas above Spec.MaxReplicas"
        elif current < low:
            desired, reason = low, "Current number of replicas below Spec.MinReplicas"
        else:
            desired = current
            if _reason(status, "ScalingActive") != "FailedGetResourceMetric":
                recorder.record(hpa, "Warning", "FailedGetResourceMetric", NO_METRICS.split(": ", 1)[1])
            set_condition(
                status, "ScalingActive", "False", "FailedGetResourceMetric", NO_METRICS, update_time=False
            )
        if reason is not None:
            self.api.update_scale(
                target_rt, ns, target["metadata"]["name"], lambda s: {**s, "spec": {"replicas": desired}}
            )
            recorder.record(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            status["lastScaleTime"] = stamp()
        if desired == low and reason:
            set_condition(
                status,
                "ScalingLimited",
                "True",
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
                update_time=False,
            )
        elif desired == high and reason:
            set_condition(
                status,
                "ScalingLimited",
                "True",
                "TooManyReplicas",
                "the desired replica count is more than the maximum replica count",
                update_time=False,
            )
        else:
            set_condition(
                status,
                "ScalingLimited",
                "False",
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
                update_time=False,
            )
        status["currentReplicas"] = (target.get("status") or {}).get("replicas", 0)
        status["desiredReplicas"] = desired
        self._write(ns, name, status)

    def _write(self, ns: str, name: str, status: Obj) -> None:
        def put(obj: Obj) -> None:
            obj["status"] = status

        self.api.mutate(
            self.api.rt("autoscaling/v2", "HorizontalPodAutoscaler"), ns, name, put, subresource="status"
        )


def _reason(status: Obj, type_: str) -> str | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == type_:
            return str(cond.get("reason"))
    return None
