"""hyscale-tasks: `doit app=<app>` renders every service of apps/<app>/; see the README."""

from hyscale_tasks.tasks import graph
from hyscale_tasks.tasks.creators import doit_config

DOIT_CONFIG = doit_config()

# The task creators (task_spec, task_deploy, ...), from the one list `hyscale` loads too.
globals().update(graph.namespace())
