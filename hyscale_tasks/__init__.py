"""hyscale-tasks: HyScale's service specs deployed to Kubernetes through exact-incremental doit tasks."""

from __future__ import annotations

__version__ = "0.1.0"
