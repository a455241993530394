from tests.cluster.fixtures import (  # noqa: F401 - the fixtures, for the stand-in's own tests
    cluster,
    docker_cluster,
    docker_services,
    standin_web_image,
)
