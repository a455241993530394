"""Shared helpers for plugin tests: a context from an inline spec, snippets into manifests.

The trees are built exactly as the pipeline builds them (``tree.inject`` into one dict per
(kind, identifier)), so a plugin test sees what ``render.build_manifests`` would write, minus
the other plugins' contributions.
"""

from __future__ import annotations

from typing import Any

from hyscale_tasks.manifests.base import Plugin, RenderContext, Snippet
from hyscale_tasks.manifests.tree import inject
from hyscale_tasks.spec.model import service_from_record

Manifests = dict[tuple[str, str | None], dict[str, Any]]


def make_context(data: dict[str, Any], *, app: str = "book-info", environment: str = "dev",
                 files: dict[str, str] | None = None) -> RenderContext:
    """A context for the effective spec ``data``; ``files`` maps file() arguments to base64."""
    service = service_from_record(data, files or {})
    return RenderContext(app=app, environment=environment, service=service,
                         image_ref=service.image.reference, pull_secret=None)


def build(snippets: list[Snippet], manifests: Manifests | None = None) -> Manifests:
    """Insert ``snippets`` in order into per-(kind, identifier) trees, as the pipeline does."""
    trees: Manifests = {} if manifests is None else manifests
    for snippet in snippets:
        inject(trees.setdefault((snippet.kind, snippet.name), {}), snippet.path, snippet.value)
    return trees


def render(plugin: Plugin, data: dict[str, Any], **context: Any) -> tuple[Manifests, list[str]]:
    """Run one plugin on an inline spec: its manifests and the warnings it gave."""
    ctx = make_context(data, **context)
    return build(plugin.contribute(ctx)), ctx.warnings


def complete(manifest: dict[str, Any], kind: str, name: str, labels: dict[str, str]) -> dict[str, Any]:
    """``manifest`` with the kind, apiVersion and metadata the metadata plugin would add."""
    from hyscale_tasks.manifests.base import API_VERSIONS

    return {"apiVersion": API_VERSIONS[kind], "kind": kind,
            "metadata": {"name": name, "labels": labels}, **manifest}


def validate_k8s(manifest: dict[str, Any]) -> None:
    """Strict validation against the Kubernetes 1.30 OpenAPI schemas (raises on any error)."""
    import kubernetes_validate

    kubernetes_validate.validate(manifest, "1.30.0", strict=True)
