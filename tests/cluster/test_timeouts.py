"""An API server that accepts a request and never answers: the deploy tries once more, then
gives up within its request timeouts with a clear error, and the next run converges.

The deploy runs in the background from the start of the deploy tests (the ``stalled_deploy``
fixture in conftest.py); this module sorts last, so the wait overlaps the other tests.
"""

from __future__ import annotations

from hyscale_tasks.cluster.client import READ_RETRIES
from hyscale_tasks.cluster.endpoint import REQUEST_TIMEOUT
from testing.deploy_app import StalledDeploy, assert_converges
from testing.workspace import assert_failed_cleanly


def test_an_api_that_stops_answering_fails_within_the_request_timeout(
        stalled_deploy: StalledDeploy | None) -> None:
    assert stalled_deploy is not None
    result, took = stalled_deploy.result()

    assert_failed_cleanly(result, "Cannot reach the cluster to apply Deployment web")
    assert [f.kind for f in stalled_deploy.proxy.fired] == ["drop"] * (READ_RETRIES + 1)
    assert_converges(stalled_deploy.app, stalled_deploy.cluster.api_client())
    # from the held request to the end of doit: the request timeout for each try, plus the
    # error's way out
    assert took < (READ_RETRIES + 1) * REQUEST_TIMEOUT + 5, \
        f"the deploy hung {took:.0f}s on an unanswered request"
