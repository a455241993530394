"""The ``hyscale`` command: HyScale's command line over the same doit task graph and state.

``main`` parses (cli/parser.py), runs one command and turns every expected failure into
HyScale's message and exit code (cli/exits.py, docs/cli.md), never a traceback. SIGTERM is
handled like Ctrl-C, so that a cancelled CI job still records the stages that finished.

A command is one run of the tool log (hyscale_tasks/log.py), opened by its first doit run: its
command line, its doit runs' stage events, its error and exit code. A docker config piped in
with ``HYS_REGISTRY_CONFIG=true`` is taken before the command starts anything
(image/credentials.py).
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from hyscale_tasks.cli import deploy, operations, parser, status
from hyscale_tasks.cli.console import emit_json, error
from hyscale_tasks.cli.exits import INTERRUPTED, INVALID_INPUT, InvalidInputError, exit_code
from hyscale_tasks.cli.inputs import OUTPUT_PATTERN
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.image.credentials import registry_config
from hyscale_tasks.log import note_command, run_logger

Command = Callable[[argparse.Namespace], int]


def _dev(args: argparse.Namespace) -> int:
    from hyscale_tasks.cli.dev import dev  # watchfiles and the loop, only for this command

    return dev(args)

COMMANDS: dict[str, Command] = {
    "deploy service": deploy.deploy_service,
    "generate service manifests": deploy.generate_manifests,
    "undeploy service": operations.undeploy_service,
    "undeploy app": operations.undeploy_app,
    "get service status": status.service_status,
    "get app status": status.app_status,
    "get apps": status.apps,
    "get replica status": status.replica_status,
    "get service logs": operations.service_logs,
    "scale service": operations.scale_service,
    "dev": _dev,
}


def _terminated(signum: int, frame: FrameType | None) -> None:
    # doit saves what finished when a KeyboardInterrupt unwinds it; SIGTERM's default would
    # kill the process and lose the whole run's records (doit-notes §5).
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():  # signals need the main one
        return _main(argv)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    try:
        args = parser.parse(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse: usage errors (2), --help and --version (0)
        return exc.code if isinstance(exc.code, int) else INVALID_INPUT
    command = getattr(args, "command", None)
    if command is None:  # `hyscale`, `hyscale deploy`...: HyScale prints the usage, exit 2
        args.usage_of.print_help(sys.stderr)
        return INVALID_INPUT
    # The log opens with the command's first doit run: bad input stops before and writes none.
    note_command(["hyscale", *(sys.argv[1:] if argv is None else argv)])
    code = _run(command, args)
    run_logger().info("exit code %d", code)
    return code


def _run(command: str, args: argparse.Namespace) -> int:
    try:
        registry_config()  # before the command reads anything else from standard input
        return COMMANDS[command](args)
    except HyscaleError as exc:
        run_logger().error("%s", exc)
        return _failed(args, exc)
    except KeyboardInterrupt:
        run_logger().error("interrupted (Ctrl-C or SIGTERM)")
        error("Interrupted: the stages that finished are recorded; run the command again to "
              "continue from there.")
        return INTERRUPTED


def _failed(args: argparse.Namespace, exc: HyscaleError) -> int:
    """Print an expected failure HyScale's way (or as JSON with ``-o json``); its exit code."""
    messages = exc.messages if isinstance(exc, InvalidInputError) else [str(exc)]
    if re.fullmatch(OUTPUT_PATTERN, getattr(args, "output", None) or ""):
        key = "deploymentError" if args.command == "deploy service" else "error"
        emit_json({key: ",".join(messages)})
    else:
        for message in messages:
            error(message)
    return exit_code(exc)


if __name__ == "__main__":
    sys.exit(main())
