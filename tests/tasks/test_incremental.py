"""The render is exact-incremental: each change re-runs exactly the stages it affects."""

from __future__ import annotations

import os
import time
from pathlib import Path

from testing.workspace import Workspace


def _all_tasks(services: list[str]) -> set[str]:
    return {f"{stage}:{svc}" for svc in services for stage in ("spec", "dockerfile", "manifests")}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_first_run_renders_every_service_and_second_run_executes_nothing(workspace: Workspace) -> None:
    workspace.add_app("shop")
    first = workspace.doit("app=shop")
    assert set(first.executed) == _all_tasks(["frontend", "catalog", "cart"])
    second = workspace.doit("app=shop")
    assert second.executed == []
    assert set(second.skipped) >= {"dockerfile:cart", "manifests:cart"}


def test_prop_change_reruns_only_that_services_spec_and_manifests(workspace: Workspace) -> None:
    app = workspace.add_app("shop")
    workspace.doit("app=shop")
    configmap = workspace.manifest("shop", "catalog", "configmap.yaml")
    others = {p: p.read_bytes() for p in workspace.home.rglob("*.yaml") if "catalog" not in p.parts}
    _edit(app / "catalog.hspec", 'PAGE_SIZE: "20"', 'PAGE_SIZE: "25"')
    result = workspace.doit("app=shop")
    assert result.executed == ["spec:catalog", "manifests:catalog"]
    assert "PAGE_SIZE: '25'" in configmap.read_text()
    assert all(path.read_bytes() == data for path, data in others.items())


def test_artifact_change_reruns_only_its_dockerfile(workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    workspace.doit("app=hello")
    (app / "site" / "index.html").write_text("<h1>changed</h1>\n")
    result = workspace.doit("app=hello")
    assert result.executed == ["dockerfile:web"]
    copied = workspace.service_dir("hello", "web") / "generated-files/dockerfiles/artifacts/site/index.html"
    assert copied.read_text() == "<h1>changed</h1>\n"


def test_file_prop_change_reruns_spec_and_manifests_not_dockerfile(workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    workspace.doit("app=hello")
    (app / "config" / "motd.txt").write_text("new message of the day\n")
    assert workspace.doit("app=hello").executed == ["spec:web", "manifests:web"]


def test_touching_files_without_changing_content_reruns_nothing(workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    workspace.doit("app=hello")
    later = time.time() + 5
    for path in app.rglob("*"):
        if path.is_file():
            os.utime(path, (later, later))
    assert workspace.doit("app=hello").executed == []


def test_a_deleted_output_is_recreated(workspace: Workspace) -> None:
    workspace.add_app("hello")
    workspace.doit("app=hello")
    service = workspace.manifest("hello", "web", "service.yaml")
    dockerfile = workspace.service_dir("hello", "web") / "generated-files/dockerfiles/Dockerfile"
    original = service.read_bytes(), dockerfile.read_bytes()
    service.unlink()
    dockerfile.unlink()
    assert sorted(workspace.doit("app=hello").executed) == ["dockerfile:web", "manifests:web"]
    assert (service.read_bytes(), dockerfile.read_bytes()) == original


def test_an_edited_output_is_restored(workspace: Workspace) -> None:
    workspace.add_app("hello")
    workspace.doit("app=hello")
    deployment = workspace.manifest("hello", "web", "deployment.yaml")
    original = deployment.read_bytes()
    deployment.write_text(original.decode().replace("replicas", "replicaz") + "# edited\n")
    assert workspace.doit("app=hello").executed == ["manifests:web"]
    assert deployment.read_bytes() == original


def test_profile_switch_rerenders_and_switching_back_restores(workspace: Workspace) -> None:
    workspace.add_app("shop")
    workspace.doit("app=shop", "profile=dev")
    cart = workspace.service_dir("shop", "cart") / "generated-files/manifests"
    assert not (cart / "horizontalpodautoscaler.yaml").exists()
    dev_deployment = (cart / "deployment.yaml").read_text()
    assert "hyscale.io/environment-name: dev" in dev_deployment
    prod = workspace.doit("app=shop", "profile=prod")
    assert {"spec:cart", "manifests:cart", "spec:frontend", "manifests:frontend"} <= set(prod.executed)
    assert "dockerfile:cart" not in prod.executed  # the build half did not change
    assert (cart / "horizontalpodautoscaler.yaml").exists()
    assert "hyscale.io/environment-name: prod" in (cart / "deployment.yaml").read_text()
    workspace.doit("app=shop", "profile=dev")
    assert not (cart / "horizontalpodautoscaler.yaml").exists()  # stale output removed
    assert (cart / "deployment.yaml").read_text() == dev_deployment
    assert workspace.doit("app=shop", "profile=dev").executed == []


def test_a_new_service_gets_tasks_and_a_removed_one_leaves_the_others_alone(workspace: Workspace) -> None:
    app = workspace.add_app("shop")
    workspace.doit("app=shop")
    (app / "cart.hspec").rename(app / "basket.hspec")
    _edit(app / "basket.hspec", "name: cart", "name: basket")
    result = workspace.doit("app=shop")
    assert set(result.executed) == _all_tasks(["basket"])


def test_a_failed_spec_leaves_previous_outputs_and_reruns_once_fixed(workspace: Workspace) -> None:
    app = workspace.add_app("hello")
    workspace.doit("app=hello")
    outputs = {p: p.read_bytes() for p in workspace.service_dir("hello", "web").rglob("*")
               if p.is_file()}
    _edit(app / "web.hspec", "port: 8080/http", "port: web")
    failed = workspace.doit("app=hello", check=False)
    assert failed.returncode == 1
    assert "web.hspec:" in failed.stderr and "Traceback" not in failed.stderr + failed.stdout
    assert {p: p.read_bytes() for p in outputs} == outputs
    _edit(app / "web.hspec", "port: web", "port: 8080/http")
    assert workspace.doit("app=hello").executed == ["spec:web"]
