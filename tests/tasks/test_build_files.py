"""Manifests render without the build files; the Dockerfile stage, the first of a build, needs them.

HyScale's ``generate service manifests`` never reads artifacts, scripts or a Dockerfile, so a CI
job that only renders, or a reviewer, can render a service whose build outputs it does not have.
A build (``doit build:<svc>``, ``deploy:<svc>``) still stops on the missing file, with the message
that names the spec's file, line and field.
"""

from __future__ import annotations

from pathlib import Path

from testing.workspace import Workspace

MISSING = ("web.hspec:11: image.buildSpec.artifacts[0].source: artifact site/index.html not "
           "found (looked for ")


def _without_its_artifact(workspace: Workspace) -> Path:
    app = workspace.add_app("hello")
    (app / "site" / "index.html").unlink()
    return app


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("[ERROR]  ")]


def test_manifests_render_without_the_artifact(workspace: Workspace) -> None:
    _without_its_artifact(workspace)

    result = workspace.doit("app=hello", "manifests")

    assert result.executed == ["spec:web", "manifests:web"]
    image = workspace.manifest("hello", "web", "deployment.yaml").read_text()
    assert "image: localhost:5000/hello/web:1.0\n" in image  # by tag: nothing was pushed
    assert not (workspace.service_dir("hello", "web") / "generated-files" / "dockerfiles").exists()


def test_a_build_still_stops_on_the_missing_artifact_with_its_location(workspace: Workspace) -> None:
    _without_its_artifact(workspace)

    # build:web needs no Docker to fail here: its dockerfile stage runs first and stops the run.
    result = workspace.doit("app=hello", "build:web", check=False)

    assert result.returncode == 1, result.stdout + result.stderr
    errors = _errors(result.stderr)
    assert len(errors) == 1 and MISSING in errors[0], result.stderr
    assert "\n  fix: Give the path of an existing file, relative to " in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.executed == ["spec:web", "dockerfile:web"]
    state = workspace.service_dir("hello", "web") / "state"
    assert not (state / "build.json").exists()


def test_the_default_render_writes_the_manifests_then_names_the_missing_artifact(
        workspace: Workspace) -> None:
    _without_its_artifact(workspace)

    result = workspace.doit("app=hello", check=False)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.executed == ["spec:web", "manifests:web", "dockerfile:web"]
    assert len(_errors(result.stderr)) == 1 and MISSING in result.stderr
    assert workspace.manifest("hello", "web", "deployment.yaml").is_file()


def test_the_artifact_once_there_runs_the_dockerfile_stage_and_leaves_the_manifests(
        workspace: Workspace) -> None:
    app = _without_its_artifact(workspace)
    workspace.doit("app=hello", check=False)
    (app / "site" / "index.html").write_text("<h1>here now</h1>\n")

    result = workspace.doit("app=hello")

    # The manifests never read the artifact: it arriving is no reason to render them again.
    assert result.executed == ["dockerfile:web"]
    copied = (workspace.service_dir("hello", "web") / "generated-files" / "dockerfiles"
              / "artifacts" / "site" / "index.html")
    assert copied.read_text() == "<h1>here now</h1>\n"
    assert workspace.doit("app=hello").executed == []


def test_a_missing_user_dockerfile_does_not_stop_the_manifests(workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    spec = app / "web.hspec"
    text = spec.read_text()
    start, end = text.index("  buildSpec:"), text.index("\nprops:")
    spec.write_text(text[:start] + "  dockerfile:\n    path: app\n" + text[end:])

    rendered = workspace.doit("app=hello", "manifests")
    build = workspace.doit("app=hello", "build:web", check=False)

    assert rendered.executed == ["spec:web", "manifests:web"]
    assert build.returncode == 1
    assert "web.hspec:8: image.dockerfile.path: build context app is not a folder (looked for " \
        in build.stderr, build.stderr
