#!/usr/bin/env python3
"""Pack a folder into a one-layer image in the docker-archive format (what ``docker save`` writes
and ``ctr images import`` reads), without a Docker engine.

    mkimage.py OUT.tar REFERENCE ROOTFS_DIR ENTRYPOINT_JSON

The layer is reproducible: entries sorted, owned by root, mtime 0, so the same folder always gives
the same image id.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile


def layer_of(root: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as layer:
        for folder, subfolders, files in os.walk(root):
            subfolders.sort()
            for name in sorted(subfolders) + sorted(files):
                path = os.path.join(folder, name)
                entry = layer.gettarinfo(path, arcname=os.path.relpath(path, root))
                entry.uid = entry.gid = 0
                entry.uname = entry.gname = ""
                entry.mtime = 0
                if entry.isfile():
                    with open(path, "rb") as content:
                        layer.addfile(entry, content)
                else:
                    layer.addfile(entry)
    return buffer.getvalue()


def main(out: str, reference: str, root: str, entrypoint: list[str]) -> None:
    layer = layer_of(root)
    layer_digest = hashlib.sha256(layer).hexdigest()
    image_config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": entrypoint, "Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"],
                   "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
        "history": [{"created_by": "scripts/cluster/images/mkimage.py"}],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(image_config).hexdigest() + ".json"
    layer_name = f"{layer_digest}/layer.tar"
    index = json.dumps([{"Config": config_name, "RepoTags": [reference], "Layers": [layer_name]}])
    with tarfile.open(out, "w") as archive:
        for name, data in ((layer_name, layer), (config_name, image_config),
                           ("manifest.json", index.encode())):
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
