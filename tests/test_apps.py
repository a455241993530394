"""The example apps in apps/ render, with every profile, into valid Kubernetes 1.30 manifests."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from testing.manifests import validate_k8s
from testing.workspace import APPS, Workspace

CASES = [("hello", None), ("store", None), ("shop", None), ("shop", "dev"), ("shop", "prod")]


def _manifests(workspace: Workspace, app: str) -> dict[str, dict[str, dict[str, Any]]]:
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted((workspace.home / "apps" / app).glob("*/generated-files/manifests/*.yaml")):
        found.setdefault(path.parts[-4], {})[path.name] = yaml.safe_load(path.read_text())
    return found


@pytest.mark.parametrize(("app", "profile"), CASES)
def test_example_app_renders_valid_manifests(workspace: Workspace, app: str, profile: str | None) -> None:
    workspace.add_app(app)
    args = [f"app={app}", *([f"profile={profile}"] if profile else [])]
    result = workspace.doit(*args)
    assert result.returncode == 0
    rendered = _manifests(workspace, app)
    services = {p.name.split(".")[0] for p in (APPS / app).glob("*.hspec")}
    assert set(rendered) == services
    for files in rendered.values():
        for doc in files.values():
            validate_k8s(doc)
    assert workspace.doit(*args).executed == []


def test_hello_web_has_what_its_readme_promises(workspace: Workspace) -> None:
    workspace.add_app("hello")
    workspace.doit("app=hello")
    web = _manifests(workspace, "hello")["web"]
    container = web["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]
    assert [e["name"] for e in container["env"]] == ["GREETING", "BACKEND_URL", "API_TOKEN", "SESSION_KEY"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/", "port": 8080}
    assert web["service.yaml"]["spec"]["type"] == "LoadBalancer"
    configmap = web["configmap.yaml"]
    assert configmap["data"]["BACKEND_URL"] == "store"
    assert base64.b64decode(configmap["binaryData"]["motd.txt"]).startswith(b"Welcome")
    assert base64.b64decode(web["secret.yaml"]["data"]["API_TOKEN"]) == b"change-me"
    annotation = json.loads(web["deployment.yaml"]["metadata"]["annotations"]["hyscale.io/service-spec"])
    assert "secrets" not in annotation and "change-me" not in json.dumps(annotation)
    dockerfiles = workspace.service_dir("hello", "web") / "generated-files" / "dockerfiles"
    assert sorted(p.name for p in dockerfiles.iterdir()) == [
        "Dockerfile", "artifacts", "configure.sh", "run.sh"]


def test_secret_bearing_files_are_private(workspace: Workspace) -> None:
    workspace.add_app("hello")
    workspace.doit("app=hello")
    service = workspace.service_dir("hello", "web")
    private = [service / "generated-files/manifests/secret.yaml",
               *sorted((service / "state").iterdir())]
    for path in private:
        assert path.stat().st_mode & 0o077 == 0, path


def test_shop_profiles_differ_where_the_profiles_say(workspace: Workspace) -> None:
    workspace.add_app("shop")
    workspace.doit("app=shop", "profile=prod")
    prod = _manifests(workspace, "shop")
    workspace.doit("app=shop", "profile=dev")
    dev = _manifests(workspace, "shop")
    assert "horizontalpodautoscaler.yaml" in prod["cart"]
    assert "horizontalpodautoscaler.yaml" not in dev["cart"]
    assert prod["frontend"]["deployment.yaml"]["spec"]["replicas"] == 3
    assert "replicas" not in dev["frontend"]["deployment.yaml"]["spec"]
    assert prod["catalog"]["configmap.yaml"]["data"]["PAGE_SIZE"] == "50"
    assert dev["catalog"]["configmap.yaml"]["data"]["PAGE_SIZE"] == "5"
    ingress = prod["frontend"]["ingress.yaml"]
    assert ingress["metadata"]["name"] == "prod-frontend-ingress"
    frontend = prod["frontend"]["deployment.yaml"]["spec"]["template"]["spec"]
    assert [c["name"] for c in frontend["containers"]] == ["frontend", "metrics"]
    assert frontend["securityContext"] == {"runAsNonRoot": False, "fsGroup": 1000}
    assert frontend["containers"][0]["securityContext"] == {"allowPrivilegeEscalation": False}


@pytest.mark.parametrize("app", ["hello", "store", "shop"])
def test_each_app_readme_shows_how_to_render_it(app: str) -> None:
    assert f"doit app={app}" in (APPS / app / "README.md").read_text()
