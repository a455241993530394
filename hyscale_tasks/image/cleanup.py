"""HyScale's image clean-up policy, ``HYS_IMAGE_CLEANUP_POLICY`` (§1.5, §5.1 step 10).

Only images this tool built are touched: they carry the ``imageowner=hyscale`` label. Removal
never forces: an image a container still uses stays.
"""

from __future__ import annotations

import os

import docker

from hyscale_tasks.image.build import OWNER_LABEL
from hyscale_tasks.image.client import docker_errors

POLICIES = ("PRESERVE_N_RECENTLY_USED", "DELETE_AFTER_BUILD", "PRESERVE_ALL", "DELETE_ALL")
DEFAULT_POLICY = "PRESERVE_N_RECENTLY_USED"
PRESERVE_N = 3


def policy() -> str:
    """The policy in force; unknown values fall back to the default, as in HyScale."""
    chosen = os.environ.get("HYS_IMAGE_CLEANUP_POLICY", "").strip().upper()
    return chosen if chosen in POLICIES else DEFAULT_POLICY


def clean_up(client: docker.DockerClient, repository: str, tag: str) -> list[str]:
    """Apply the policy after pushing ``repository:tag``; returns the ids removed."""
    chosen = policy()
    label = "=".join(next(iter(OWNER_LABEL.items())))
    with docker_errors("list images for clean-up"):
        if chosen == "PRESERVE_ALL":
            return []
        if chosen == "DELETE_ALL":
            images = client.images.list(filters={"label": label})
        elif chosen == "DELETE_AFTER_BUILD":
            images = client.images.list(name=f"{repository}:{tag}", filters={"label": label})
        else:
            images = client.images.list(name=repository, filters={"label": label})
            images = sorted(images, key=lambda image: str(image.attrs.get("Created", "")),
                            reverse=True)[PRESERVE_N:]
    removed = []
    for image in images:
        # By tag: an image we tagged twice (hyscale.io/... and the registry name) cannot be
        # removed by id without force; once its last tag goes, docker removes the image.
        for reference in image.tags or [image.id]:
            try:
                client.images.remove(reference, force=False, noprune=False)
                removed.append(str(reference))
            except docker.errors.APIError:
                pass  # used by a container: keep it, as a plain docker rmi would
    return removed
