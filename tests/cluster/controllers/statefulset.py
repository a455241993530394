"""StatefulSet controller: pods ``<name>-<ordinal>`` with stable identity and their claims.

* PVCs ``<template>-<name>-<ordinal>`` from volumeClaimTemplates, created before the pod and not
  owned by the StatefulSet (so they stay when it is deleted), unless
  ``persistentVolumeClaimRetentionPolicy.whenDeleted`` is Delete;
* OrderedReady: pod N+1 is created only when pods 0..N are Running and Ready; scale-down removes the
  highest ordinal first, one at a time; Parallel does both at once;
* RollingUpdate: pods whose ``controller-revision-hash`` differs from the update revision are deleted
  from the highest ordinal down (respecting ``partition``), one at a time, and come back updated;
* status: replicas, readyReplicas, currentReplicas, updatedReplicas, availableReplicas,
  currentRevision, updateRevision, observedGeneration, collisionCount.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..api import DeleteOptions
from ..errors import ApiError
from ..kubelet import pod_ready
from ..store import Change, Obj
from .common import Controller, Key, controller_ref, owned, owner_ref, pod_available, template_hash

if TYPE_CHECKING:
    from ..events import EventRecorder

STS = ("apps", "statefulsets")
REVISION_LABEL = "controller-revision-hash"


def ordinal(sts_name: str, pod: Obj) -> int | None:
    m = re.fullmatch(re.escape(sts_name) + r"-(\d+)", pod["metadata"]["name"])
    return int(m.group(1)) if m else None


def running_and_ready(pod: Obj) -> bool:
    return (
        (pod.get("status") or {}).get("phase") == "Running"
        and pod_ready(pod)
        and not pod["metadata"].get("deletionTimestamp")
    )


class StatefulSetController(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == STS:
            yield (change.namespace, change.name)
        elif change.key == ("", "pods"):
            ref = controller_ref(change.obj)
            if ref and ref.get("kind") == "StatefulSet":
                yield (change.namespace, ref["name"])

    def sync(self, key: Key) -> None:
        ns, name = key
        sts_rt = self.api.rt("apps/v1", "StatefulSet")
        pod_rt = self.api.rt("v1", "Pod")
        raw = self.api.find(sts_rt, ns, name)
        if raw is None or raw["metadata"].get("deletionTimestamp"):
            return
        sts = self.api.output(sts_rt, raw)
        spec = sts["spec"]
        replicas = spec.get("replicas", 1)
        status = sts.get("status") or {}
        update_revision = f"{name}-{template_hash(spec['template'], status.get('collisionCount', 0))}"
        current_revision = status.get("currentRevision") or update_revision
        pods: dict[int, Obj] = {}
        for p in owned(self.api.items(pod_rt, ns), sts["metadata"]["uid"]):
            index = ordinal(name, p)
            if index is not None:
                pods[index] = p
        parallel = spec.get("podManagementPolicy") == "Parallel"
        recorder = self.ctx.recorder("statefulset-controller")

        # failed pods are replaced
        for pod in list(pods.values()):
            if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded") and not pod["metadata"].get(
                "deletionTimestamp"
            ):
                self._delete_pod(sts, pod, recorder)

        # create missing pods, in order
        for i in range(replicas):
            if i in pods:
                if not parallel and not running_and_ready(pods[i]):
                    break
                continue
            if not self._ensure_claims(sts, i, recorder):
                break
            pods[i] = self._create_pod(sts, i, update_revision, recorder)
            if not parallel:
                break

        # scale down: highest ordinal first
        extra = sorted((i for i in pods if i >= replicas), reverse=True)
        if extra:
            healthy = all(running_and_ready(pods[i]) for i in range(replicas) if i in pods)
            for i in extra:
                if pods[i]["metadata"].get("deletionTimestamp"):
                    if not parallel:
                        break
                    continue
                if not parallel and not healthy:
                    break
                self._delete_pod(sts, pods[i], recorder)
                if not parallel:
                    break

        # rolling update: one pod at a time, from the top, once everything is ready
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") == "RollingUpdate" and not extra:
            partition = (strategy.get("rollingUpdate") or {}).get("partition", 0)
            present = [pods.get(i) for i in range(replicas)]
            if all(p is not None and running_and_ready(p) for p in present):
                for i in reversed(range(partition, replicas)):
                    pod = pods[i]
                    if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != update_revision:
                        self._delete_pod(sts, pod, recorder)
                        break

        fresh = [
            p
            for p in owned(self.api.items(pod_rt, ns), sts["metadata"]["uid"])
            if ordinal(name, p) is not None
        ]
        self._write_status(sts, fresh, current_revision, update_revision)

    def _claim_name(self, template: Obj, sts: Obj, i: int) -> str:
        return f"{template['metadata']['name']}-{sts['metadata']['name']}-{i}"

    def _ensure_claims(self, sts: Obj, i: int, recorder: EventRecorder) -> bool:
        pvc_rt = self.api.rt("v1", "PersistentVolumeClaim")
        ns = sts["metadata"]["namespace"]
        delete_with_set = (sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}).get(
            "whenDeleted"
        ) == "Delete"
        for template in sts["spec"].get("volumeClaimTemplates") or []:
            claim_name = self._claim_name(template, sts, i)
            if self.api.find(pvc_rt, ns, claim_name) is not None:
                continue
            labels = {
                **((template.get("metadata") or {}).get("labels") or {}),
                **(sts["spec"]["selector"].get("matchLabels") or {}),
            }
            claim: Obj = {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim_name, "namespace": ns, "labels": labels},
                "spec": copy.deepcopy(template.get("spec") or {}),
            }
            annotations = (template.get("metadata") or {}).get("annotations")
            if annotations:
                claim["metadata"]["annotations"] = dict(annotations)
            if delete_with_set:
                claim["metadata"]["ownerReferences"] = [{**owner_ref(sts), "controller": True}]
            pod_name = f"{sts['metadata']['name']}-{i}"
            try:
                self.api.create(pvc_rt, ns, claim)
            except ApiError as err:
                recorder.record(
                    sts,
                    "Warning",
                    "FailedCreate",
                    f"create Claim {claim_name} for Pod {pod_name} in StatefulSet "
                    f"{sts['metadata']['name']} failed error: {err.message}",
                )
                return False
            recorder.record(
                sts,
                "Normal",
                "SuccessfulCreate",
                f"create Claim {claim_name} Pod {pod_name} in StatefulSet {sts['metadata']['name']} success",
            )
        return True

    def _create_pod(self, sts: Obj, i: int, revision: str, recorder: EventRecorder) -> Obj:
        pod_rt = self.api.rt("v1", "Pod")
        ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        template = copy.deepcopy(sts["spec"]["template"])
        pod_name = f"{name}-{i}"
        labels = {
            **((template.get("metadata") or {}).get("labels") or {}),
            REVISION_LABEL: revision,
            "statefulset.kubernetes.io/pod-name": pod_name,
            "apps.kubernetes.io/pod-index": str(i),
        }
        pod_spec = template.get("spec") or {}
        pod_spec["hostname"] = pod_name
        if sts["spec"].get("serviceName"):
            pod_spec["subdomain"] = sts["spec"]["serviceName"]
        volumes = [v for v in pod_spec.get("volumes") or []]
        for claim in sts["spec"].get("volumeClaimTemplates") or []:
            vname = claim["metadata"]["name"]
            volumes = [v for v in volumes if v.get("name") != vname]
            volumes.append(
                {"name": vname, "persistentVolumeClaim": {"claimName": self._claim_name(claim, sts, i)}}
            )
        if volumes:
            pod_spec["volumes"] = volumes
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": pod_name,
                "namespace": ns,
                "labels": labels,
                "ownerReferences": [owner_ref(sts)],
            },
            "spec": pod_spec,
        }
        annotations = (template.get("metadata") or {}).get("annotations")
        if annotations:
            pod["metadata"]["annotations"] = dict(annotations)
        try:
            created = self.api.create(pod_rt, ns, pod)
        except ApiError as err:
            recorder.record(
                sts,
                "Warning",
                "FailedCreate",
                f"create Pod {pod_name} in StatefulSet {name} failed error: {err.message}",
            )
            raise
        recorder.record(
            sts, "Normal", "SuccessfulCreate", f"create Pod {pod_name} in StatefulSet {name} successful"
        )
        return created

    def _delete_pod(self, sts: Obj, pod: Obj, recorder: EventRecorder) -> None:
        try:
            self.api.delete(
                self.api.rt("v1", "Pod"),
                pod["metadata"]["namespace"],
                pod["metadata"]["name"],
                DeleteOptions(uid=pod["metadata"]["uid"]),
            )
        except ApiError as err:
            if err.code not in (404, 409):
                raise
            return
        recorder.record(
            sts,
            "Normal",
            "SuccessfulDelete",
            f"delete Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']} successful",
        )

    def _write_status(self, sts: Obj, pods: list[Obj], current_revision: str, update_revision: str) -> None:
        replicas = sts["spec"].get("replicas", 1)
        active = [p for p in pods if not p["metadata"].get("deletionTimestamp")]

        def at(rev: str) -> list[Obj]:
            return [p for p in active if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == rev]

        updated = len(at(update_revision))
        ready = sum(1 for p in active if pod_ready(p))
        if updated == replicas and ready >= replicas and len(active) == replicas:
            current_revision = update_revision  # the rollout is complete
        min_ready = sts["spec"].get("minReadySeconds") or 0
        status: Obj = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(active),
            "readyReplicas": ready,
            "currentReplicas": len(at(current_revision)),
            "updatedReplicas": updated,
            "availableReplicas": sum(1 for p in active if pod_available(p, min_ready)),
            "currentRevision": current_revision,
            "updateRevision": update_revision,
            "collisionCount": (sts.get("status") or {}).get("collisionCount", 0),
        }
        for key in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if status[key] == 0:
                del status[key]

        def put(obj: Obj) -> None:
            obj["status"] = status

        self.api.mutate(
            self.api.rt("apps/v1", "StatefulSet"),
            sts["metadata"]["namespace"],
            sts["metadata"]["name"],
            put,
            subresource="status",
        )
