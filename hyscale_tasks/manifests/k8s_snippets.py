"""The user's ``k8sSnippets``: YAML patches merged into the generated manifests (§6.9).

Each snippet is merged with HyScale's strategic merge (containers and ports matched by name).
Where HyScale patches only the first manifest of a kind, we patch the manifest the snippet
names (``metadata.name``), or else the service's own manifest of that kind: the image-pull
Secret or a sidecar's ConfigMap is never patched by accident. A snippet of a kind we do not
generate becomes a manifest of its own, labelled like the rest.
"""

from __future__ import annotations

import copy
from typing import Any

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.manifests.base import RenderContext
from hyscale_tasks.spec.merge import SNIPPET_MERGE_KEYS, MergeKeyError, strategic_merge

Manifests = dict[tuple[str, str | None], dict[str, Any]]


def apply_snippets(manifests: Manifests, snippets: list[dict[str, Any]], ctx: RenderContext) -> None:
    """Merge every snippet document into ``manifests`` (modified in place)."""
    for snippet in snippets:
        for doc in snippet["docs"]:
            target = _target(manifests, doc, ctx)
            if target is None:
                manifests[(doc["kind"], _identifier(doc))] = _new_manifest(doc, ctx)
                continue
            try:
                manifests[target] = strategic_merge(manifests[target], copy.deepcopy(doc),
                                                    SNIPPET_MERGE_KEYS)
            except MergeKeyError as exc:
                raise HyscaleError(
                    f"{snippet['field']}: k8s snippet {snippet['file']} cannot be merged into "
                    f"the {doc['kind']}: {exc}.", "lists of objects can be merged only "
                    "for 'containers' and 'ports' (matched by name); patch a list the "
                    "generated manifest does not have, or drop that list from the snippet."
                ) from None


def _identifier(doc: dict[str, Any]) -> str | None:
    name = (doc.get("metadata") or {}).get("name")
    return str(name) if name else None


def _target(manifests: Manifests, doc: dict[str, Any], ctx: RenderContext) -> tuple[str, str | None] | None:
    kind = doc["kind"]
    same_kind = [key for key in manifests if key[0] == kind]
    if not same_kind:
        return None
    wanted = _identifier(doc)
    own_names = {ctx.service_name, ctx.app_service_name}
    for key in same_kind:
        name = (manifests[key].get("metadata") or {}).get("name")
        if (wanted is not None and name == wanted) or (wanted is None and name in own_names):
            return key
    return same_kind[0] if wanted is None else None


def _new_manifest(doc: dict[str, Any], ctx: RenderContext) -> dict[str, Any]:
    manifest = copy.deepcopy(doc)
    metadata = manifest.setdefault("metadata", {})
    metadata["labels"] = {**ctx.labels, **(metadata.get("labels") or {})}
    return manifest
