"""The PersistentVolume binder, reduced to what a test can observe: a claim whose StorageClass exists
is provisioned and Bound at once (capacity = request); one naming a missing class stays Pending
with a ``ProvisioningFailed`` event, as a cluster without that provisioner leaves it."""

from __future__ import annotations

from collections.abc import Iterable

from ..store import Change, Obj
from .common import Controller, Key


class VolumeBinder(Controller):
    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == ("", "persistentvolumeclaims") and change.type != "DELETED":
            yield (change.namespace, change.name)
        elif change.key == ("storage.k8s.io", "storageclasses"):
            for pvc in self.api.store.select(("", "persistentvolumeclaims")):
                if (pvc.get("status") or {}).get("phase") != "Bound":
                    yield (pvc["metadata"]["namespace"], pvc["metadata"]["name"])

    def sync(self, key: Key) -> None:
        ns, name = key
        pvc_rt = self.api.rt("v1", "PersistentVolumeClaim")
        pvc = self.api.find(pvc_rt, ns, name)
        if (
            pvc is None
            or pvc["metadata"].get("deletionTimestamp")
            or (pvc.get("status") or {}).get("phase") == "Bound"
        ):
            return
        pvc = self.api.output(pvc_rt, pvc)
        recorder = self.ctx.recorder("persistentvolume-controller")
        sc_name = pvc["spec"].get("storageClassName")
        if (
            not sc_name
            or self.api.find(self.api.rt("storage.k8s.io/v1", "StorageClass"), None, sc_name) is None
        ):
            message = (
                f'storageclass.storage.k8s.io "{sc_name}" not found'
                if sc_name
                else "no persistent volumes available for this claim and no storage class is set"
            )
            recorder.record(pvc, "Warning", "ProvisioningFailed" if sc_name else "FailedBinding", message)
            return
        volume = f"pvc-{pvc['metadata']['uid']}"

        def bind_spec(obj: Obj) -> None:
            obj["spec"]["volumeName"] = volume
            obj["metadata"].setdefault("annotations", {}).update(
                {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.beta.kubernetes.io/storage-provisioner": "standin.hyscale.io/hostpath",
                    "volume.kubernetes.io/storage-provisioner": "standin.hyscale.io/hostpath",
                }
            )

        def bind_status(obj: Obj) -> None:
            obj["status"] = {
                "phase": "Bound",
                "accessModes": list(obj["spec"].get("accessModes") or []),
                "capacity": {"storage": obj["spec"]["resources"]["requests"]["storage"]},
            }

        self.api.mutate(pvc_rt, ns, name, bind_spec, system=True)
        self.api.mutate(pvc_rt, ns, name, bind_status, subresource="status")
        recorder.record(pvc, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {volume}")
