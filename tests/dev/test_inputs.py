"""What the dev loop watches: derived from the task graph (no cluster, no Docker call)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyscale_tasks.cli import engine
from hyscale_tasks.cli.dev import task_graph
from hyscale_tasks.dev.inputs import ALL, Graph, inputs_of

WEB = """\
name: web
image:
  registry: registry.example
  name: shop/web
  tag: "1.0"
  buildSpec:
    stackImage: registry.example/stack:1
    artifacts:
      - name: site
        source: site/index.html
        destination: /www/
props:
  GREETING: hello
  motd.txt: file(config/motd.txt)
ports:
  - port: 8080/http
"""
API = """\
name: api
image:
  registry: registry.example
  name: shop/api
  tag: "1.0"
  dockerfile:
    path: api-src
ports:
  - port: 9090/http
"""


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Graph]:
    folder = tmp_path / "shop"
    for name, text in {"web.hspec": WEB, "api.hspec": API, "site/index.html": "<h1>hi</h1>\n",
                       "config/motd.txt": "welcome\n", "api-src/Dockerfile": "FROM scratch\n",
                       "api-src/main.go": "package main\n", "api-src/.dockerignore": "*.md\n",
                       "api-src/NOTES.md": "notes\n", "unrelated.txt": "x\n"}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    monkeypatch.setenv("HYSCALE_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    target = engine.Target("shop", "shop", (folder / "web.hspec", folder / "api.hspec"))
    _, entries = engine.load(target)
    with engine.context_of(target):
        return folder, Graph(task_graph(), entries)


def test_every_file_dep_of_a_service_s_tasks_affects_that_service(app: tuple[Path, Graph],
                                                                   tmp_path: Path) -> None:
    folder, graph = app
    inputs = inputs_of(graph, tmp_path / "home")
    assert inputs.affected(folder / "web.hspec") == {"web"}
    assert inputs.affected(folder / "site" / "index.html") == {"web"}  # an artifact
    assert inputs.affected(folder / "config" / "motd.txt") == {"web"}  # a file() prop
    assert inputs.affected(folder / "api.hspec") == {"api"}
    assert inputs.affected(folder / "unrelated.txt") == set()
    assert all(not root.is_relative_to(tmp_path / "home") for root in inputs.roots())
    assert folder in inputs.roots()


def test_a_build_context_counts_what_docker_sends(app: tuple[Path, Graph], tmp_path: Path) -> None:
    folder, graph = app
    inputs = inputs_of(graph, tmp_path / "home")
    assert inputs.affected(folder / "api-src" / "main.go") == {"api"}
    assert inputs.affected(folder / "api-src" / "Dockerfile") == {"api"}
    assert inputs.affected(folder / "api-src" / "NOTES.md") == set()  # in .dockerignore
    assert inputs.affected(folder / "api-src" / "new.go") == {"api"}  # a new file is sent too


def test_a_new_spec_reloads_the_services_and_a_failed_service_takes_any_change(
        app: tuple[Path, Graph], tmp_path: Path) -> None:
    folder, graph = app
    assert inputs_of(graph, tmp_path / "home").affected(folder / "cart.hspec") == {ALL}
    assert inputs_of(graph, tmp_path / "home").affected(folder / "profiles" / "prod-web.hprof") \
        == {ALL}
    # web failed: the fix may be a file no task reads yet (a file() prop that did not exist).
    failed = inputs_of(graph, tmp_path / "home", failed={"web"})
    assert failed.affected(folder / "config" / "new.txt") == {"web"}
