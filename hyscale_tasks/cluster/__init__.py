"""Talking to Kubernetes: apply, wait and diagnose, status, logs, undeploy, scale.

The only package that imports ``kubernetes``; never imported while doit loads tasks.
"""
