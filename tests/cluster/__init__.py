"""A Kubernetes stand-in for tests (issue #4).

A real HTTP server that speaks the Kubernetes REST API subset hyscale-tasks uses, with the semantics a
real cluster has (server-set metadata, 404/409/422 Status bodies, strategic merge patch, watches,
label and field selectors), controllers (Deployment -> ReplicaSet -> Pods, StatefulSet -> Pods + PVCs,
garbage collection, namespaces, a scheduler) and a kubelet behind an interface. The tool talks to it
through the official ``kubernetes`` client and a kubeconfig, exactly as it would to a real cluster.

This is test code: it never ships in the package. Entry points:

* ``python -m tests.cluster --kubeconfig PATH [--audit-log PATH] [--no-docker]``
* the pytest fixtures in :mod:`tests.cluster.fixtures`
* :class:`tests.cluster.standin.StandIn` for anything else.

Keep this module import-free: ``python -m tests.cluster`` imports it first.
"""
