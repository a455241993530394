"""Which registry an image reference names, as docker reads it: the rule the stack image's
registry probe (image/reuse.py) and the pull-failure diagnosis (cluster/diagnose.py) share."""

from __future__ import annotations

import pytest

from hyscale_tasks.image.names import ImageName, split_registry
from hyscale_tasks.image.reuse import stack_name


@pytest.mark.parametrize(("reference", "registry", "rest"), [
    ("busybox:1.36", "docker.io", "busybox:1.36"),
    ("team/app", "docker.io", "team/app"),
    ("docker.io/team/app:1", "docker.io", "team/app:1"),
    ("registry.example/team/app:1", "registry.example", "team/app:1"),
    ("host:5000/app", "host:5000", "app"),
    ("localhost/app:2", "localhost", "app:2"),
    ("busybox@sha256:0123", "docker.io", "busybox@sha256:0123"),
])
def test_the_registry_is_the_first_component_when_it_is_a_host(reference: str, registry: str,
                                                                 rest: str) -> None:
    assert split_registry(reference) == (registry, rest)


@pytest.mark.parametrize(("reference", "name"), [
    ("busybox:1.36", ImageName("docker.io", "library/busybox", "1.36")),
    ("busybox", ImageName("docker.io", "library/busybox", "latest")),
    ("team/app", ImageName("docker.io", "team/app", "latest")),
    ("docker.io/busybox:1", ImageName("docker.io", "busybox", "1")),
    ("host:5000/a/b@sha256:0123", ImageName("host:5000", "a/b", "sha256:0123")),
    ("localhost:5000/app:2", ImageName("localhost:5000", "app", "2")),
])
def test_a_stack_image_is_named_as_docker_resolves_it(reference: str, name: ImageName) -> None:
    assert stack_name(reference) == name
