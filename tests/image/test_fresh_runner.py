"""A fresh CI runner builds and pushes nothing that the registry already has.

A fresh runner is: an empty HYSCALE_HOME, a Docker engine with an empty data-root (a second
dockerd, testing/dockerd.py) and a new copy of the app's files (every mtime new). The app
has one service of each buildable kind: a generated Dockerfile (``web``), a user Dockerfile with
build args and a target (``api``) and a stack image used as it is (``base``), first pushed from
the usual engine. Relays count what reaches the second engine and the registry: on a fresh
runner the tool reads the registry (manifest and config per service) and writes nothing there,
and the second engine gets no call at all. Also here: new mtimes alone (a fresh checkout under
an existing HYSCALE_HOME) run nothing anywhere in the chain.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyscale_tasks.image.inputs import INPUTS_LABEL
from testing.fresh import Fresh, touch_all
from testing.image_app import DOCKERFILE
from testing.registry import Registry
from testing.relay import Relay
from testing.workspace import assert_no_secret

pytestmark = pytest.mark.docker

SERVICES = ("web", "api", "base")
IN_REGISTRY = "image for these inputs already in the registry (sha256:"


@pytest.fixture
def fresh(tmp_path: Path, registry: Registry, docker_client: Any) -> Iterator[Fresh]:
    with Fresh.started(tmp_path, registry, "fresh") as started:
        app = started.pushed
        app.generated("web", f"web of {app.name}\n")
        app.user_dockerfile("api", DOCKERFILE, {"included.txt": app.name, "ignored.txt": "",
                                                ".dockerignore": "ignored.txt\n"},
                            args={"BASE": registry.stack_image}, target="release")
        app.stack_as_is("base")
        app.run("push", "manifests")
        yield started


def _second_engine(fresh: Fresh) -> Any:
    import docker

    return docker.DockerClient(base_url=fresh.engine.url, timeout=60)


def test_a_fresh_runner_builds_nothing_pushes_nothing_and_pins_the_same_digests(
        fresh: Fresh, registry: Registry) -> None:
    runner = fresh.runner()
    result = runner.run("push", "manifests")

    assert {f"{stage}:{s}" for stage in ("build", "push") for s in SERVICES} <= set(result.executed)
    assert fresh.engine_relay.snapshot() == (0, [])  # no build, no pull, no login check, no push
    assert fresh.uploads() == []
    assert {r.method for r in fresh.registry.snapshot()[1]} <= {"GET", "HEAD"}
    for service in SERVICES:
        assert runner.push_record(service)["digest"] == fresh.pushed.push_record(service)["digest"]
        assert runner.deployed_image(service) == fresh.pushed.deployed_image(service)
        built = runner.build_record(service)
        assert built["source"] == "registry" and built["inputs"].startswith("sha256:")
        assert built["note"].startswith(IN_REGISTRY)
        assert built["inputs"] == fresh.pushed.build_record(service)["inputs"]
    assert result.stderr.count(IN_REGISTRY) == 2 * len(SERVICES), result.stderr  # build and push
    client = _second_engine(fresh)
    try:
        assert client.images.list(all=True) == []  # the engine stayed empty
    finally:
        client.close()

    assert_no_secret(runner, registry.password, registry.auth)  # the probe used the login

    fresh.engine_relay.reset()
    fresh.registry.reset()
    again = runner.run("push", "manifests")  # now an ordinary no-op: one read per service
    assert again.executed == []
    assert fresh.engine_relay.snapshot() == (0, [])
    assert sorted((r.method, r.path) for r in fresh.registry.snapshot()[1]) == sorted(
        ("HEAD", f"/v2/{runner.repository(s)}/manifests/1.0") for s in SERVICES)


def test_the_jsonl_reporter_gives_why_nothing_was_built_or_pushed(fresh: Fresh) -> None:
    runner = fresh.runner()
    result = runner.run("-r", "jsonl", "push")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    found = {event["task"]: event.get("reason", "") for event in events
             if event["event"] == "success" and event["stage"] in ("build", "push")}
    assert sorted(found) == sorted(f"{stage}:{s}" for stage in ("build", "push") for s in SERVICES)
    for task, reason in found.items():
        service = task.split(":")[1]
        digest = runner.push_record(service)["digest"]
        assert reason.startswith(f"{IN_REGISTRY}{digest.removeprefix('sha256:')}): "), reason
        assert reason.endswith("nothing built" if task.startswith("build") else "nothing pushed") \
            or "nothing pulled" in reason, reason


def test_one_changed_artifact_on_a_fresh_runner_rebuilds_exactly_that_service(fresh: Fresh) -> None:
    runner = fresh.runner()
    runner.artifact("web").write_text(f"web v2 of {runner.name}\n")
    result = runner.run("push", "manifests")

    assert len(fresh.builds()) == 1, fresh.engine_relay.snapshot()
    assert runner.build_record("web")["source"] == "built"
    assert [runner.build_record(s)["source"] for s in ("api", "base")] == ["registry", "registry"]
    uploaded = {r.path.split("/")[3] for r in fresh.uploads()}  # /v2/<app>/<service>/...
    assert uploaded == {"web"}, fresh.uploads()
    pushed = runner.push_record("web")
    assert pushed["digest"] != fresh.pushed.push_record("web")["digest"]
    assert fresh.pushed.registry is not None
    assert fresh.pushed.registry.served_digest(runner.repository("web"), "1.0") == pushed["digest"]
    assert runner.build_record("web")["inputs"] != fresh.pushed.build_record("web")["inputs"]
    for service in ("api", "base"):
        assert runner.deployed_image(service) == fresh.pushed.deployed_image(service)
    assert IN_REGISTRY in result.stderr  # for api and base
    assert runner.run("push", "manifests").executed == []


def _overwrite(docker_client: Any, registry: Registry, repository: str, labels: dict[str, str]) -> str:
    """Someone else pushes another image under ``repository:1.0``; its digest."""
    dockerfile = f"FROM {registry.stack_image}\nRUN echo someone else > /owner.txt\n"
    reference = f"{registry.host}/{repository}"
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=f"{reference}:1.0",
                               labels=labels, rm=True)
    docker_client.api.push(reference, tag="1.0", auth_config={"username": registry.user,
                                                              "password": registry.password})
    digest = registry.served_digest(repository, "1.0")
    assert digest is not None
    return digest


@pytest.mark.parametrize("labels", [{INPUTS_LABEL: "sha256:" + "0" * 64}, {}],
                         ids=["other-inputs", "no-label"])
def test_a_tag_overwritten_by_someone_else_is_noticed_rebuilt_and_pushed_again(
        fresh: Fresh, registry: Registry, docker_client: Any, labels: dict[str, str]) -> None:
    repository = fresh.pushed.repository("api")
    theirs = _overwrite(docker_client, registry, repository, labels)
    runner = fresh.runner()
    result = runner.run("push", "manifests")

    said = f"was built from other inputs ({labels[INPUTS_LABEL]})" if labels else \
        f"does not say what it was built from (no {INPUTS_LABEL} label)"
    reference = f"{runner.registry_host}/{repository}:1.0"
    assert f"the registry's {reference} ({theirs}) {said}" in result.stderr, result.stderr
    assert runner.build_record("api")["note"].startswith(f"the registry's {reference} ({theirs})")
    assert len(fresh.builds()) == 1
    assert {r.path.split("/")[3] for r in fresh.uploads()} == {"api"}
    ours = runner.push_record("api")["digest"]
    assert ours != theirs and registry.served_digest(repository, "1.0") == ours
    assert runner.deployed_image("api") == f"{reference}@{ours}"
    assert runner.run("push", "manifests").executed == []


def test_new_mtimes_alone_run_nothing_in_the_whole_chain(fresh: Fresh, docker_relay: Relay) -> None:
    """A fresh checkout under an existing HYSCALE_HOME: every file of the app has a new mtime,
    none a new content. doit compares content (md5) and the build context digest re-hashes a
    file whose mtime changed: nothing runs, Docker is not asked."""
    app = fresh.pushed
    touch_all(app.folder, time.time() + 7200)
    app.extra_env["DOCKER_HOST"] = docker_relay.url
    docker_relay.reset()
    result = app.run("push", "manifests")
    assert result.executed == []
    assert docker_relay.snapshot() == (0, [])
    assert app.run("push", "manifests").executed == []
