"""doit tasks for operations on deployed services: status, logs, undeploy, scale, replicas.

They always run (an operation is asked for, not derived from files), and are not default tasks.
Options are task parameters: ``doit logs:web --lines 50 --follow``, ``doit scale:web --to 3``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hyscale_tasks.paths import ServicePaths, app_status_record, service_paths
from hyscale_tasks.tasks import ops_actions
from hyscale_tasks.tasks.creators import TaskDict, _per_service, _services
from hyscale_tasks.tasks.discovery import ServiceEntry


def _operation(doc: str, action: Any, args: list[Any],
               params: list[dict[str, Any]] | None = None) -> TaskDict:
    """One service's operation: it always runs and shows what it prints."""
    return {"doc": doc, "actions": [(action, args)], "uptodate": [False], "verbosity": 2,
            "params": params or []}


def task_status() -> Iterator[TaskDict]:
    """Status of each deployed service: Running / Not Running / Not Deployed / Failed, and why."""
    ctx, services = _services()

    def status(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return _operation(f"status of {entry.name} in namespace {ctx.namespace}",
                          ops_actions.status_action,
                          [ctx.namespace, ctx.app, [entry.name], str(paths.status_record)])

    yield from _per_service(ctx, services,
                            "status of every service (see app-status for one table)", status)


def task_app_status() -> TaskDict:
    """Status table of every service of the app found in the namespace."""
    ctx, _ = _services()
    return {"basename": "app-status", "doc": f"status table of app {ctx.app} in {ctx.namespace}",
            "actions": [(ops_actions.status_action, [ctx.namespace, ctx.app, None,
                                                     str(app_status_record(ctx.app_home))])],
            "uptodate": [False], "verbosity": 2}


LOG_PARAMS = [
    {"name": "lines", "short": "l", "long": "lines", "type": int, "default": 100,
     "help": "how many lines of the log to show"},
    {"name": "follow", "short": "f", "long": "follow", "type": bool, "default": False,
     "help": "keep streaming the log"},
    {"name": "replica", "short": "r", "long": "replica", "type": str, "default": "",
     "help": "the pod to read (default: the newest)"},
]


def task_logs() -> Iterator[TaskDict]:
    """The service container's log (saved to logs/service.log)."""
    ctx, services = _services()

    def logs(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return _operation(f"log of {entry.name} (--lines N, --follow, --replica)",
                          ops_actions.logs_action,
                          [ctx.namespace, ctx.app, entry.name, str(paths.logs / "service.log")],
                          LOG_PARAMS)

    yield from _per_service(ctx, services, "logs of every service", logs)


VOLUME_PARAM = [{"name": "delete_volumes", "long": "delete-volumes", "type": bool,
                 "default": False, "help": "also delete the volume claims (their data)"}]


def task_undeploy() -> Iterator[TaskDict]:
    """Remove a service's objects from the namespace; its volume claims are kept."""
    ctx, services = _services()

    def undeploy(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return _operation(f"undeploy {entry.name} from {ctx.namespace} {ops_actions.VOLUMES_KEPT}",
                          ops_actions.undeploy_action,
                          [ctx.namespace, ctx.app, [entry.name], [str(paths.deploy_record)]],
                          VOLUME_PARAM)

    yield from _per_service(ctx, services,
                            "undeploy every service (see app-undeploy for the whole app)", undeploy)


def task_app_undeploy() -> TaskDict:
    """Remove every service of the app, and its image-pull Secret, from the namespace."""
    ctx, services = _services()
    records = [str(service_paths(ctx.app_home, e.name).deploy_record) for e in services]
    return {"basename": "app-undeploy",
            "doc": f"undeploy app {ctx.app} from {ctx.namespace} (volume claims kept)",
            "actions": [(ops_actions.undeploy_action, [ctx.namespace, ctx.app, None, records])],
            "params": VOLUME_PARAM, "uptodate": [False], "verbosity": 2}


SCALE_PARAMS = [{"name": name, "long": name, "type": int, "default": -1,
                 "help": f"scale {name} {'by ' if name != 'to' else ''}N replicas"}
                for name in ("up", "down", "to")]


def task_scale() -> Iterator[TaskDict]:
    """Scale a deployed service: --up N, --down N or --to N replicas."""
    ctx, services = _services()

    def scale(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return _operation(f"scale {entry.name} (--up N | --down N | --to N)",
                          ops_actions.scale_action,
                          [ctx.namespace, ctx.app, entry.name, str(paths.deploy_record)],
                          SCALE_PARAMS)

    yield from _per_service(ctx, services, "scale services (give one of --up, --down, --to)",
                            scale)


def task_replicas() -> Iterator[TaskDict]:
    """The pods of a service, with their status and age."""
    ctx, services = _services()

    def replicas(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return _operation(f"replicas of {entry.name} with status and age",
                          ops_actions.replicas_action, [ctx.namespace, ctx.app, entry.name])

    yield from _per_service(ctx, services, "replica status of every service", replicas)


__all__ = ["task_app_status", "task_app_undeploy", "task_logs", "task_replicas",
           "task_scale", "task_status", "task_undeploy"]
