"""A pod's volumes on this node: configMap and secret volumes as files in a host folder that is
bind-mounted read-only, emptyDir as a Docker volume per pod, a PVC as a Docker volume per bound
volume (so data outlives the pod, as on a real PersistentVolume).

ConfigMap and secret folders use the kubelet's atomic layout: files live in ``..<timestamp>/``,
``..data`` links to it and each key links to ``..data/<key>``; a change to the ConfigMap swaps
``..data`` in one rename, so a running container sees the new files (not through ``subPath``).
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..quantity import parse_quantity
from .engine import LABEL_INSTANCE, LABEL_POD_UID, Engine

Obj = dict[str, Any]
Lookup = Callable[[str, str, str], Obj | None]
LABEL_CLAIM = "standin.hyscale.io/claim"


class MountError(Exception):
    """FailedMount: ``str()`` is what follows ``MountVolume.SetUp failed for volume "x" :``."""

    def __init__(self, volume: str, message: str) -> None:
        super().__init__(message)
        self.volume = volume


@dataclass(frozen=True)
class Source:
    kind: str  # bind | volume
    source: str  # host folder, or Docker volume name
    read_only: bool = False


def _files(volume: Obj, kind: str, obj: Obj | None) -> dict[str, tuple[bytes, int]]:
    """path -> (content, mode) of a configMap or secret volume."""
    spec = volume[kind]
    default_mode = int(spec.get("defaultMode", 0o644))
    if obj is None:
        return {}
    if kind == "configMap":
        data = {str(k): str(v).encode() for k, v in (obj.get("data") or {}).items()}
        data.update({str(k): base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    else:
        data = {str(k): base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    items = spec.get("items")
    if not items:
        return {key: (value, default_mode) for key, value in data.items()}
    out: dict[str, tuple[bytes, int]] = {}
    for item in items:
        key = str(item["key"])
        if key not in data:
            if spec.get("optional"):
                continue
            what = "configmap" if kind == "configMap" else "secret"
            raise MountError(volume["name"], f"{what} references non-existent {what} key: {key}")
        out[str(item["path"])] = (data[key], int(item.get("mode", default_mode)))
    return out


def write_atomic(folder: Path, files: dict[str, tuple[bytes, int]]) -> bool:
    """Publish ``files`` in ``folder`` the kubelet's way; False when they are already there."""
    folder.mkdir(parents=True, exist_ok=True)
    current = folder / "..data"
    if current.is_symlink() and _read_tree(current) == files:
        return False
    stamp = folder / f"..{time.strftime('%Y_%m_%d_%H_%M_%S')}.{time.monotonic_ns()}"
    stamp.mkdir()
    for path, (content, mode) in files.items():
        target = stamp / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        os.chmod(target, mode)
    os.chmod(stamp, 0o755)
    previous = os.readlink(current) if current.is_symlink() else None
    link = folder / "..data_tmp"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(stamp.name)
    os.replace(link, current)
    tops = {path.split("/", 1)[0] for path in files}
    for entry in folder.iterdir():
        if not entry.name.startswith("..") and entry.name not in tops:
            entry.unlink()
    for top in tops:
        if not (folder / top).is_symlink():
            (folder / top).symlink_to(f"..data/{top}")
    if previous:
        shutil.rmtree(folder / previous, ignore_errors=True)
    return True


def _read_tree(root: Path) -> dict[str, tuple[bytes, int]]:
    out: dict[str, tuple[bytes, int]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            out[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return out


class PodVolumes:
    def __init__(self, engine: Engine, pod: Obj, root: Path, lookup: Lookup) -> None:
        self.engine = engine
        self.pod = pod
        self.root = root
        self.lookup = lookup
        self.sources: dict[str, Source] = {}
        self._owned: list[str] = []  # per-pod Docker volumes, removed with the pod

    def _labels(self, **more: str) -> dict[str, str]:
        return {LABEL_INSTANCE: self.engine.instance, **more}

    def set_up(self) -> dict[str, Source]:
        """Make every volume ready (again: refreshes configMap and secret files). Raises MountError."""
        namespace = self.pod["metadata"]["namespace"]
        for volume in (self.pod.get("spec") or {}).get("volumes") or []:
            name = str(volume["name"])
            if "configMap" in volume or "secret" in volume:
                kind = "configMap" if "configMap" in volume else "secret"
                ref = volume[kind].get("name" if kind == "configMap" else "secretName", "")
                obj = self.lookup("ConfigMap" if kind == "configMap" else "Secret", namespace, str(ref))
                if obj is None and not volume[kind].get("optional"):
                    raise MountError(name, f'{kind.lower()} "{ref}" not found')
                folder = self.root / "volumes" / name
                write_atomic(folder, _files(volume, kind, obj))
                self.sources[name] = Source("bind", str(folder), read_only=True)
            elif "emptyDir" in volume:
                if name not in self.sources:
                    self.sources[name] = Source("volume", self._empty_dir(name, volume["emptyDir"] or {}))
            elif "persistentVolumeClaim" in volume:
                if name not in self.sources:
                    claim = volume["persistentVolumeClaim"]
                    self.sources[name] = Source(
                        "volume",
                        self._claim(name, str(claim.get("claimName", ""))),
                        bool(claim.get("readOnly")),
                    )
            else:
                kinds = sorted(k for k in volume if k != "name")
                raise MountError(name, f"the stand-in's Docker kubelet does not support {kinds} volumes")
        return self.sources

    def _empty_dir(self, name: str, spec: Obj) -> str:
        uid = self.pod["metadata"]["uid"]
        docker_name = f"hyscale-standin-{uid}-{name}"
        options: dict[str, str] | None = None
        if spec.get("medium") == "Memory":
            options = {"type": "tmpfs", "device": "tmpfs"}
            size = parse_quantity(spec.get("sizeLimit"))
            if size:
                options["o"] = f"size={int(size)}"
        self.engine.api.create_volume(
            docker_name, driver="local", driver_opts=options, labels=self._labels(**{LABEL_POD_UID: uid})
        )
        self._owned.append(docker_name)
        return docker_name

    def _claim(self, name: str, claim: str) -> str:
        namespace = self.pod["metadata"]["namespace"]
        pvc = self.lookup("PersistentVolumeClaim", namespace, claim)
        if pvc is None:
            raise MountError(name, f'persistentvolumeclaim "{claim}" not found')
        bound = (pvc.get("spec") or {}).get("volumeName")
        if not bound or (pvc.get("status") or {}).get("phase") != "Bound":
            raise MountError(name, f'persistentvolumeclaim "{claim}" is not bound')
        # named after the bound volume: a new pod on the same claim (a StatefulSet pod that was
        # deleted and came back) finds the same data
        docker_name = f"hyscale-standin-{bound}"
        self.engine.api.create_volume(
            docker_name, driver="local", labels=self._labels(**{LABEL_CLAIM: f"{namespace}.{claim}"})
        )
        return docker_name

    def mounts(self, container: Obj) -> list[Any]:
        """docker ``Mount``s for the container's volumeMounts. Raises MountError."""
        from docker.types import Mount

        out = []
        for mount in container.get("volumeMounts") or []:
            source = self.sources.get(str(mount["name"]))
            if source is None:
                raise MountError(str(mount["name"]), "volume is not defined in the pod spec")
            read_only = bool(mount.get("readOnly")) or source.read_only
            sub = str(mount.get("subPath") or "")
            if not sub:
                out.append(Mount(mount["mountPath"], source.source, type=source.kind, read_only=read_only))
                continue
            # Docker 20.10 cannot mount part of a volume: bind the sub folder of its host path instead
            base = Path(source.source)
            if source.kind == "volume":
                base = Path(self.engine.api.inspect_volume(source.source)["Mountpoint"])
            target = base / sub
            if not target.exists():
                target.mkdir(parents=True)
            out.append(Mount(mount["mountPath"], str(target.resolve()), type="bind", read_only=read_only))
        return out

    def tear_down(self) -> None:
        for name in self._owned:
            self.engine.remove_volume(name)
        shutil.rmtree(self.root, ignore_errors=True)
