"""The ``hyscale`` command: HyScale's command line over the same doit task graph.

This first version answers ``--version`` and ``--help``; the HyScale commands (deploy, get,
undeploy, scale, generate) are added on top of the task graph as their stages land.
"""

from __future__ import annotations

import argparse
import sys

from hyscale_tasks import __version__

RELEASE_NAME = "hyscale-tasks"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hyscale",
        description="Deploy apps to Kubernetes from HyScale service specs (.hspec). Today the "
                    "stages run as doit tasks: 'doit app=<app>' renders Dockerfiles and manifests.",
    )
    parser.add_argument("-V", "--version", action="version",
                        version=f'HyScale Version {__version__} "{RELEASE_NAME}"')
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    parser.parse_args(argv)
    parser.print_usage(sys.stderr)
    return 2  # HyScale prints the usage and exits 2 when no command is given


if __name__ == "__main__":
    sys.exit(main())
