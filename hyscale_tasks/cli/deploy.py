"""``hyscale deploy service`` and ``hyscale generate service manifests``.

Both validate every spec first (cli/specs.py), then run the product's tasks for each service:
``deploy:<svc>`` (dockerfile, build, push, manifests, deploy, as needed) or ``manifests:<svc>``.
After each service HyScale's summary: where its files and logs are and where it answers.
The cluster code is imported where it is used (it imports the kubernetes client): ``generate``
never needs it, and a spec error is reported without waiting for it.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from hyscale_tasks.cli import inputs, specs
from hyscale_tasks.cli.console import Console, emit_json
from hyscale_tasks.cli.exits import (
    FAILED,
    NO_CLUSTER_ACCESS,
    OK,
    UNEXPECTED,
    CliError,
    stage_code,
)
from hyscale_tasks.cli.progress import Progress, ServiceResult
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.paths import service_paths
from hyscale_tasks.spec.model import service_from_record
from hyscale_tasks.stage_records import read_deploy_spec

ADDRESS_FAILED = "Failed to get service address, try again"


def deploy_service(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app, namespace=args.namespace, output=args.output)
    as_json = args.output is not None
    console = Console(quiet=as_json)
    services = specs.prepare(args, args.namespace, console)
    statuses: list[dict[str, Any]] = []

    def done(result: ServiceResult) -> None:
        statuses.append(_deploy_info(console, services, result))

    progress = Progress(console, "deploy", done)
    code = specs.validate(services, progress)
    if code == OK:
        _check_cluster(services)  # (a CliError: printed, as JSON with -o json, by cli/__init__)
        # push first: the image stages then run in HyScale's order, before the manifests.
        code = _outcome(services.run(["push", "deploy"], progress), progress)
    elif as_json:
        failed = [r.message for r in progress.results.values() if not r.ok]
        emit_json({"deploymentError": ",".join(failed) or "validation failed"})
        return code
    if as_json:
        emit_json({"serviceStatus": statuses})
    return code


def _check_cluster(services: specs.Services) -> None:
    """HyScale's cluster check, after the specs and before any build: exit 202 when the
    cluster does not answer. Its read is the one the first service's in-sync check makes
    first anyway (cluster/reachable.py), so an up-to-date deploy asks nothing more."""
    # here: cluster/ (ssl, the kept endpoint) only for a command that reads the cluster
    from hyscale_tasks.cluster.reachable import ClusterUnreachableError, check

    first = service_paths(services.context.app_home, services.names[0]) if services.names else None
    try:
        check(services.target.namespace, first.deploy_record if first else None,
              first.manifests_record if first else None)
    except ClusterUnreachableError as exc:  # its exit code is the check's, HyScale's 202
        raise CliError(exc.cause, NO_CLUSTER_ACCESS, exc.fix, exc.details) from None


def generate_manifests(args: argparse.Namespace) -> int:
    inputs.check_names(app=args.app)
    console = Console()
    # No -n: the namespace is the app's, as for `doit app=<app>` (manifests do not name it).
    services = specs.prepare(args, args.app, console)

    def done(result: ServiceResult) -> None:
        paths = service_paths(services.context.app_home, result.name)
        if result.ok:
            console.info(f"Manifests  path : {paths.manifests} ")
            for manifest in sorted(paths.manifests.glob("*.yaml")):
                console.write(f"          {manifest.name}\n")

    progress = Progress(console, "manifests", done)
    code = specs.validate(services, progress)
    return code if code != OK else _outcome(services.run(["manifests"], progress), progress)


def _outcome(doit_code: int, progress: Progress) -> int:
    results = progress.results.values()
    if any(result.bug for result in results):
        return UNEXPECTED
    if doit_code != 0 or any(not result.ok for result in results):
        return FAILED  # HyScale's code when a service failed
    return OK


def _deploy_info(console: Console, services: specs.Services,
                 result: ServiceResult) -> dict[str, Any]:
    """HyScale's " Deployment info " block for one service; its entry of ``serviceStatus``."""
    paths = service_paths(services.context.app_home, result.name)
    console.header(" Deployment info ")
    console.info(f"Total time : {int(time.monotonic() - result.started)}s")
    for label, path in (("Dockerfile path", paths.dockerfiles / "Dockerfile"),
                        ("Build Logs", paths.build_log), ("Push Logs", paths.push_log),
                        ("Manifests  path", paths.manifests), ("Deploy Logs", paths.deploy_log)):
        if path.exists():
            console.write(f"{label} : {path}\n")
    console.footer()
    # HyScale's entry is name, message and exitCode; "stages" (what ran, and why) is ours.
    if not result.ok:
        return {"name": result.name, "message": result.message,
                "exitCode": stage_code(result.failed_stage),
                "stages": result.stages}
    lines = _address(services, result.name)
    for line in lines:
        console.info(line)
    status: dict[str, Any] = {"name": result.name, "message": ""}
    for line in lines:
        label, _, value = line.partition(" : ")
        if label == "Service URL":
            status["url"] = value
        elif label in ("Service IP", "Service address") and not status["message"]:
            status["message"] = value  # the address; the lines after it explain
    return {**status, "stages": result.stages}


def _address(services: specs.Services, name: str) -> list[str]:
    """Where the service answers, read from the cluster (no wait: the deploy waited)."""
    # here: cluster/ imports kubernetes, which `hyscale --help` must not load
    from hyscale_tasks.cluster.client import connect
    from hyscale_tasks.cluster.deploy import service_address

    try:
        record = read_deploy_spec(service_paths(services.context.app_home, name).deploy_spec)
        spec = service_from_record(record["spec"], record["files"])
        return service_address(connect(), services.target.namespace, services.target.app, spec,
                               wait=False)
    except (HyscaleError, OSError, ValueError, KeyError):
        return [f"Service IP : {ADDRESS_FAILED}"]
