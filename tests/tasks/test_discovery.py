"""Task loading keeps what the specs say: unchanged specs are not parsed again, and every change
a spec or profile makes to the tasks, and every referenced file that appears, is seen."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

from testing.workspace import REPO, Workspace

# `doit ARGS` in a fresh interpreter that then says whether the YAML parser was imported.
_PROBE = """
import sys
from doit.doit_cmd import DoitMain
from doit.cmd_base import DodoTaskLoader
code = DoitMain(DodoTaskLoader()).run(sys.argv[1:])
print("YAML=" + str("yaml" in sys.modules))
sys.exit(code)
"""


def _loads_yaml(workspace: Workspace, *args: str) -> bool:
    result = subprocess.run([sys.executable, "-c", _PROBE, f"apps={workspace.apps}", *args],
                            cwd=REPO, env=workspace.env(), capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return "YAML=True" in result.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_run_with_unchanged_specs_reads_no_yaml(workspace: Workspace) -> None:
    app = workspace.add_app("shop")
    assert _loads_yaml(workspace, "app=shop")  # the first load reads the specs, and renders
    assert not _loads_yaml(workspace, "list", "app=shop")
    assert not _loads_yaml(workspace, "app=shop")  # a no-op render
    _edit(app / "catalog.hspec", 'PAGE_SIZE: "20"', 'PAGE_SIZE: "25"')
    assert _loads_yaml(workspace, "list", "app=shop")  # an edited spec is read again


def test_a_file_prop_added_to_a_spec_is_a_dependency_at_the_next_load(
        workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    workspace.doit("app=hello")
    (app / "config" / "banner.txt").write_text("welcome\n")
    _edit(app / "web.hspec", "propsVolumePath:", "  banner.txt: file(config/banner.txt)\n"
          "propsVolumePath:")
    assert workspace.doit("app=hello").executed == ["spec:web", "manifests:web"]
    (app / "config" / "banner.txt").write_text("welcome back\n")
    assert workspace.doit("app=hello").executed == ["spec:web", "manifests:web"]
    assert f"banner.txt: {_base64('welcome back')}" in \
        workspace.manifest("hello", "web", "configmap.yaml").read_text()


def test_a_referenced_file_that_appears_later_becomes_a_dependency(workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    (app / "config" / "motd.txt").unlink()
    failed = workspace.doit("app=hello", check=False)
    assert failed.returncode != 0 and "motd.txt" in failed.stdout + failed.stderr
    # The spec is unchanged, so the load keeps what it found; that the file now exists is
    # looked at again.
    (app / "config" / "motd.txt").write_text("first message\n")
    assert "spec:web" in workspace.doit("app=hello").executed
    (app / "config" / "motd.txt").write_text("second message\n")
    assert workspace.doit("app=hello").executed == ["spec:web", "manifests:web"]


def test_a_file_prop_a_profile_adds_is_a_dependency_at_the_next_load(
        workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    profile = app / "stage-web.hprof"
    profile.write_text("environment: stage\noverrides: web\nprops:\n  GREETING: Hi\n")
    workspace.doit("app=hello", "profile=stage")
    (app / "config" / "stage.txt").write_text("stage notes\n")
    profile.write_text("environment: stage\noverrides: web\nprops:\n  GREETING: Hi\n"
                       "  stage.txt: file(config/stage.txt)\n")
    assert workspace.doit("app=hello", "profile=stage").executed == ["spec:web", "manifests:web"]
    (app / "config" / "stage.txt").write_text("newer stage notes\n")
    assert workspace.doit("app=hello", "profile=stage").executed == ["spec:web", "manifests:web"]
    assert f"stage.txt: {_base64('newer stage notes')}" in \
        workspace.manifest("hello", "web", "configmap.yaml").read_text()


def _base64(line: str) -> str:
    return base64.b64encode(f"{line}\n".encode()).decode()
