from tests.cluster.fixtures import cluster  # noqa: F401 - the fixture, for the stand-in's own tests
