"""hyscale-tasks: `doit app=<app>` renders every service of apps/<app>/; see the README."""

from hyscale_tasks.tasks.creators import (
    doit_config,
    task_build,
    task_cluster,
    task_deploy,
    task_dockerfile,
    task_manifests,
    task_push,
    task_spec,
)
from hyscale_tasks.tasks.operations import (
    task_app_status,
    task_app_undeploy,
    task_logs,
    task_replicas,
    task_scale,
    task_status,
    task_undeploy,
)

DOIT_CONFIG = doit_config()

__all__ = ["DOIT_CONFIG", "task_app_status", "task_app_undeploy", "task_build", "task_cluster",
           "task_deploy", "task_dockerfile", "task_logs", "task_manifests", "task_push",
           "task_replicas", "task_scale", "task_spec", "task_status", "task_undeploy"]
