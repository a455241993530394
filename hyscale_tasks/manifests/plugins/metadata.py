"""MetaDataHandler: kind, apiVersion, name and default labels of each manifest (§6.2 #2, §6.3).

Load-balancer kinds are not here: their plugin writes their metadata whole, as HyScale's does.
"""

from __future__ import annotations

from hyscale_tasks.manifests.base import API_VERSIONS, Plugin, RenderContext, Snippet


def _contribute(ctx: RenderContext) -> list[Snippet]:
    snippets = []
    for kind, name in ctx.default_manifests():
        snippets += [Snippet(kind, "kind", kind), Snippet(kind, "apiVersion", API_VERSIONS[kind]),
                     Snippet(kind, "metadata", {"name": name, "labels": dict(ctx.labels)})]
    return snippets


METADATA = Plugin("MetaDataHandler", _contribute)
