"""What the tests and the benchmarks share: a workspace that runs the real ``doit`` and
``hyscale`` commands, the services the tests talk to (the Docker engine, the registry, the
Kubernetes cluster and its audit log) seen from a test, and the tools that put faults or counters
between the tool and those services. Nothing here is a test; the tests live in ``tests/``."""
