"""The task graph's one list of task creators.

dodo.py (``doit``), cli/engine.py (``hyscale``) and dev/doit_run.py (the ``hyscale dev`` turns)
all load their tasks from :func:`namespace`, so the three always see the same tasks. doit orders
the tasks by where their creators are defined, not by this list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hyscale_tasks.tasks.creators import (
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

TaskCreator = Callable[[], Any]  # a task dict, or an iterator of them

TASK_CREATORS: tuple[TaskCreator, ...] = (
    task_spec, task_dockerfile, task_build, task_push, task_manifests, task_cluster, task_deploy,
    task_status, task_app_status, task_logs, task_undeploy, task_app_undeploy, task_scale,
    task_replicas,
)


def namespace() -> dict[str, TaskCreator]:
    """The creators by their ``task_`` names, where doit looks for them; a new dict each time."""
    return {creator.__name__: creator for creator in TASK_CREATORS}
