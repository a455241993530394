"""``hyscale get service status``, ``get app status``, ``get apps``, ``get replica status``.

They read the cluster only (no spec needed): the same functions as ``doit status:<svc>``,
``app-status`` and ``replicas:<svc>``, printed as HyScale's tables, or as JSON with ``-o json``.
Each command imports the cluster code in its body: it imports the kubernetes client, which
``hyscale --help`` and a refused command line must not wait for.
"""

from __future__ import annotations

import argparse
from typing import Any

from hyscale_tasks.cli import inputs
from hyscale_tasks.cli.console import Console, emit_json
from hyscale_tasks.cli.exits import NO_CLUSTER_ACCESS, OK, CliError
from hyscale_tasks.cluster.tables import replica_table, status_table

APPS_WIDTHS = [30, 30, 30]


def connected() -> Any:
    """The cluster of the kubeconfig, or HyScale's 202 exit when there is none to use."""
    # here: cluster/ imports kubernetes, which `hyscale --help` must not load
    from hyscale_tasks.cluster.client import ClusterError, connect

    try:
        return connect()
    except ClusterError as exc:
        # The exit code says which call failed, not what kind of error it was: 202 is HyScale's
        # code for getting the API client (connect reads the kubeconfig only), while a
        # ClusterError of a later read is a failed command (11). So the code is given here.
        raise CliError(exc.cause, NO_CLUSTER_ACCESS, exc.fix, exc.details) from None


def service_status(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app, namespace=args.namespace, services=args.services,
                       output=args.output)
    return _status(args, args.services)


def app_status(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app, namespace=args.namespace, output=args.output)
    return _status(args, None)


def _status(args: argparse.Namespace, services: list[str] | None) -> int:
    # here: cluster/ imports kubernetes, which `hyscale --help` must not load
    from hyscale_tasks.cluster.status import app_services, service_status

    console = Console(quiet=args.output is not None)
    console.info("It might take some time as it runs diagnosis for services")
    cluster = connected()
    names = services if services is not None else app_services(cluster, args.namespace, args.app)
    found = [service_status(cluster, args.namespace, args.app, name) for name in names]
    if args.output is not None:
        emit_json({"app": args.app, "namespace": args.namespace,
                   "serviceStatus": [status.to_json() for status in found]})
        return OK
    console.header(f"APP: {args.app}")
    if services is None and not found:
        console.info("No Service Deployed")
        return OK
    console.write(status_table(found) + "\n")
    return OK


def apps(args: argparse.Namespace) -> int:
    # here: cluster/ imports kubernetes, which `hyscale --help` must not load
    from hyscale_tasks.cluster.status import list_apps

    inputs.check_names(output=args.output)
    found = list_apps(connected())
    if args.output is not None:
        emit_json({"apps": [{"name": app, "profile": profile, "namespace": namespace}
                            for app, profile, namespace in found]})
        return OK
    console = Console()
    if not found:
        console.info("No deployments found on the cluster")
        return OK
    console.header("Applications")
    console.table([["Application", "Profile", "Namespace"], *map(list, found)], APPS_WIDTHS)
    return OK


def replica_status(args: argparse.Namespace) -> int:
    # here: cluster/ imports kubernetes, which `hyscale --help` must not load
    from hyscale_tasks.cluster.operations import replica_status as replicas

    inputs.check_names(app=args.app, namespace=args.namespace, services=[args.service],
                       output=args.output)
    rows = replicas(connected(), args.namespace, args.app, args.service)
    if args.output is not None:
        emit_json({"service": args.service, "replicas": [
            {"name": name, "status": status, "age": age} for name, status, age in rows]})
        return OK
    Console().write(replica_table(rows) + "\n")
    return OK
