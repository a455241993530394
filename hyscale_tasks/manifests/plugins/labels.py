"""LabelsAddonHandler: extra labels on the service's manifests (§6.2 #22).

HyScale 1.0 has the plugin but no source of custom labels, so it never fires. We feed it from an
optional ``labels`` map in the spec (HyScale accepts unknown fields, so such a spec still loads
there). The labels go on metadata and on the pod template, never into selectors: selectors are
immutable on a live Deployment, and a label change must not force a delete and re-create.
"""

from __future__ import annotations

from hyscale_tasks.manifests.base import Plugin, RenderContext, Snippet


def _contribute(ctx: RenderContext) -> list[Snippet]:
    extra = ctx.custom_labels
    if not extra:
        return []
    labels = {**extra, **ctx.labels}  # the default labels win: selectors depend on them
    snippets = [Snippet(kind, "metadata.labels", labels) for kind, _ in ctx.default_manifests()]
    snippets.append(Snippet(ctx.owner_kind, "spec.template.metadata.labels", labels))
    return snippets


LABELS_ADDON = Plugin("LabelsAddonHandler", _contribute)
