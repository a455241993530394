"""``hyscale deploy service`` and ``generate service manifests`` against the real test cluster,
with the prebuilt test image (no Docker): HyScale's output and JSON, a reason for every stage,
one state with ``doit deploy:<svc>`` both ways, specs anywhere, a failing service among others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from testing.cluster import Cluster, http_get
from testing.testimage import crash
from testing.workspace import Workspace, ran

STAGES = ["spec", "dockerfile", "build", "push", "manifests", "deploy"]


def _spec(cli: Workspace, app: str, service: str = "web", **more: Any) -> Path:
    return cli.testapp(cli.apps / app / f"{service}.hspec", service, **more)


def test_deploy_prints_hyscales_stages_and_the_address(cli: Workspace, cluster: Cluster,
                                                       app_ns: str) -> None:
    spec = _spec(cli, app_ns, external=True)
    result = cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns)
    out = result.stdout
    for header in ("SERVICE: web", "Dockerfile Generation", "Image build and Push",
                   "Manifest Generation", "Deployment", "Deployment info"):
        assert f"{header:^50}" in out, header
    assert out.index("Building image") < out.index("Generating manifests") < out.index("Deploying")
    assert "[ACTION]  Deploying ...." in out and "[DONE]" in out
    assert result.stages("web") == dict.fromkeys(STAGES, "first run (no successful run recorded)")
    assert f"Manifests  path : {cli.service_dir(app_ns, 'web')}" in out
    # Nothing on the test cluster assigns a LoadBalancer address; what the address line of an
    # external service says then is cluster/address.py's to settle: here only that it is printed.
    assert "[INFO]  Service IP : " in out or "[INFO]  Service address : " in out
    # An external service answers from outside the cluster, on its node port of the node.
    live = cluster.core().read_namespaced_service("web", app_ns)
    assert live.spec is not None and live.spec.ports is not None
    [port] = live.spec.ports
    assert http_get(f"http://{cluster.node_ip}:{port.node_port}/").startswith("testapp web-")

    again = cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns)
    assert again.stages("web") == dict.fromkeys(STAGES, "up to date")
    assert again.stdout.count("[SKIPPED]") == len(STAGES)


def test_deploy_json(cli: Workspace, app_ns: str) -> None:
    spec = _spec(cli, app_ns)
    first = cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns,
                        "-o", "JSON").json
    [status] = first["serviceStatus"]
    assert status["name"] == "web" and status["message"].startswith(f"web.{app_ns}.svc:8080 ")
    assert "exitCode" not in status and ran(status) == STAGES
    [again] = cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns,
                          "-o", "json").json["serviceStatus"]
    assert ran(again) == [] and {s["reason"] for s in again["stages"]} == {"up to date"}


def test_one_state_with_doit_both_ways(cli: Workspace, app_ns: str) -> None:
    spec = _spec(cli, app_ns)
    cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns)
    assert cli.doit_app(app_ns, f"namespace={app_ns}", "deploy:web").executed == []

    cli.edit(spec, props={"GREETING": "changed by doit"})
    assert cli.doit_app(app_ns, f"namespace={app_ns}", "deploy:web").executed == \
        ["spec:web", "manifests:web", "deploy:web"]
    [status] = cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns,
                           "-o", "json").json["serviceStatus"]
    assert ran(status) == []


def test_every_stage_says_why(cli: Workspace, cluster: Cluster, app_ns: str) -> None:
    spec = _spec(cli, app_ns)
    deploy = ["deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns]
    cli.hyscale(*deploy)
    cli.edit(spec, props={"GREETING": "hi"}, replicas=2)
    assert cli.hyscale(*deploy).stages("web") == {
        "spec": "web.hspec changed", "dockerfile": "up to date", "build": "up to date",
        "push": "up to date", "manifests": "prop GREETING, replicas changed",
        "deploy": "prop GREETING, replicas changed; the manifests changed"}

    client.AppsV1Api(cluster.api_client()).delete_namespaced_deployment("web", app_ns)
    assert cli.hyscale(*deploy).stages("web")["deploy"] == \
        f"no longer true: the cluster still runs what was last deployed to namespace {app_ns} " \
        "(Deployment web is gone)"

    other = cluster.namespace("cli")
    assert cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", other).stages(
        "web")["deploy"].startswith("settings changed: ")


def test_specs_anywhere_relative_to_the_working_folder(cli: Workspace, app_ns: str) -> None:
    project = cli.apps.parent / "project"
    cli.testapp(project / "deploy" / "api.hspec", "api", props={"NOTE": "file(notes/note.txt)"})
    (project / "deploy" / "notes").mkdir()
    (project / "deploy" / "notes" / "note.txt").write_text("first\n")
    cli.cwd = project
    args = ["deploy", "service", "-f", "deploy/api.hspec", "-a", app_ns, "-n", app_ns]
    cli.hyscale(*args)
    # doit reaches the same spec through specs= (what hyscale hands it), and agrees
    spec_var = f"specs={project / 'deploy' / 'api.hspec'}"
    listed = cli.doit_app(app_ns, spec_var, f"namespace={app_ns}", "list", "--all", "--status")
    assert "U deploy:api" in listed.stdout and "U spec:api" in listed.stdout
    (project / "deploy" / "notes" / "note.txt").write_text("second\n")
    assert cli.hyscale(*args).stages("api")["spec"] == "note.txt changed"


def test_doit_info_is_a_dry_run_check(cli: Workspace, cluster: Cluster, app_ns: str) -> None:
    spec = _spec(cli, app_ns)
    cli.hyscale("deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns)
    info = ["info", "deploy:web", f"namespace={app_ns}"]
    assert "status     : up-to-date" in cli.doit_app(app_ns, *info).stdout
    client.AppsV1Api(cluster.api_client()).delete_namespaced_deployment("web", app_ns)
    drift = cli.doit_app(app_ns, *info, check=False)
    assert drift.returncode == 1
    assert "the cluster still runs what was last deployed" in drift.stdout


def test_a_failing_service_does_not_stop_the_others(cli: Workspace, app_ns: str) -> None:
    bad = _spec(cli, app_ns, "bad", props=crash(3, "cannot start\\n"))
    good = _spec(cli, app_ns, "good")
    result = cli.hyscale("deploy", "service", "-f", f"{bad},{good}", "-a", app_ns, "-n", app_ns,
                         "-o", "json", code=11)
    statuses = {s["name"]: s for s in result.json["serviceStatus"]}
    assert statuses["bad"]["exitCode"] == 120
    assert "Deployment of bad failed" in statuses["bad"]["message"]
    assert "cannot start" in statuses["bad"]["message"]  # the last lines of its log
    assert "exitCode" not in statuses["good"]
    assert statuses["good"]["message"].startswith(f"good.{app_ns}.svc:8080 ")

    human = cli.hyscale("deploy", "service", "-f", f"{bad},{good}", "-a", app_ns, "-n", app_ns,
                        code=11)
    assert "[FAILED]" in human.stdout and human.stages("bad")["deploy"] == \
        "first run (no successful run recorded)"  # a failed stage re-runs next time
    assert human.stages("good")["deploy"] == "up to date"


def test_generate_manifests(offline: Workspace) -> None:
    spec = offline.prebuilt(offline.apps / "shop" / "web.hspec", "web", "registry.local/web:1")
    result = offline.hyscale("generate", "service", "manifests", "-f", str(spec), "-a", "shop")
    folder = offline.service_dir("shop", "web") / "generated-files" / "manifests"
    assert f"Manifests  path : {folder}" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == \
        ["configmap.yaml", "deployment.yaml", "service.yaml"]
    assert result.stages("web") == {"spec": "first run (no successful run recorded)",
                                    "manifests": "first run (no successful run recorded)"}
    assert offline.doit_app("shop", "manifests:web").executed == []  # doit's render agrees
    assert offline.hyscale("generate", "service", "manifests", "-f", str(spec), "-a",
                           "shop").stages("web") == {"spec": "up to date",
                                                     "manifests": "up to date"}


@pytest.mark.parametrize("word", ["deploy", "generate"])
def test_a_user_profile_variable_does_not_slip_in(cli: Workspace, app_ns: str,
                                                  word: str) -> None:
    """HYSCALE_PROFILE in the environment is for doit; hyscale takes -P only."""
    spec = _spec(cli, app_ns)
    cli.extra_env["HYSCALE_PROFILE"] = "prod"
    args = ["deploy", "service", "-f", str(spec), "-a", app_ns, "-n", app_ns] if word == "deploy" \
        else ["generate", "service", "manifests", "-f", str(spec), "-a", app_ns]
    cli.hyscale(*args)
