from testing.fixtures import cluster, kube_env

__all__ = ["cluster", "kube_env"]
