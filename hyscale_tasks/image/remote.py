"""What the registry holds for a tag: its digest, its image id and what it was built from.

A fresh CI runner has no records and an empty Docker engine, but the registry remembers: every
image the tool builds carries its input digest as a label (image/inputs.py), and the label is
in the image config the registry serves. :func:`remote_image` reads the manifest of
``registry/name:tag`` (an index is resolved to the manifest of the platform the engine builds
for) and, for the label, the config blob: two small reads with the user's login, no Docker
engine. The build stage (image/reuse.py) compares the label with its own inputs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from hyscale_tasks.image.credentials import RegistryCredentials
from hyscale_tasks.image.inputs import INPUTS_LABEL, engine_platform
from hyscale_tasks.image.names import ImageName
from hyscale_tasks.image.registry import MANIFEST_TYPES, RegistryError, read

INDEX_TYPES = {"application/vnd.docker.distribution.manifest.list.v2+json",
               "application/vnd.oci.image.index.v1+json"}


@dataclass(frozen=True)
class RemoteImage:
    """The registry's image for a tag. ``digest`` is what the tag resolves to (an index's own
    digest for a multi-platform image: the one a deploy pins, and the one a ``HEAD`` of the tag
    answers); ``image_id`` the config digest of the engine's platform (what ``docker images``
    shows once pulled); ``digests`` every manifest digest the tag stands for here."""

    digest: str
    image_id: str | None
    labels: dict[str, str] = field(default_factory=dict)
    digests: frozenset[str] = frozenset()

    @property
    def inputs(self) -> str | None:
        return self.labels.get(INPUTS_LABEL)


def remote_image(image: ImageName, credentials: RegistryCredentials | None,
                 with_config: bool = True) -> RemoteImage | None:
    """The registry's image for ``image``'s tag, None when the tag does not exist there.
    ``with_config`` False spares the config read (no labels then)."""
    found = _manifest(image, credentials, image.tag)
    if found is None:
        return None
    digest, manifest = found
    digests = {digest}
    if _media_type(manifest) in INDEX_TYPES:
        chosen = _platform_entry(manifest)
        resolved = _manifest(image, credentials, chosen) if chosen else None
        if resolved is None:  # no manifest for this platform: nothing this engine could use
            return RemoteImage(digest, None, {}, frozenset(digests))
        digests.add(resolved[0])
        manifest = resolved[1]
    config = manifest.get("config")
    config_digest = str(config.get("digest")) if isinstance(config, dict) and config.get("digest") \
        else None  # a schema-1 manifest has none: no labels to read
    labels = _labels(image, credentials, config_digest) if with_config and config_digest else {}
    return RemoteImage(digest, config_digest, labels, frozenset(digests))


def _manifest(image: ImageName, credentials: RegistryCredentials | None,
              reference: str) -> tuple[str, dict[str, Any]] | None:
    answer = read(image, credentials, f"manifests/{reference}", MANIFEST_TYPES)
    if answer is None:
        return None
    headers, body = answer
    manifest = _json(image, body, "manifest")
    # The digest of the bytes served is the manifest's digest; the header only saves the hash.
    digest = headers.get("docker-content-digest") or "sha256:" + hashlib.sha256(body).hexdigest()
    if "mediaType" not in manifest and headers.get("content-type"):
        manifest = {**manifest, "mediaType": headers["content-type"].split(";")[0].strip()}
    return digest, manifest


def _media_type(manifest: dict[str, Any]) -> str:
    if manifest.get("mediaType"):
        return str(manifest["mediaType"])
    return "application/vnd.oci.image.index.v1+json" if "manifests" in manifest else ""


def _platform_entry(index: dict[str, Any]) -> str | None:
    """The digest of the index entry for the engine's platform (variant only when both say)."""
    wanted_os, wanted_arch, wanted_variant = engine_platform()
    for entry in index.get("manifests") or []:
        found = entry.get("platform") or {} if isinstance(entry, dict) else {}
        variant = found.get("variant")
        if found.get("os") == wanted_os and found.get("architecture") == wanted_arch \
                and (variant is None or wanted_variant is None or variant == wanted_variant):
            return str(entry.get("digest") or "") or None
    return None


def _labels(image: ImageName, credentials: RegistryCredentials | None,
            config_digest: str) -> dict[str, str]:
    answer = read(image, credentials, f"blobs/{config_digest}",
                  "application/vnd.oci.image.config.v1+json, "
                  "application/vnd.docker.container.image.v1+json, application/json")
    if answer is None:
        return {}
    config = _json(image, answer[1], "image config").get("config") or {}
    labels = config.get("Labels") if isinstance(config, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _json(image: ImageName, body: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise RegistryError(f"Registry {image.registry} served a {what} for {image.reference} "
                            "that is not a JSON object.")
    return value
