"""HyScale's command tree and options (its picocli annotations), as argparse parsers.

Spellings are the code's, not its docs': ``--files`` and ``--app``; ``-ns`` and ``--namespace``
for ``-n``; ``--application`` where HyScale accepts it. Command words are matched whatever their
case, and each command answers ``-h``/``--help``. A usage error prints the usage and exits 2.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from hyscale_tasks import __version__

RELEASE_NAME = "hyscale-tasks"
PROG = "hyscale"


def version_text() -> str:
    """``HyScale Version <v> "<release>", build <first 10 characters of the git commit>``."""
    return f'HyScale Version {__version__} "{RELEASE_NAME}", build {_build()}'


def _build() -> str:
    """The commit of a git checkout the package runs from, read without running git."""
    git = Path(__file__).resolve().parents[2] / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            loose = git / ref
            if loose.is_file():
                head = loose.read_text().strip()
            else:
                packed = (git / "packed-refs").read_text()
                head = next(line.split()[0] for line in packed.splitlines()
                            if line.endswith(f" {ref}"))
        return head[:10] if re.fullmatch(r"[0-9a-f]{40}", head) else "unknown"
    except (OSError, StopIteration):
        return "unknown"


def _split(values: list[str] | None) -> list[str]:
    """``-f a,b -f c`` -> ``[a, b, c]`` (repeatable and comma-split, as HyScale's ``-f``)."""
    return [item for value in values or [] for item in value.split(",") if item]


def _command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str,
             aliases: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    return sub.add_parser(name, aliases=list(aliases), help=help_text, description=help_text,
                          allow_abbrev=False)  # picocli takes no abbreviated options


def _group(parser: argparse.ArgumentParser, dest: str) -> argparse._SubParsersAction[
        argparse.ArgumentParser]:
    sub = parser.add_subparsers(dest=dest, metavar="COMMAND")
    parser.set_defaults(usage_of=parser)  # a group without its command prints its usage
    return sub


def _app_options(parser: argparse.ArgumentParser, namespace: bool = True,
                 application: bool = False) -> None:
    app_names = ["-a", "--app", *(["--application"] if application else [])]
    parser.add_argument(*app_names, dest="app", required=True, help="application name")
    if namespace:
        parser.add_argument("-n", "--namespace", "-ns", dest="namespace", required=True,
                            help="Kubernetes namespace")


def _spec_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--files", dest="files", action="append", required=True,
                        metavar="FILE", help="service spec files (repeat, or comma-separate)")
    profiles = parser.add_mutually_exclusive_group()
    profiles.add_argument("-p", "--profile", dest="profile_files", action="append",
                          metavar="FILE", help="profile files, matched to services by their "
                          "'overrides' field (repeat, or comma-separate)")
    profiles.add_argument("-P", dest="profile", metavar="NAME",
                          help="profile name: <NAME>-<service>.hprof beside each spec or in its "
                          "profiles/ folder")


def _output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", dest="output", metavar="json",
                        help="print the result as JSON")


def build_parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog=PROG, allow_abbrev=False, description="Deploy services "
                                   "to Kubernetes from HyScale service specs (.hspec), as doit "
                                   "tasks.")
    root.add_argument("-V", "--version", action="version", version=version_text())
    commands = _group(root, "group")

    deploy = _group(_command(commands, "deploy", "deploy services"), "sub")
    service = _command(deploy, "service", "build, push and deploy services", ("services",))
    _spec_options(service)
    _app_options(service)
    service.add_argument("-v", "--verbose", "-verbose", dest="verbose", action="store_true",
                         help="show the build and push output")
    _output_option(service)
    service.set_defaults(command="deploy service")

    generate = _group(_command(commands, "generate", "generate files"), "sub")
    gen_service = _group(_command(generate, "service", "generate files of services",
                                  ("services",)), "what")
    manifests = _command(gen_service, "manifests", "generate the Kubernetes manifests of "
                         "services (no Docker, no cluster)", ("manifest",))
    _spec_options(manifests)
    _app_options(manifests, namespace=False)
    manifests.set_defaults(command="generate service manifests")

    undeploy = _group(_command(commands, "undeploy", "remove deployed services"), "sub")
    for name, help_text in (("service", "undeploy services"), ("app", "undeploy an app")):
        parser = _command(undeploy, name, help_text)
        if name == "service":
            parser.add_argument("-s", "--service", dest="services", action="append",
                                required=True, help="service names (repeat, or comma-separate)")
        _app_options(parser)
        parser.add_argument("--delete-volumes", action="store_true",
                            help="also delete the volume claims (their data)")
        parser.set_defaults(command=f"undeploy {name}")

    _get_commands(commands)

    # Ours, not HyScale's: deploy, then deploy again on each save (cli/dev.py, dev/).
    dev = _command(commands, "dev", "deploy services, then on each save of their files deploy "
                   "what changed; their logs and a forwarded port until Ctrl-C")
    dev.add_argument("-f", "--files", dest="files", action="append", required=True,
                     metavar="FILE", help="service spec files (repeat, or comma-separate)")
    dev.add_argument("-P", dest="profile", metavar="NAME",
                     help="profile name: <NAME>-<service>.hprof beside each spec or in its "
                     "profiles/ folder")
    _app_options(dev)
    dev.add_argument("-v", "--verbose", "-verbose", dest="verbose", action="store_true",
                     help="show the build and push output")
    dev.add_argument("--undeploy-on-exit", dest="undeploy_on_exit", action="store_true",
                     help="undeploy the services when the loop stops (by default they keep "
                     "running)")
    dev.set_defaults(command="dev")

    scale = _group(_command(commands, "scale", "scale services"), "sub")
    scale_service = _command(scale, "service", "scale a service imperatively")
    scale_service.add_argument("-s", "--service", dest="service", required=True)
    _app_options(scale_service, application=True)
    how = scale_service.add_mutually_exclusive_group(required=True)
    for name in ("up", "down", "to"):
        how.add_argument(f"--{name}", dest=name, type=int, metavar="N",
                         help=f"scale {'to' if name == 'to' else name + ' by'} N replicas")
    scale_service.set_defaults(command="scale service")
    return root


def _get_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    get = _group(_command(commands, "get", "show what is deployed"), "sub")
    service = _group(_command(get, "service", "services of an app", ("services",)), "what")
    status = _command(service, "status", "status of services")
    status.add_argument("-s", "--service", dest="services", action="append", required=True,
                        help="service names (repeat, or comma-separate)")
    _app_options(status, application=True)
    _output_option(status)
    status.set_defaults(command="get service status")

    logs = _command(service, "logs", "log of a service", ("log",))
    logs.add_argument("-s", "--service", dest="service", required=True)
    _app_options(logs)
    logs.add_argument("-r", "--replica", dest="replica", help="the pod to read")
    logs.add_argument("-t", "--tail", dest="tail", action="store_true", help="follow the log")
    logs.add_argument("-l", "--line", dest="lines", type=int, default=100,
                      help="how many of the last lines (default 100)")
    logs.set_defaults(command="get service logs")

    # `get app(s)` alone lists the apps; `get app(s) status` is the status of one app.
    app = _command(get, "app", "apps in the cluster, or the status of one app", ("apps",))
    _output_option(app)
    app.set_defaults(command="get apps")
    app_status = _command(app.add_subparsers(dest="what", metavar="COMMAND"), "status",
                          "status of every service of an app")
    _app_options(app_status)
    _output_option(app_status)
    app_status.set_defaults(command="get app status")

    replica = _group(_command(get, "replica", "pods of a service", ("replicas",)), "what")
    replica_status = _command(replica, "status", "status and age of a service's pods")
    replica_status.add_argument("-s", "--service", dest="service", required=True)
    _app_options(replica_status, application=True)
    _output_option(replica_status)
    replica_status.set_defaults(command="get replica status")


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; command words in any case. Usage errors exit 2 (argparse's SystemExit)."""
    words = 0
    while words < len(argv) and not argv[words].startswith("-"):
        words += 1
    args = build_parser().parse_args([a.lower() for a in argv[:words]] + argv[words:])
    for name in ("files", "profile_files", "services"):
        if getattr(args, name, None) is not None:
            setattr(args, name, _split(getattr(args, name)))
    return args
