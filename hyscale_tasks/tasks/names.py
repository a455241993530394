"""Task names: a service's stage is the doit task ``<stage>:<service>`` (``deploy:web``), the
sub-task ``<service>`` of the group task ``<stage>``."""

from __future__ import annotations


def task_name(stage: str, service: str) -> str:
    """``deploy``, ``web`` -> ``deploy:web``."""
    return f"{stage}:{service}"


def split_task_name(name: str) -> tuple[str, str]:
    """``deploy:web`` -> (``deploy``, ``web``); a group's name ``deploy`` -> (``deploy``, "")."""
    stage, _, service = name.partition(":")
    return stage, service
