"""What the image stages do with the Docker engine, in the one module that imports the docker SDK
for them (~0.1 s). The stages import it at their first use of the engine, so that a build reads
its inputs and asks the registry while this is imported in the background (tasks/warmup.py),
and a thread that imports it and a stage that needs it meet at this one module's import lock."""

from __future__ import annotations

from hyscale_tasks.image.build import BuildRequest, build, image_exists, pull
from hyscale_tasks.image.cleanup import around_push
from hyscale_tasks.image.client import connect
from hyscale_tasks.image.push import check_login, missing_login, push

__all__ = ["BuildRequest", "around_push", "build", "check_login", "connect", "image_exists",
           "missing_login", "pull", "push"]
