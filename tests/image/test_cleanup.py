"""HYS_IMAGE_CLEANUP_POLICY after a push (HyScale §5.1 step 10): which local images stay.

Only images this tool built (label ``imageowner=hyscale``) of the pushed repository are touched;
the registry keeps everything.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import pytest

from hyscale_tasks.image.cleanup import clean_up
from testing.registry import Registry
from testing.workspace import NewApp, Workspace

pytestmark = pytest.mark.docker

OURS = {"label": "imageowner=hyscale"}


def _ours(docker_client: Any, repository: str) -> set[str]:
    return {image.id for image in docker_client.images.list(name=repository, filters=OURS)}


def _push_new_image(app: Workspace, docker_client: Any, n: int) -> str:
    """Build and push build number ``n`` (new content, tag 1.<n>) and return its image id.

    Docker lists images with a creation time in whole seconds, and the policy keeps the newest:
    each build starts in a later second than the previous image's, so "newest" is unambiguous."""
    app.generated("web", f"build {n} of {app.name}", tag=f"1.{n}")
    if n > 1:
        previous = docker_client.images.get(app.local_tag("web", f"1.{n - 1}")).attrs["Created"]
        created = datetime.fromisoformat(previous[:19]).replace(tzinfo=UTC).timestamp()
        wait = created + 1 - time.time()
        time.sleep(max(0.0, min(wait, 1.0)))
    result = app.run("push:web")
    assert {"build:web", "push:web"} <= set(result.executed)
    return str(app.push_record("web")["imageId"])


def test_preserve_all_keeps_every_image_and_preserve_n_recently_used_keeps_the_newest_three(
        new_app: NewApp, registry: Registry, docker_client: Any) -> None:
    app = new_app("keep")
    repository = f"{registry.host}/{app.repository('web')}"
    stack = docker_client.images.get(registry.stack_image)
    stack.tag(repository, "foreign")  # same repository, not ours: no label, never removed
    app.extra_env["HYS_IMAGE_CLEANUP_POLICY"] = "PRESERVE_ALL"
    built = {n: _push_new_image(app, docker_client, n) for n in range(1, 5)}
    assert _ours(docker_client, repository) == set(built.values())
    # The policy is an input of push: changing it re-runs the push (same image), then clean-up.
    app.extra_env["HYS_IMAGE_CLEANUP_POLICY"] = "PRESERVE_N_RECENTLY_USED"
    assert app.run("push:web").executed == ["push:web"]
    assert _ours(docker_client, repository) == {built[2], built[3], built[4]}
    with pytest.raises(docker.errors.ImageNotFound):  # every tag of it went: both names
        docker_client.images.get(built[1])
    assert docker_client.images.get(f"{repository}:foreign").id == stack.id
    for n in range(1, 5):  # clean-up is local only
        assert registry.served_digest(app.repository("web"), f"1.{n}") is not None


def test_delete_after_build_removes_the_pushed_image_locally_and_the_next_run_does_nothing(
        new_app: NewApp, registry: Registry, docker_client: Any) -> None:
    app = new_app("dropped")
    app.extra_env["HYS_IMAGE_CLEANUP_POLICY"] = "DELETE_AFTER_BUILD"
    app.generated("web", f"dropped {app.name}")
    app.run("push:web")
    pushed = app.push_record("web")
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(pushed["imageId"])
    assert registry.served_digest(app.repository("web"), "1.0") == pushed["digest"]
    assert app.run("push:web").executed == []  # the registry serves it: nothing to rebuild


def test_the_pushed_image_counts_as_the_newest_however_old_its_build(
        registry: Registry, docker_client: Any, tmp_path: Path) -> None:
    """The build cache can hand back an image built long ago (an artifact changed back): the
    default policy then still keeps it, and removes the oldest of the others instead."""
    repository = f"{registry.host}/cleanup-{secrets.token_hex(4)}"
    built: list[str] = []
    try:
        for n in range(4):
            (tmp_path / "Dockerfile").write_text(
                f"FROM {registry.stack_image}\nLABEL imageowner=hyscale build={n}\n")
            if built:  # creation times are listed in whole seconds: one build per second
                time.sleep(max(0.0, 1.05 - (time.time() % 1.0)))
            image, _ = docker_client.images.build(path=str(tmp_path), tag=f"{repository}:1.{n}")
            built.append(image.id)

        clean_up(docker_client, repository, "1.0", pushed=built[0])

        assert _ours(docker_client, repository) == {built[0], built[2], built[3]}
    finally:
        for n in range(4):
            with contextlib.suppress(docker.errors.ImageNotFound):
                docker_client.images.remove(f"{repository}:1.{n}")
