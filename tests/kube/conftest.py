from tests.kube.fixtures import cluster, kube_env

__all__ = ["cluster", "kube_env"]
