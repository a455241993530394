"""The files a spec refers to: file() props, k8s snippets, artifacts and build scripts.

Used twice: at task-load time, on the raw YAML, to give each stage its ``file_dep`` (so this
module must stay cheap and must never raise), and by the ``spec`` stage, which reads them.

Every referenced file must be inside the app folder (the spec's folder), symbolic links
followed, as kustomize requires by default and Docker does for a build context: specs come
from pull requests and CI renders them, and a ``file(../../etc/passwd)`` prop would put the
file into a ConfigMap, an artifact into the image. :data:`OUTSIDE_OPT_IN` lifts the rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyscale_tasks.spec.typed_props import file_prop_argument

if TYPE_CHECKING:  # (a type only: task loading reads no YAML when the specs are unchanged)
    from hyscale_tasks.spec.yamlfile import JsonPath

OUTSIDE_OPT_IN = "HYSCALE_ALLOW_OUTSIDE_FILES"


@dataclass(frozen=True)
class Reference:
    field: JsonPath
    argument: str  # as written in the spec
    path: Path  # resolved against the spec's folder


def _resolve(base_dir: Path, argument: str) -> Path:
    # realpath, not Path.resolve: that raises on a symbolic link loop, and this must not raise.
    return Path(os.path.realpath(base_dir / argument.replace("\\", "/")))


def outside_allowed() -> bool:
    """The documented opt-in: ``HYSCALE_ALLOW_OUTSIDE_FILES=1`` for specs you trust."""
    return os.environ.get(OUTSIDE_OPT_IN, "").strip().lower() in ("1", "true", "yes")


def app_root(base_dir: Path) -> Path:
    return Path(os.path.realpath(base_dir))


def is_outside(ref: Reference, base_dir: Path) -> bool:
    """True when ``ref`` (symbolic links followed) is not in or below the app folder."""
    return not ref.path.is_relative_to(app_root(base_dir))


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def prop_files(data: dict[str, Any], base_dir: Path) -> list[Reference]:
    found = []
    places: list[tuple[JsonPath, Any]] = [(("props",), data.get("props"))]
    places += [(("agents", i, "props"), _mapping(agent).get("props"))
               for i, agent in enumerate(_list(data.get("agents")))]
    for where, props in places:
        for key, value in _mapping(props).items():
            argument = file_prop_argument(value)
            if argument is not None:
                found.append(Reference((*where, key), argument, _resolve(base_dir, argument)))
    return found


def snippet_files(data: dict[str, Any], base_dir: Path) -> list[Reference]:
    return [Reference(("k8sSnippets", i), str(item), _resolve(base_dir, str(item)))
            for i, item in enumerate(_list(data.get("k8sSnippets")))]


def build_files(data: dict[str, Any], base_dir: Path) -> list[Reference]:
    """Artifacts and configure/run scripts of ``image.buildSpec``."""
    build = _mapping(_mapping(data.get("image")).get("buildSpec"))
    found = [Reference(("image", "buildSpec", "artifacts", i, "source"), str(a["source"]),
                       _resolve(base_dir, str(a["source"])))
             for i, a in enumerate(_list(build.get("artifacts")))
             if isinstance(a, dict) and a.get("source")]
    for field in ("configCommandsScript", "runCommandsScript"):
        if build.get(field) and not build.get(field.replace("Script", "")):
            found.append(Reference(("image", "buildSpec", field), str(build[field]),
                                   _resolve(base_dir, str(build[field]))))
    return found


def user_dockerfile(data: dict[str, Any], base_dir: Path) -> tuple[Reference, Reference] | None:
    """The build context and the Dockerfile of ``image.dockerfile``, if the spec has one.

    HyScale reads ``dockerfilePath`` as a folder under ``path`` holding a file named Dockerfile
    (§5.3); we also accept it naming the file itself, which is what most users write.
    """
    dockerfile = _mapping(data.get("image")).get("dockerfile")
    if not isinstance(dockerfile, dict):
        return None
    context_arg = str(dockerfile.get("path") or ".")
    context = Reference(("image", "dockerfile", "path"), context_arg, _resolve(base_dir, context_arg))
    file_arg = str(dockerfile.get("dockerfilePath") or "")
    candidate = _resolve(context.path, file_arg) if file_arg else context.path
    if file_arg and not candidate.is_dir():  # a file, or nothing: then name what was asked for
        return context, Reference(("image", "dockerfile", "dockerfilePath"), file_arg, candidate)
    field = ("image", "dockerfile", "dockerfilePath") if file_arg else ("image", "dockerfile")
    return context, Reference(field, file_arg or "Dockerfile", candidate / "Dockerfile")
