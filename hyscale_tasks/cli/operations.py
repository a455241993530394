"""``hyscale undeploy service|app``, ``scale service`` and ``get service logs``.

Each calls the action of the matching doit task (tasks/ops_actions.py: ``undeploy:<svc>``,
``app-undeploy``, ``scale:<svc>``, ``logs:<svc>``) with the same state files, so what they keep
in step is kept the same way: an undeploy drops the deploy record (the next deploy applies
again), a scale records the new generation (the next no-op deploy does not undo it). The
actions print their own messages; a failure is exit code 11 (202 without a usable kubeconfig,
checked first: the actions would only say "failed").
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hyscale_tasks.cli import inputs
from hyscale_tasks.cli.console import Console
from hyscale_tasks.cli.exits import FAILED, OK
from hyscale_tasks.cli.status import connected
from hyscale_tasks.home import hyscale_home
from hyscale_tasks.paths import service_paths
from hyscale_tasks.tasks import ops_actions

UNSET = -1  # how the scale action is told that --up, --down or --to was not given


def _app_home(app: str) -> Path:
    return hyscale_home() / "apps" / app


def _code(failure: Any) -> int:
    """The action returned a TaskFailed (its message already printed), or None."""
    return FAILED if failure is not None else OK


def undeploy_service(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app, namespace=args.namespace, services=args.services)
    records = [str(service_paths(_app_home(args.app), name).deploy_record)
               for name in args.services]
    return _undeploy(args, args.services, records)


def undeploy_app(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app, namespace=args.namespace)
    home = _app_home(args.app)
    # Every service this machine deployed for the app must deploy again afterwards.
    records = [str(service_paths(home, entry.name).deploy_record)
               for entry in (home.iterdir() if home.is_dir() else ()) if entry.is_dir()]
    return _undeploy(args, None, records)


def _undeploy(args: argparse.Namespace, services: list[str] | None, records: list[str]) -> int:
    connected()
    console = Console()
    console.header(" Undeployment ")
    failure = ops_actions.undeploy_action(args.namespace, args.app, services, records,
                                          args.delete_volumes)
    console.footer()
    return _code(failure)


def scale_service(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app, namespace=args.namespace, services=[args.service])
    inputs.check_scale(args.up, args.down, args.to)
    connected()
    record = service_paths(_app_home(args.app), args.service).deploy_record
    given = [UNSET if value is None else value for value in (args.up, args.down, args.to)]
    return _code(ops_actions.scale_action(args.namespace, args.app, args.service, str(record),
                                          *given))


def service_logs(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app, namespace=args.namespace, services=[args.service])
    inputs.check_lines(args.lines)
    connected()
    log = service_paths(_app_home(args.app), args.service).logs / "service.log"
    return _code(ops_actions.logs_action(args.namespace, args.app, args.service, str(log),
                                         args.lines, args.tail, args.replica or ""))
