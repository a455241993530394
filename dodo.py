"""hyscale-tasks: `doit app=<app>` renders every service of apps/<app>/; see the README."""

from hyscale_tasks.tasks.creators import (
    doit_config,
    task_build,
    task_deploy,
    task_dockerfile,
    task_manifests,
    task_push,
    task_spec,
)

DOIT_CONFIG = doit_config()

__all__ = ["DOIT_CONFIG", "task_build", "task_deploy", "task_dockerfile", "task_manifests",
           "task_push", "task_spec"]
