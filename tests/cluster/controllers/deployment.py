"""Deployment controller: ReplicaSets per pod template, rolling updates, revisions and status.

Follows the real controller's algorithm closely enough that a tool's rollout logic sees what it
would see on a cluster: a new ReplicaSet ``<name>-<pod-template-hash>`` per template, the
``deployment.kubernetes.io/revision`` annotations, scale-up bounded by maxSurge and scale-down by
maxUnavailable (counting only available pods), Recreate, history cleanup, and the status fields
and conditions (Available, Progressing with NewReplicaSetCreated / ReplicaSetUpdated /
NewReplicaSetAvailable / ProgressDeadlineExceeded).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from typing import Any

from ..api import DeleteOptions
from ..clock import age_seconds
from ..errors import ApiError
from ..store import Change, Obj
from .common import (
    Controller,
    Key,
    controller_ref,
    owned,
    owner_ref,
    set_condition,
    strip_zero,
    template_hash,
)

DEPLOY = ("apps", "deployments")
RS = ("apps", "replicasets")
REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"
NOT_COPIED = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
}


def resolve(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value or 0)


def template_without_hash(rs: Obj) -> Obj:
    template: Obj = copy.deepcopy(rs["spec"]["template"])
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return template


def revision(rs: Obj) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


class DeploymentController(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == DEPLOY:
            yield (change.namespace, change.name)
        elif change.key == RS:
            ref = controller_ref(change.obj)
            if ref and ref.get("kind") == "Deployment":
                yield (change.namespace, ref["name"])
        elif change.key == ("", "pods") and change.type == "DELETED":
            # Recreate waits for old pods to be gone
            ref = controller_ref(change.obj)
            if ref and ref.get("kind") == "ReplicaSet":
                rs = self.api.store.get(RS, change.namespace, ref["name"])
                owner = controller_ref(rs) if rs else None
                if owner and owner.get("kind") == "Deployment":
                    yield (change.namespace, owner["name"])

    def resync(self) -> Iterable[Key]:
        for d in self.api.store.select(DEPLOY):
            conds = {c["type"]: c for c in (d.get("status") or {}).get("conditions") or []}
            progressing = conds.get("Progressing", {})
            if progressing.get("reason") not in ("NewReplicaSetAvailable", "ProgressDeadlineExceeded"):
                yield (d["metadata"]["namespace"], d["metadata"]["name"])

    def sync(self, key: Key) -> None:
        ns, name = key
        d_rt = self.api.rt("apps/v1", "Deployment")
        rs_rt = self.api.rt("apps/v1", "ReplicaSet")
        raw = self.api.find(d_rt, ns, name)
        if raw is None or raw["metadata"].get("deletionTimestamp"):
            return
        d = self.api.output(d_rt, raw)
        spec = d["spec"]
        all_rs = sorted(
            owned(self.api.items(rs_rt, ns), d["metadata"]["uid"]),
            key=lambda r: (revision(r), r["metadata"]["creationTimestamp"]),
        )
        new_rs = next((r for r in all_rs if template_without_hash(r) == spec["template"]), None)
        old_rs = [r for r in all_rs if r is not new_rs]
        recorder = self.ctx.recorder("deployment-controller")
        max_old_revision = max((revision(r) for r in old_rs), default=0)
        created_new = False
        if spec.get("paused"):
            self._write_status(d, new_rs, all_rs, created_new=False)
            return
        if new_rs is None:
            new_rs = self._create_rs(d, max_old_revision + 1)
            if new_rs is None:
                return
            created_new = True
            all_rs.append(new_rs)
        elif revision(new_rs) <= max_old_revision:  # a rollback to an older template gets a new revision
            new_rs = self._set_rs(new_rs, annotations={REVISION: str(max_old_revision + 1)})
        self._sync_deployment_revision(d, new_rs)

        replicas = spec.get("replicas", 1)
        strategy = spec.get("strategy") or {}
        if strategy.get("type") == "Recreate":
            self._recreate(d, new_rs, old_rs, replicas, recorder)
        else:
            self._rolling(d, new_rs, old_rs, replicas, strategy.get("rollingUpdate") or {}, recorder)
        self._cleanup(d, old_rs)
        fresh_rs = owned(self.api.items(rs_rt, ns), d["metadata"]["uid"])
        new_fresh = next((r for r in fresh_rs if r["metadata"]["uid"] == new_rs["metadata"]["uid"]), new_rs)
        self._write_status(d, new_fresh, fresh_rs, created_new)

    # ----- ReplicaSets ---------------------------------------------------------------------------

    def _create_rs(self, d: Obj, rev: int) -> Obj | None:
        rs_rt = self.api.rt("apps/v1", "ReplicaSet")
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        collisions = (d.get("status") or {}).get("collisionCount", 0)
        pod_hash = template_hash(d["spec"]["template"], collisions)
        template = copy.deepcopy(d["spec"]["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        annotations = {
            k: v for k, v in (d["metadata"].get("annotations") or {}).items() if k not in NOT_COPIED
        }
        replicas = d["spec"].get("replicas", 1)
        surge = resolve(
            ((d["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge"), replicas, True
        )
        annotations.update(
            {
                REVISION: str(rev),
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + surge),
            }
        )
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{name}-{pod_hash}",
                "namespace": ns,
                "labels": dict(template["metadata"]["labels"]),
                "annotations": annotations,
                "ownerReferences": [owner_ref(d)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        try:
            created = self.api.create(rs_rt, ns, rs)
        except ApiError as err:
            if err.code != 409:
                raise

            def bump(obj: Obj) -> None:  # hash collision with a foreign ReplicaSet: try the next hash
                obj.setdefault("status", {})["collisionCount"] = collisions + 1

            self.api.mutate(self.api.rt("apps/v1", "Deployment"), ns, name, bump, subresource="status")
            return None
        return self.api.output(rs_rt, created)

    def _set_rs(self, rs: Obj, replicas: int | None = None, annotations: dict[str, str] | None = None) -> Obj:
        rs_rt = self.api.rt("apps/v1", "ReplicaSet")

        def change(obj: Obj) -> None:
            if replicas is not None:
                obj["spec"]["replicas"] = replicas
            if annotations:
                obj["metadata"].setdefault("annotations", {}).update(annotations)

        updated = self.api.mutate(rs_rt, rs["metadata"]["namespace"], rs["metadata"]["name"], change)
        return self.api.output(rs_rt, updated) if updated is not None else rs

    def _scale(self, d: Obj, rs: Obj, to: int, recorder: Any) -> Obj:
        current = rs["spec"].get("replicas", 0)
        if current == to:
            return rs
        replicas = d["spec"].get("replicas", 1)
        surge = resolve(
            ((d["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge"), replicas, True
        )
        updated = self._set_rs(
            rs,
            to,
            {
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + surge),
            },
        )
        direction = "up" if to > current else "down"
        recorder.record(
            d,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} from {current} to {to}",
        )
        return updated

    def _sync_deployment_revision(self, d: Obj, new_rs: Obj) -> None:
        rev = str(revision(new_rs))
        if (d["metadata"].get("annotations") or {}).get(REVISION) == rev:
            return

        def annotate(obj: Obj) -> None:
            obj["metadata"].setdefault("annotations", {})[REVISION] = rev

        self.api.mutate(
            self.api.rt("apps/v1", "Deployment"),
            d["metadata"]["namespace"],
            d["metadata"]["name"],
            annotate,
            system=True,
        )

    # ----- strategies ------------------------------------------------------------------------------

    def _recreate(self, d: Obj, new_rs: Obj, old_rs: list[Obj], replicas: int, recorder: Any) -> None:
        for rs in old_rs:
            if rs["spec"].get("replicas", 0) > 0:
                self._scale(d, rs, 0, recorder)
        pods = self.api.items(self.api.rt("v1", "Pod"), d["metadata"]["namespace"])
        old_uids = {rs["metadata"]["uid"] for rs in old_rs}
        if any((controller_ref(p) or {}).get("uid") in old_uids for p in pods):
            return  # Recreate: the new pods wait until every old pod is gone
        self._scale(d, new_rs, replicas, recorder)

    def _rolling(self, d: Obj, new_rs: Obj, old_rs: list[Obj], replicas: int, ru: Obj, recorder: Any) -> None:
        max_surge = resolve(ru.get("maxSurge", "25%"), replicas, True)
        max_unavailable = resolve(ru.get("maxUnavailable", "25%"), replicas, False)
        if max_surge == 0 and max_unavailable == 0:
            max_unavailable = 1

        def spec_count(rss: list[Obj]) -> int:
            return sum(r["spec"].get("replicas", 0) for r in rss)

        # scale up the new ReplicaSet within replicas + maxSurge
        new_count = new_rs["spec"].get("replicas", 0)
        if new_count > replicas:
            new_rs = self._scale(d, new_rs, replicas, recorder)
        elif new_count < replicas:
            room = replicas + max_surge - spec_count([new_rs, *old_rs])
            if room > 0:
                new_rs = self._scale(d, new_rs, new_count + min(room, replicas - new_count), recorder)
        # scale down old ReplicaSets, never below replicas - maxUnavailable available pods
        if spec_count(old_rs) == 0:
            return
        min_available = replicas - max_unavailable
        new_unavailable = new_rs["spec"].get("replicas", 0) - (new_rs.get("status") or {}).get(
            "availableReplicas", 0
        )
        budget = spec_count([new_rs, *old_rs]) - min_available - new_unavailable
        if budget <= 0:
            return
        # first the old pods that are not available anyway
        for i, rs in enumerate(old_rs):
            if budget <= 0:
                break
            count = rs["spec"].get("replicas", 0)
            unhealthy = count - (rs.get("status") or {}).get("availableReplicas", 0)
            cut = min(budget, unhealthy, count)
            if cut > 0:
                old_rs[i] = self._scale(d, rs, count - cut, recorder)
                budget -= cut
        available = sum((r.get("status") or {}).get("availableReplicas", 0) for r in [new_rs, *old_rs])
        budget = available - min_available
        for i in range(len(old_rs)):
            if budget <= 0:
                break
            count = old_rs[i]["spec"].get("replicas", 0)
            cut = min(budget, count)
            if cut > 0:
                old_rs[i] = self._scale(d, old_rs[i], count - cut, recorder)
                budget -= cut

    def _cleanup(self, d: Obj, old_rs: list[Obj]) -> None:
        limit = d["spec"].get("revisionHistoryLimit", 10)
        idle = [
            r
            for r in old_rs
            if r["spec"].get("replicas", 0) == 0
            and (r.get("status") or {}).get("replicas", 0) == 0
            and not r["metadata"].get("deletionTimestamp")
        ]
        rs_rt = self.api.rt("apps/v1", "ReplicaSet")
        for rs in idle[: max(0, len(idle) - limit)]:
            try:
                self.api.delete(rs_rt, rs["metadata"]["namespace"], rs["metadata"]["name"], DeleteOptions())
            except ApiError as err:
                if err.code != 404:
                    raise

    # ----- status ----------------------------------------------------------------------------------

    def _write_status(self, d: Obj, new_rs: Obj | None, all_rs: list[Obj], created_new: bool) -> None:
        spec = d["spec"]
        replicas = spec.get("replicas", 1)
        ru = (spec.get("strategy") or {}).get("rollingUpdate") or {}
        max_unavailable = (
            resolve(ru.get("maxUnavailable", "25%"), replicas, False)
            if (spec.get("strategy") or {}).get("type") != "Recreate"
            else 0
        )

        def total(key: str, rss: list[Obj]) -> int:
            return sum((r.get("status") or {}).get(key, 0) for r in rss)

        available = total("availableReplicas", all_rs)
        old_pods = total(
            "replicas",
            [r for r in all_rs if new_rs is None or r["metadata"]["uid"] != new_rs["metadata"]["uid"]],
        )
        updated = total("replicas", [new_rs]) if new_rs else 0
        status: Obj = copy.deepcopy(d.get("status") or {})
        status.update(
            {
                "observedGeneration": d["metadata"].get("generation", 1),
                "replicas": total("replicas", all_rs),
                "updatedReplicas": updated,
                "readyReplicas": total("readyReplicas", all_rs),
                "availableReplicas": available,
                "unavailableReplicas": max(sum(r["spec"].get("replicas", 0) for r in all_rs) - available, 0),
            }
        )
        strip_zero(
            status, "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"
        )
        if available >= replicas - max_unavailable:
            set_condition(
                status,
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            )
        else:
            set_condition(
                status,
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        if new_rs is not None:
            rs_name = new_rs["metadata"]["name"]
            new_available = total("availableReplicas", [new_rs])
            complete = (
                updated == replicas
                and new_available >= replicas
                and old_pods == 0
                and new_rs["spec"].get("replicas", 0) == replicas
            )
            conds = {c["type"]: c for c in status.get("conditions") or []}
            progressing = conds.get("Progressing")
            if complete:
                set_condition(
                    status,
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{rs_name}" has successfully progressed.',
                )
            elif created_new:
                set_condition(
                    status,
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    f'Created new replica set "{rs_name}"',
                )
            elif progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
                pass
            elif (
                progressing is not None
                and progressing.get("reason")
                in ("NewReplicaSetCreated", "ReplicaSetUpdated", "FoundNewReplicaSet")
                and age_seconds(progressing.get("lastUpdateTime")) > spec.get("progressDeadlineSeconds", 600)
            ):
                set_condition(
                    status,
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs_name}" has timed out progressing.',
                )
            else:
                same = (
                    progressing is not None
                    and progressing.get("reason") == "ReplicaSetUpdated"
                    and progressing.get("message") == f'ReplicaSet "{rs_name}" is progressing.'
                )
                if not same:
                    set_condition(
                        status,
                        "Progressing",
                        "True",
                        "ReplicaSetUpdated",
                        f'ReplicaSet "{rs_name}" is progressing.',
                    )
        # the real controller lists Available before Progressing
        status["conditions"] = sorted(
            status.get("conditions") or [], key=lambda c: {"Available": 0, "Progressing": 1}.get(c["type"], 2)
        )

        def put(obj: Obj) -> None:
            obj["status"] = status

        self.api.mutate(
            self.api.rt("apps/v1", "Deployment"),
            d["metadata"]["namespace"],
            d["metadata"]["name"],
            put,
            subresource="status",
        )
