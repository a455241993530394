"""``python -m tests.cluster --kubeconfig PATH [--audit-log PATH] [--no-docker] [--time-scale F]``

Runs the stand-in in the foreground. The kubeconfig is written once the server answers; SIGTERM
or SIGINT stops it and the kubelet removes every container it started. Without ``--no-docker``
pods run on the local Docker engine; exit status 2 when it cannot start (no Docker engine answers).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.cluster",
        description="Run the Kubernetes stand-in in the foreground; SIGTERM or SIGINT stops it.",
    )
    parser.add_argument("--kubeconfig", type=Path, required=True, help="where to write the kubeconfig")
    parser.add_argument("--audit-log", type=Path, help="append one JSON object per request here")
    parser.add_argument(
        "--no-docker",
        action="store_true",
        help="scripted kubelet: pod states come from scripts, no containers run",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="Docker kubelet: multiply probe timings, back-offs and grace periods by this "
        "(default $HYSCALE_STANDIN_TIME_SCALE or 1; tests use ~0.05)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (the kubeconfig says which)")
    args = parser.parse_args(argv)

    from .kubelet import Kubelet

    kubelet: Kubelet
    if args.no_docker:
        from .kubelet_scripted import ScriptedKubelet

        kubelet = ScriptedKubelet()
    else:
        from .docker_kubelet import DockerKubelet, DockerUnavailableError

        try:
            kubelet = DockerKubelet(time_scale=args.time_scale)
        except (DockerUnavailableError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    from .standin import StandIn

    standin = StandIn(kubelet, audit_log=args.audit_log, host=args.host, port=args.port)
    done = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    standin.start()
    try:
        standin.write_kubeconfig(args.kubeconfig)
        labelled = getattr(kubelet, "instance", None)  # the Docker kubelet's containers carry it
        print(
            f"hyscale stand-in serving on {standin.url} (kubeconfig: {args.kubeconfig})"
            + (f"; Docker containers labelled hyscale-standin={labelled}" if labelled else ""),
            file=sys.stderr,
            flush=True,
        )
        while not done.wait(0.5):
            pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
