"""Python-actions of the operation tasks: thin calls into ``cluster/``, errors as TaskFailed.

doit imports this module when it loads the tasks: each action imports the cluster code in its own
body, as that imports the kubernetes client (``doit list`` and a no-op run must not)."""

from __future__ import annotations

from pathlib import Path

from hyscale_tasks import lines
from hyscale_tasks.cluster.tables import replica_table, status_table
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.stage_records import forget_deploy, write_status
from hyscale_tasks.tasks.actions import reports_errors

# What an undeploy says of the service's data, in its task's doc and when it is done.
VOLUMES_KEPT = "(volume claims kept; --delete-volumes removes them)"


def _say(message: str) -> None:
    lines.info(message)


@reports_errors
def status_action(namespace: str, app: str, services: list[str] | None, record: str) -> None:
    # here: cluster/ imports kubernetes, which `doit list` and a no-op run must not load
    from hyscale_tasks.cluster.client import connect
    from hyscale_tasks.cluster.status import app_services, service_status

    cluster = connect()
    names = services if services is not None else app_services(cluster, namespace, app)
    found = [service_status(cluster, namespace, app, name) for name in names]
    print(f"APP: {app}  NAMESPACE: {namespace}")
    print(status_table(found))
    write_status(Path(record), {"services": [s.to_json() for s in found]})


@reports_errors
def logs_action(namespace: str, app: str, service: str, save_to: str, lines: int, follow: bool,
                replica: str) -> None:
    # here: cluster/ imports kubernetes, which `doit list` and a no-op run must not load
    from hyscale_tasks.cluster.client import connect
    from hyscale_tasks.cluster.operation_checks import lines_problem
    from hyscale_tasks.cluster.operations import service_logs

    problem = lines_problem(lines)
    if problem is not None:
        raise HyscaleError(problem)
    service_logs(connect(), namespace, app, service, lines, follow, replica or None, Path(save_to))


@reports_errors
def undeploy_action(namespace: str, app: str, services: list[str] | None, records: list[str],
                    delete_volumes: bool) -> None:
    # here: cluster/ imports kubernetes, which `doit list` and a no-op run must not load
    from hyscale_tasks.cluster.client import connect
    from hyscale_tasks.cluster.operations import undeploy_app, undeploy_service
    from hyscale_tasks.cluster.status import app_services

    cluster = connect()
    keep = not delete_volumes
    if services is None:
        undeploy_app(cluster, namespace, app, app_services(cluster, namespace, app), _say, keep)
    else:
        for name in services:
            undeploy_service(cluster, namespace, app, name, _say, keep)
    for record in records:  # the next deploy must apply again
        forget_deploy(Path(record))
    _say("Undeployment completed" + ("" if delete_volumes else f" {VOLUMES_KEPT}"))


@reports_errors
def scale_action(namespace: str, app: str, service: str, record: str, up: int, down: int,
                 to: int) -> None:
    # here: cluster/ imports kubernetes, which `doit list` and a no-op run must not load
    from hyscale_tasks.cluster.client import connect
    from hyscale_tasks.cluster.insync import remember_versions
    from hyscale_tasks.cluster.operations import scale_service
    from hyscale_tasks.cluster.status import find_workload

    given = {name: value for name, value in (("up", up), ("down", down), ("to", to)) if value != -1}
    if len(given) != 1:
        raise HyscaleError("Give exactly one of --up N, --down N, --to N")
    cluster = connect()
    replicas = scale_service(cluster, namespace, app, service, up=given.get("up"),
                             down=given.get("down"), to=given.get("to"), report=_say)
    _say(f"{service} runs {replicas} replica(s)")
    # A scale is a deliberate change: record the new generation so the next deploy (nothing
    # else changed) does not count it as drift and undo it.
    workload = find_workload(cluster.api, namespace, app, service)
    if workload is not None:
        remember_versions(Path(record), cluster, namespace, [(workload.kind, workload.metadata.name)])


@reports_errors
def replicas_action(namespace: str, app: str, service: str) -> None:
    # here: cluster/ imports kubernetes, which `doit list` and a no-op run must not load
    from hyscale_tasks.cluster.client import connect
    from hyscale_tasks.cluster.operations import replica_status

    print(replica_table(replica_status(connect(), namespace, app, service)))
