"""What the ``dockerfile`` stage writes for one service, decided by HyScale's rules (§4.1).

Nothing is generated when the spec brings its own Dockerfile, has no build section, or names
only a stack image (that image is then the service's image as it is). Otherwise the folder holds
the Dockerfile, the artifacts under ``artifacts/<name>/`` and the configure/run scripts.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.spec.build_files import check_present, where
from hyscale_tasks.stage_records import BuildDecision, BuildSpecRecord, decide

SCRIPT_DIR = "/hyscale/init_scripts/"
CONFIGURE_SCRIPT = "configure.sh"
RUN_SCRIPT = "run.sh"

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("hyscale_tasks.dockerfile", "templates"),
    autoescape=False,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass
class DockerfilePlan:
    """Decision and content: ``files`` maps a path relative to the folder to (bytes, mode)."""

    decision: BuildDecision
    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def plan(build_spec: BuildSpecRecord) -> DockerfilePlan:
    """Everything the stage would write, read from the build-spec record and the artifacts.

    The first stage of a build: it checks every build file the spec names (a user Dockerfile
    and its context too, which the image builder reads), since the spec stage does not.
    """
    check_present(build_spec)
    image = build_spec["image"]
    decision = decide(image)
    if decision != "generate":
        return DockerfilePlan(decision)
    build = image["buildSpec"]
    sources = {entry["path"]: where(entry) for entry in build_spec["buildFiles"]}
    result = DockerfilePlan(decision)
    spec_dir = Path(build_spec["specDir"])
    artifacts = [_artifact(result, spec_dir, sources, item) for item in build.get("artifacts") or ()]
    configure = _script(result, spec_dir, build, "config", CONFIGURE_SCRIPT, "CONFIGURE")
    run = _script(result, spec_dir, build, "run", RUN_SCRIPT, "RUN")
    scripts = [name for name in (configure, run) if name]
    dockerfile = _templates.get_template("Dockerfile.j2").render(
        stack_image=build["stackImage"], artifacts=artifacts, scripts=scripts,
        script_dir=SCRIPT_DIR, configure=configure, run=run)
    result.files["Dockerfile"] = (dockerfile.encode(), 0o644)
    return result


def _read(path: Path, where: str, what: str) -> tuple[bytes, int]:
    try:
        return path.read_bytes(), path.stat().st_mode & 0o777
    except OSError as exc:
        raise HyscaleError(f"{where}: {what} {path} cannot be read: {exc.strerror}",
                           "give the path of an existing, readable file.") from None


def _artifact(result: DockerfilePlan, spec_dir: Path, sources: dict[str, str],
              item: dict[str, Any]) -> dict[str, str]:
    path = (spec_dir / str(item["source"]).replace("\\", "/")).resolve()
    where = sources.get(str(path), f"artifact {item['name']}")
    name = str(item["name"])
    relative = posixpath.join("artifacts", name, path.name)
    result.files[relative] = _read(path, where, "artifact")
    return {"source": relative, "destination": str(item["destination"])}


def _script(result: DockerfilePlan, spec_dir: Path, build: dict[str, Any], prefix: str,
            generated_name: str, label: str) -> str | None:
    commands = build.get(f"{prefix}Commands")
    script = build.get(f"{prefix}CommandsScript")
    if commands:
        if script:
            result.warnings.append(f"Command and Script file both provided for {label} in build "
                                   "spec, ignoring script file")
        text = _templates.get_template("script.sh.j2").render(commands=commands)
        result.files[generated_name] = (text.rstrip("\n").encode(), 0o755)
        return generated_name
    if script:
        path = (spec_dir / str(script).replace("\\", "/")).resolve()
        data, _ = _read(path, f"image.buildSpec.{prefix}CommandsScript", "script")
        result.files[path.name] = (data, 0o755)
        return path.name
    return None
