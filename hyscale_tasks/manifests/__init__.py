"""Kubernetes manifests from a service spec: plugins emit snippets, the pipeline inserts them."""
