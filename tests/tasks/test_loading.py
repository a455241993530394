"""Loading tasks is cheap and safe: no docker, no kubernetes, no network, a doc line each."""

from __future__ import annotations

import subprocess
import sys

from testing.workspace import REPO, Workspace

# Run `doit list` in a fresh interpreter whose sockets refuse to open, then report which heavy
# modules the task loading imported.
_PROBE = """
import socket, sys
def _no_network(*args, **kwargs):
    raise RuntimeError("task loading opened a socket")
socket.socket = _no_network
socket.create_connection = _no_network
from doit.doit_cmd import DoitMain
from doit.cmd_base import DodoTaskLoader
code = DoitMain(DodoTaskLoader()).run(sys.argv[1:])
heavy = sorted(m for m in ("docker", "kubernetes", "jsonschema", "jinja2", "requests")
               if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
sys.exit(code)
"""


def test_doit_list_imports_neither_docker_nor_kubernetes_and_opens_no_socket(
        workspace: Workspace) -> None:
    workspace.add_app("shop")
    result = subprocess.run([sys.executable, "-c", _PROBE, "list", "--all", f"apps={workspace.apps}",
                             "app=shop", "profile=prod"],
                            cwd=REPO, env=workspace.env(), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "HEAVY=\n" in result.stdout
    assert "manifests:frontend" in result.stdout


def test_every_task_and_group_has_a_doc_line(workspace: Workspace) -> None:
    workspace.add_app("shop")
    listing = workspace.doit("list", "--all", "app=shop").stdout.splitlines()
    names = {line.split()[0] for line in listing}
    stages = ("spec", "dockerfile", "build", "push", "manifests", "cluster", "deploy",
              "status", "logs", "undeploy", "scale", "replicas")
    assert names == {*stages, "app-status", "app-undeploy"} | {
        f"{stage}:{svc}" for stage in stages for svc in ("frontend", "catalog", "cart")}
    assert all(len(line.split(maxsplit=1)) == 2 for line in listing)


def test_several_apps_need_a_choice_and_the_error_lists_them(workspace: Workspace) -> None:
    workspace.add_app("shop")
    workspace.add_app("hello")
    result = workspace.doit("list", check=False)
    assert result.returncode == 3
    assert "hello, shop" in result.stderr and "app=" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_only_app_is_the_default(workspace: Workspace) -> None:
    workspace.add_app("hello")
    assert workspace.doit().executed == ["spec:web", "manifests:web", "dockerfile:web"]


def test_state_lives_under_hyscale_home_never_in_the_working_tree(workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    before = sorted(p.name for p in REPO.iterdir())
    workspace.doit("app=hello")
    assert sorted(p.name for p in REPO.iterdir()) == before
    assert not any(p.name.startswith(".doit") for p in app.rglob("*"))
    assert (workspace.home / "apps" / "hello" / "doit.sqlite").is_file()
