"""build:<svc> and push:<svc> against the real engine and registry, through the real doit CLI.

What each image kind does (HyScale §4.1, §5.1): a generated Dockerfile and a user Dockerfile are
built and pushed; a stack image with nothing to add is pulled, tagged and pushed as it is; a
prebuilt image is never built nor pushed. The push record holds the digest the registry serves,
and the manifests pin it; content decides what re-runs.
"""

from __future__ import annotations

import json
import os
from typing import Any

import docker
import pytest

from hyscale_tasks.image.inputs import INPUTS_LABEL
from testing.image_app import DOCKERFILE, app_name, fetch_from_container, make_app, run_in_image
from testing.registry import Registry
from testing.relay import Relay
from testing.workspace import NewApp, Workspace, assert_no_secret

pytestmark = pytest.mark.docker

ALL_STAGES = ["spec:{0}", "dockerfile:{0}", "build:{0}", "push:{0}", "manifests:{0}"]


def stages(service: str) -> list[str]:
    return [stage.format(service) for stage in ALL_STAGES]


# One line of output that the build writes in two pieces, a moment apart.
CONFIGURE = ("echo configured-by-hyscale > /www/configured.txt\n"
             "printf 'one line: '; sleep 0.3; echo 'written in two pieces'")


# -- a generated Dockerfile, built once for the module (first run with verbose=1) ------------
@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, registry: Registry, docker_client: Any) -> Workspace:
    app = make_app(tmp_path_factory.mktemp("web"), app_name("web"), registry)
    app.generated("web", f"<h1>hello from {app.name}</h1>\n", config_commands=CONFIGURE)
    app.run("verbose=1", "push:web", "manifests:web")
    return app


def test_generated_dockerfile_is_built_pushed_and_its_digest_recorded(
        web: Workspace, registry: Registry, docker_client: Any) -> None:
    assert web.results[0].executed == stages("web")
    pushed = web.push_record("web")
    repository = web.repository("web")
    assert (pushed["registry"], pushed["repository"], pushed["tag"]) == (registry.host, repository, "1.0")
    assert pushed["digest"].startswith("sha256:")
    assert registry.served_digest(repository, "1.0") == pushed["digest"]
    # HyScale's names: hyscale.io/<app>/<svc>:<tag> locally, <registry>/<name>:<tag> pushed
    local = docker_client.images.get(web.local_tag("web"))
    remote = docker_client.images.get(f"{registry.host}/{repository}:1.0")
    assert local.id == remote.id == pushed["imageId"] == web.build_record("web")["imageId"]
    # both labels, put into the generated Dockerfile as one step (image/build.py)
    assert local.labels.get("imageowner") == "hyscale"
    assert local.labels.get(INPUTS_LABEL, "").startswith("sha256:")
    assert f"{registry.host}/{repository}@{pushed['digest']}" in remote.attrs["RepoDigests"]
    reference = f"{registry.host}/{repository}:1.0@{pushed['digest']}"
    assert pushed["reference"] == reference
    assert web.deployed_image("web") == reference


def test_the_pushed_image_runs_what_was_built(web: Workspace, docker_client: Any) -> None:
    """The artifact is served by the run command (httpd) and the configure step's file is there."""
    answers = fetch_from_container(docker_client, web.push_record("web")["reference"],
                                   ["/index.html", "/configured.txt"])
    assert answers == {"/index.html": web.artifact("web").read_text(),
                       "/configured.txt": "configured-by-hyscale\n"}


def test_build_log_and_push_log_hold_what_docker_said(web: Workspace, registry: Registry) -> None:
    paths = web.paths("web")
    pushed = web.push_record("web")
    build_log = paths.build_log.read_text()
    assert f"FROM {registry.stack_image}" in build_log
    assert "Step 1/" in build_log and "COPY artifacts/site/index.html /www/" in build_log
    assert "RUN /hyscale/init_scripts/configure.sh" in build_log
    assert "configured-by-hyscale" in build_log  # the configure script ran (set -x echoes it)
    assert f"Successfully built {pushed['imageId'].removeprefix('sha256:')[:12]}" in build_log
    assert f"Successfully tagged {web.local_tag('web')}" in build_log
    push_log = paths.push_log.read_text()
    assert f"The push refers to repository [{registry.host}/{web.repository('web')}]" in push_log
    assert f"1.0: digest: {pushed['digest']}" in push_log
    for log in (paths.build_log, paths.push_log):
        assert log.stat().st_mode & 0o777 == 0o600


def test_verbose_echoes_the_build_log_to_the_console(web: Workspace, registry: Registry) -> None:
    first = web.results[0]
    # 8: the generated Dockerfile's 7 and one LABEL for the owner and inputs labels
    assert f"Step 1/8 : FROM {registry.stack_image}" in first.stderr
    assert "Successfully built" in first.stderr
    assert f"The push refers to repository [{registry.host}/{web.repository('web')}]" in first.stderr


def test_a_second_run_executes_nothing(web: Workspace) -> None:
    assert web.run("push:web", "manifests:web").executed == []


def test_no_registry_secret_in_logs_records_state_or_output(web: Workspace, registry: Registry) -> None:
    assert_no_secret(web, registry.password, registry.auth)


# -- a user Dockerfile: build args, target, .dockerignore ------------------------------------
INSPECT = ("cat /greeting.txt; ls -A /ctx; cat /ctx/included.txt; echo; "
           "if [ -e /debug.txt ]; then echo debug-stage; else echo no-debug-stage; fi")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, registry: Registry, docker_client: Any) -> Workspace:
    app = make_app(tmp_path_factory.mktemp("api"), app_name("api"), registry)
    app.user_dockerfile("api", DOCKERFILE,
                        {"included.txt": f"included v1 {app.name}", "ignored.txt": "scratch v1",
                         ".dockerignore": "ignored.txt\n"},
                        args={"BASE": registry.stack_image, "GREETING": "hello from a build arg"},
                        target="release")
    app.run("push:api")
    return app


def test_user_dockerfile_is_built_with_its_args_and_target(
        api: Workspace, registry: Registry, docker_client: Any) -> None:
    first = api.results[0]
    assert first.executed == ["spec:api", "dockerfile:api", "build:api", "push:api"]
    assert api.build_record("api")["decision"] == "user-dockerfile"
    pushed = api.push_record("api")
    # a user's Dockerfile is sent as it is: the labels are build options (HyScale's --label)
    labels = docker_client.images.get(pushed["reference"].split("@")[0]).labels
    assert labels.get("imageowner") == "hyscale" and labels.get(INPUTS_LABEL, "").startswith("sha256:")
    assert registry.served_digest(api.repository("api"), "1.0") == pushed["digest"]
    output = run_in_image(docker_client, pushed["reference"], INSPECT).split("\n")
    assert output[0] == "hello from a build arg"  # args
    assert output[-2] == "no-debug-stage"  # target: the build stopped at "release"
    listed = output[1:-3]
    assert "included.txt" in listed and "ignored.txt" not in listed  # .dockerignore
    assert output[-3] == (api.folder / "api" / "included.txt").read_text()
    # without verbose=1 the build log stays in logs/build.log
    assert "Step 1/" not in first.stdout + first.stderr
    assert "Step 1/" in api.paths("api").build_log.read_text()


def test_dockerignore_decides_whether_the_context_changed(
        api: Workspace, registry: Registry, docker_client: Any) -> None:
    before = api.push_record("api")
    (api.folder / "api" / "ignored.txt").write_text("scratch v2: not sent to docker")
    assert api.run("push:api").executed == []
    (api.folder / "api" / "included.txt").write_text(f"included v2 {api.name}")
    result = api.run("push:api")
    assert result.executed == ["build:api", "push:api"]
    after = api.push_record("api")
    assert after["digest"] != before["digest"]
    assert registry.served_digest(api.repository("api"), "1.0") == after["digest"]
    assert run_in_image(docker_client, after["reference"], "cat /ctx/included.txt") == \
        f"included v2 {api.name}"


# -- stack image as is, prebuilt image ---------------------------------------------------
def test_stack_image_with_nothing_to_add_is_pulled_tagged_and_pushed_as_is(
        new_app: NewApp, registry: Registry, docker_client: Any) -> None:
    app = new_app("stack")
    app.stack_as_is("base")
    result = app.run("push:base", "manifests:base")
    assert result.executed == stages("base")
    stack = docker_client.images.get(registry.stack_image)
    built = app.build_record("base")
    assert (built["decision"], built["imageId"]) == ("stack-image", stack.id)
    assert f"docker pull {registry.stack_image}" in app.paths("base").build_log.read_text()
    with pytest.raises(docker.errors.ImageNotFound):  # nothing was built
        docker_client.images.get(app.local_tag("base"))
    repository = app.repository("base")
    assert docker_client.images.get(f"{registry.host}/{repository}:1.0").id == stack.id
    pushed = app.push_record("base")
    stack_repository, _, stack_tag = registry.stack_image.split("/", 1)[1].rpartition(":")
    # the very same manifest, now under the service's name
    assert registry.served_digest(repository, "1.0") == pushed["digest"] == \
        registry.served_digest(stack_repository, stack_tag)
    assert app.deployed_image("base") == f"{registry.host}/{repository}:1.0@{pushed['digest']}"


def test_prebuilt_image_is_neither_built_nor_pushed_and_makes_no_docker_call(
        new_app: NewApp, registry: Registry, docker_relay: Relay, registry_relay: Relay) -> None:
    app = new_app("prebuilt", registry_host=registry_relay.host)
    app.existing_image("db", registry_relay.host, "stack/busybox", "1.36")
    app.extra_env["DOCKER_HOST"] = docker_relay.url
    first = app.run("push:db", "manifests:db")
    assert first.executed == stages("db")  # the stages only record the decision
    assert app.build_record("db")["decision"] == "prebuilt-image"
    assert docker_relay.snapshot() == (0, [])
    assert registry_relay.snapshot() == (0, [])
    paths = app.paths("db")
    assert not paths.build_log.exists() and not paths.push_log.exists()
    assert app.deployed_image("db") == f"{registry_relay.host}/stack/busybox:1.36"  # by tag
    assert app.run("push:db", "manifests:db").executed == []
    assert docker_relay.snapshot() == (0, [])
    assert registry_relay.snapshot() == (0, [])


# -- what re-runs after a change ---------------------------------------------------------
def test_artifact_change_rebuilds_repushes_and_repins_the_manifests(
        new_app: NewApp, registry: Registry, docker_client: Any) -> None:
    app = new_app("artifact")
    app.generated("web", f"v1 {app.name}")
    app.run("push:web", "manifests:web")
    first = app.push_record("web")
    app.artifact("web").write_text(f"v2 {app.name}")
    result = app.run("push:web", "manifests:web")
    assert result.executed == ["dockerfile:web", "build:web", "push:web", "manifests:web"]
    second = app.push_record("web")
    assert second["imageId"] != first["imageId"] and second["digest"] != first["digest"]
    assert registry.served_digest(app.repository("web"), "1.0") == second["digest"]
    assert app.deployed_image("web") == f"{registry.host}/{app.repository('web')}:1.0@{second['digest']}"
    assert run_in_image(docker_client, second["reference"], "cat /www/index.html") == f"v2 {app.name}"
    deployment = app.paths("web").manifests / "deployment.yaml"
    rendered = deployment.read_bytes(), deployment.stat().st_mtime_ns
    assert app.run("push:web", "manifests:web").executed == []
    assert (deployment.read_bytes(), deployment.stat().st_mtime_ns) == rendered


def test_a_rebuild_that_yields_the_same_image_changes_nothing_downstream(
        new_app: NewApp, registry: Registry) -> None:
    """A build-half edit that leaves the image as it is (a configCommandsScript, which the
    configCommands override, HyScale §4.2) re-runs build; docker gives the very same image, so
    the build record is unchanged, push does not run and the manifests keep the pinned image
    (manifests:web does re-render: the hyscale.io/service-spec annotation holds the edited spec)."""
    app = new_app("samebuild")
    spec = app.generated("web", f"same {app.name}")
    app.run("push:web", "manifests:web")
    pushed = app.push_record("web")
    text = spec.read_text()
    spec.write_text(text.replace("    configCommands:", "    configCommandsScript: ignored.sh\n"
                                 "    configCommands:"))
    pinned = app.deployed_image("web")
    result = app.run("push:web", "manifests:web")
    assert result.executed == ["spec:web", "dockerfile:web", "build:web", "manifests:web"]
    assert "ignoring script file" in result.stderr
    assert app.build_record("web")["imageId"] == pushed["imageId"]
    assert app.push_record("web") == pushed
    assert app.deployed_image("web") == pinned


def test_tag_only_change_repushes_and_rerenders(new_app: NewApp, registry: Registry) -> None:
    app = new_app("retag")
    app.generated("web", f"retag {app.name}")
    app.run("push:web", "manifests:web")
    first = app.push_record("web")
    app.set_tag("web", "1.1")
    result = app.run("push:web", "manifests:web")
    assert {"push:web", "manifests:web"} <= set(result.executed)
    second = app.push_record("web")
    assert (second["tag"], second["digest"]) == ("1.1", first["digest"])  # same content
    repository = app.repository("web")
    assert registry.served_digest(repository, "1.1") == first["digest"]
    assert registry.served_digest(repository, "1.0") == first["digest"]  # the old tag is left alone
    assert app.deployed_image("web") == f"{registry.host}/{repository}:1.1@{first['digest']}"
    assert app.run("push:web", "manifests:web").executed == []


def test_registry_with_a_namespace_is_pushed_and_pinned(new_app: NewApp, registry: Registry) -> None:
    app = new_app("namespaced")
    app.generated("web", f"namespaced {app.name}")
    spec = app.folder / "web.hspec"
    spec.write_text(spec.read_text().replace(f"registry: {registry.host}\n",
                                             f"registry: {registry.host}/{app.name}\n")
                    .replace(f"name: {app.name}/web\n", "name: web\n"))
    app.run("push:web", "manifests:web")
    digest = registry.served_digest(f"{app.name}/web", "1.0")
    assert digest == app.push_record("web")["digest"]
    assert app.deployed_image("web") == f"{registry.host}/{app.name}/web:1.0@{digest}"


HELPER = """#!/bin/sh
# docker-credential-<name>: the credential helper protocol (get/list/store/erase on stdin)
case "$1" in
  get) read -r server
       printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$server" USER PASSWORD ;;
  list) printf '{"HOST":"USER"}' ;;
  *) cat >/dev/null ;;
esac
"""


@pytest.mark.parametrize("setting", ["credHelpers", "credsStore"])
def test_push_uses_the_login_of_a_docker_credential_helper(
        new_app: NewApp, registry: Registry, setting: str) -> None:
    app = new_app("helper", login=None)
    folder = app.docker_config.parent / "bin"
    folder.mkdir()
    helper = folder / "docker-credential-hyscaletest"
    helper.write_text(HELPER.replace("USER", registry.user).replace("PASSWORD", registry.password)
                      .replace("HOST", registry.host))
    helper.chmod(0o755)
    value: object = {registry.host: "hyscaletest"} if setting == "credHelpers" else "hyscaletest"
    (app.docker_config / "config.json").write_text(json.dumps({setting: value}))
    app.extra_env["PATH"] = f"{folder}:{os.environ['PATH']}"
    app.generated("web", "pushed with a credential helper\n")  # one image for both cases
    app.run("push:web")
    assert registry.served_digest(app.repository("web"), "1.0") == app.push_record("web")["digest"]
