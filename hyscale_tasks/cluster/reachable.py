"""Does the cluster answer? Asked before a deploy builds anything (HyScale's ClusterValidator), so
that a missing kubeconfig or a cluster that is down costs no build and no push.

One cheap read, and on a no-op run none of its own: the read is the first one the deploy's
in-sync check of the service would make anyway (:func:`~.insync.first_read`, kept for it), or,
when that check will read nothing (first deploy, changed manifests), HyScale's own request (the
``authentication.k8s.io/v1`` API discovery). A read of this process that was answered a moment
ago (another service of the run, the ``hyscale`` command's own check) is answer enough.

Loaded with the tasks: imports neither the kubernetes client nor anything that does, until a read
needs it (:mod:`.insync`'s reader goes through the kept endpoint when it can).
"""

from __future__ import annotations

from pathlib import Path

from hyscale_tasks.cluster import endpoint
from hyscale_tasks.cluster.insync import first_read, reader
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.stage_records import read_manifests

# HyScale's ClusterValidator asks for this: every authenticated user may read API discovery.
DISCOVERY = "/apis/authentication.k8s.io/v1"
# An answer this recent stands for the cluster answering now (a build can take minutes: after
# that the cluster is asked again before the deploy).
FRESH_SECONDS = 60.0
UNAUTHORIZED = 401
NO_ANSWER = "Cannot reach the cluster"  # how client.api_errors words a request with no answer


class ClusterUnreachableError(HyscaleError):
    """The kubeconfig names no cluster that answers, or one that refuses its credentials."""


def check(namespace: str, record: Path | None = None, manifests_index: Path | None = None) -> None:
    """Return when the cluster of the kubeconfig answers; else raise
    :class:`ClusterUnreachableError` saying why and what to do. ``record`` and
    ``manifests_index``: a service's deploy record and rendered manifests, whose in-sync check
    the read is shared with."""
    cluster = reader()
    if cluster.answered_within(FRESH_SECONDS):
        return
    path = endpoint.kubeconfig_path()
    try:
        if not _shared_read(namespace, record, manifests_index):
            cluster.get(DISCOVERY)
    except HyscaleError as exc:
        status = getattr(exc, "status", None)  # the API server's answer to a read (reads.py)
        if status is not None and status != UNAUTHORIZED:
            return  # it answered (403: this user may not read that): the deploy says the rest
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if status != UNAUTHORIZED and not first.startswith(NO_ANSWER):
            # its own message and fix: no kubeconfig, an invalid one, a web server
            raise ClusterUnreachableError(exc.cause, exc.fix, exc.details) from None
        context = _context(path)
        if status == UNAUTHORIZED:
            raise ClusterUnreachableError(
                "Cluster authentication failed. Verify if cluster config is valid: the API "
                f"server of kube context {context} in {path} refused its credentials (HTTP 401).",
                "renew the credentials of that context (a new token or certificate: "
                "'kubectl get ns' must work), then deploy again; nothing was built or "
                "deployed.") from None
        raise ClusterUnreachableError(
            f"Failed to connect to cluster (kube context {context} in {path}): {first}",
            "start the cluster or check the network to it ('kubectl cluster-info' must "
            "answer), or set KUBECONFIG to a cluster that is up; nothing was built or "
            "deployed.") from None


def _shared_read(namespace: str, record: Path | None, manifests_index: Path | None) -> bool:
    if record is None or manifests_index is None:
        return False
    try:
        rendered = read_manifests(manifests_index)["files"]
    except (OSError, ValueError, KeyError):
        return False  # never rendered: the deploy's check will read nothing either
    return first_read(record, namespace, rendered)


def _context(path: Path) -> str:
    from hyscale_tasks.cluster.client import current_context  # (here: it imports kubernetes)

    return current_context(path) or "(none)"
