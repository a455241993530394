"""Removing the images a test run or a benchmark built from the Docker engine, by a marker in
their names."""

from __future__ import annotations

import contextlib


def remove_images_named(marker: str) -> None:
    """Remove the engine's images with ``marker`` in a tag or repository digest (an image that
    lost its tag to a newer build keeps its repository digest)."""
    try:
        import docker

        engine = docker.from_env(timeout=60)
    except Exception:  # no engine: nothing was built
        return
    with contextlib.closing(engine):
        # The low-level listing: images.list() reads each image again, and fails when another
        # test process removes one meanwhile.
        for image in engine.api.images():
            names = [*(image.get("RepoTags") or []), *(image.get("RepoDigests") or [])]
            if any(marker in name for name in names):
                with contextlib.suppress(docker.errors.APIError):
                    engine.images.remove(image["Id"], force=True)
