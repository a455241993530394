"""The manifest pipeline: run every plugin in order, build the trees, apply k8s snippets, dump.

Manifests keep the order in which plugins first touched them, and each one becomes one YAML
file named as HyScale names it: ``<kind>.yaml``, or ``<identifier>-<kind>.yaml`` for manifests
that carry an identifier (the image-pull Secret, a sidecar's ConfigMap, a snippet's own kind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.manifests.all_plugins import PLUGINS
from hyscale_tasks.manifests.base import PullSecret, RenderContext
from hyscale_tasks.manifests.k8s_snippets import Manifests, apply_snippets
from hyscale_tasks.manifests.tree import inject
from hyscale_tasks.spec.model import service_from_record
from hyscale_tasks.spec.names import normalize
from hyscale_tasks.stage_records import DeploySpecRecord

try:
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Dumper = yaml.SafeDumper


@dataclass(frozen=True)
class RenderedManifest:
    kind: str
    name: str
    file_name: str
    body: dict[str, Any]

    def to_yaml(self) -> str:
        return dump_yaml(self.body)


def dump_yaml(body: dict[str, Any]) -> str:
    return str(yaml.dump(body, Dumper=_Dumper, sort_keys=False, explicit_start=True,
                         default_flow_style=False, allow_unicode=True, width=1 << 16))


def render_record(record: DeploySpecRecord, pull_secret: PullSecret | None,
                  image_ref: str | None = None) -> tuple[list[RenderedManifest], list[str]]:
    """The manifests of the service a deploy-spec record (the ``spec`` stage's output) describes,
    and the warnings met. ``image_ref`` overrides the spec's ``registry/name:tag``."""
    service = service_from_record(record["spec"], record["files"])
    ctx = RenderContext(record["app"], record["environment"], service,
                        image_ref or service.image.reference, pull_secret)
    return build_manifests(ctx, record["snippets"]), ctx.warnings


def build_manifests(ctx: RenderContext, snippets: list[dict[str, Any]]) -> list[RenderedManifest]:
    """Every manifest of one service; raises after running all plugins if any of them failed.

    A plugin that crashes (anything but a :class:`HyscaleError`) is a bug, and is raised as the
    bug it is, with its traceback; only once the others ran, and with what they reported as a
    note, so that one bug does not hide the spec's other problems."""
    manifests: Manifests = {}
    failures: list[str] = []
    crash: Exception | None = None
    for plugin in PLUGINS:
        try:
            contributed = plugin.contribute(ctx)
        except HyscaleError as exc:
            failures.append(f"{plugin.name}: {exc}")
            continue
        except Exception as exc:
            exc.add_note(f"(in the manifest plugin {plugin.name})")
            crash = crash or exc
            continue
        for snippet in contributed:
            tree = manifests.setdefault((snippet.kind, snippet.name), {})
            try:
                inject(tree, snippet.path, snippet.value)
            except HyscaleError as exc:
                failures.append(f"{plugin.name}: {snippet.kind} {snippet.path}: {exc}")
    if crash is not None:
        if failures:
            crash.add_note("The other plugins reported:\n  " + "\n  ".join(failures))
        raise crash
    if failures:
        raise HyscaleError("Error while generating manifest plugins:\n  " + "\n  ".join(failures))
    apply_snippets(manifests, snippets, ctx)
    return [_rendered(kind, identifier, body) for (kind, identifier), body in manifests.items()]


def _rendered(kind: str, identifier: str | None, body: dict[str, Any]) -> RenderedManifest:
    prefix = f"{normalize(identifier)}-" if identifier else ""
    name = str((body.get("metadata") or {}).get("name", ""))
    return RenderedManifest(kind, name, f"{prefix}{normalize(kind)}.yaml", body)
