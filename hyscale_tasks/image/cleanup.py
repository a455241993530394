"""HyScale's image clean-up policy, ``HYS_IMAGE_CLEANUP_POLICY`` (§1.5, §5.1 step 10).

Only images this tool built are touched: they carry the ``imageowner=hyscale`` label. Removal
never forces: an image a container still uses stays.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

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


@contextmanager
def around_push(client: docker.DockerClient, repository: str, tag: str,
                pushed: str) -> Iterator[None]:
    """Apply the policy for the push of image ``pushed`` as ``repository:tag`` that the block
    makes. The default policy removes only older images, never the one pushed, so it runs in a
    thread while the push runs: one after the other, its listing and removals added ~50 ms
    between a push and the deploy. The deleting policies remove the pushed image as well: they
    run once the push is done, and not after a push that failed."""
    if policy() != DEFAULT_POLICY:
        yield
        clean_up(client, repository, tag)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-clean-up") as alongside:
        cleaning = alongside.submit(clean_up, client, repository, tag, pushed)
        yield
        cleaning.result()


def clean_up(client: docker.DockerClient, repository: str, tag: str,
             pushed: str | None = None) -> list[str]:
    """Apply the policy after pushing ``repository:tag`` (image ``pushed``, which the default
    policy counts as the most recently used, however old the build cache made it); returns the
    ids removed."""
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
            images = sorted(images, key=lambda image: (image.id == pushed,
                                                       str(image.attrs.get("Created", ""))),
                            reverse=True)[PRESERVE_N:]
    removed = []
    pushed_name = f"{repository}:{tag}"
    for image in images:
        # By tag: an image we tagged twice (hyscale.io/... and the registry name) cannot be
        # removed by id without force; once its last tag goes, docker removes the image.
        references = image.tags or [image.id]
        if pushed is not None and pushed_name in references:
            # Listed while the push may be moving that name to the pushed image: removed by
            # name, it could untag the pushed image. By id, only this image goes.
            references = [name for name in references if name != pushed_name] + [image.id]
        for reference in references:
            try:
                client.images.remove(reference, force=False, noprune=False)
                removed.append(str(reference))
            except docker.errors.APIError:
                pass  # used by a container: keep it, as a plain docker rmi would
    return removed
