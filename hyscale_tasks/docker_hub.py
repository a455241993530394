"""Docker Hub's names: the registry of an image name that names none.

Two sets of aliases, different on purpose. Docker Hub serves its images under more names than
docker keeps its login under: an image of ``registry.hub.docker.com/...`` is pulled from Docker
Hub's API, but its login is looked up, and its image-pull Secret named, under
``registry.hub.docker.com`` itself (tests/manifests/test_bigapp.py).
"""

from __future__ import annotations

DOCKER_HUB = "docker.io"  # the registry of an image name without one (``busybox:1.36``)
HYSCALE_NAME = "index.docker.io"  # how HyScale's messages name it
LOGIN_KEY = "https://index.docker.io/v1/"  # where docker keeps its login in a docker config
API_HOST = "registry-1.docker.io"  # where its registry API answers

# Registry names whose login is Docker Hub's (kept under LOGIN_KEY).
LOGIN_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", API_HOST})
# Registry names that serve Docker Hub's images (through API_HOST).
IMAGE_ALIASES = LOGIN_ALIASES | {"registry.hub.docker.com"}
