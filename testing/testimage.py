"""The tests' prebuilt image (testing/testapp) and how pods pull it.

``scripts/test-services`` builds it on the stack image and pushes it to the authenticated test
registry as ``hyscale-tests/testapp:1.0``, exported as ``HYSCALE_TEST_APP_IMAGE``. Its
``TESTAPP_*`` environment (a service's props) makes it fail for real: :func:`crash`,
:data:`UNHEALTHY`; :func:`log_lines` makes it print.
"""

from __future__ import annotations

import base64
import json

from kubernetes import client

from testing.registry import Registry

APP_IMAGE_ENV = "HYSCALE_TEST_APP_IMAGE"
UNHEALTHY = {"TESTAPP_HEALTHY": "no"}  # / answers 404: an HTTP health check on / fails


def crash(exit_code: int, log: str = "") -> dict[str, str]:
    """Props that make the test image print ``log`` and exit with ``exit_code``."""
    return {"TESTAPP_EXIT": str(exit_code), **({"TESTAPP_LOG": log} if log else {})}


def log_lines(*lines: str) -> dict[str, str]:
    """Props that make the test image print ``lines`` when it starts (before its own
    "testapp listening on ..." line)."""
    return {"TESTAPP_LOG": "".join(f"{line}\\n" for line in lines)}


def pull_secret(registry: Registry, name: str = "regcred") -> client.V1Secret:
    """A ``kubernetes.io/dockerconfigjson`` Secret with the test registry's login."""
    config = {"auths": {registry.host: {"auth": registry.auth}}}
    return client.V1Secret(
        metadata=client.V1ObjectMeta(name=name), type="kubernetes.io/dockerconfigjson",
        data={".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()})
