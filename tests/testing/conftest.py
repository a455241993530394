"""Fixtures of the tests of the test helpers: the real cluster (testing/fixtures.py), for the
benchmark helper."""

from testing.fixtures import cluster as cluster
from testing.fixtures import kube_env as kube_env
