"""What the troubleshooter found: a reason and a fix, in the spec's terms, and where (pod,
container). Its own module so that every part of the troubleshooter (:mod:`.diagnose`,
:mod:`.blocked`) and the rollout wait share it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    reason: str
    fix: str
    pod: str | None = None
    container: str | None = None

    def __str__(self) -> str:
        return f"{self.reason}. {self.fix}" if self.fix else self.reason


# The fixes for a missing ConfigMap or Secret of the spec, whichever part of the troubleshooter
# finds it missing (a volume's, :mod:`.blocked`; an environment variable's, :mod:`.diagnose`).
PROPS_CONFIGMAP_FIX = "Redeploy: the tool writes the ConfigMap from props"


def missing_secret_fix(namespace: str, secret: str, keys: list[str]) -> str:
    """Create the Secret by hand, or let the tool make it from the spec's secrets as a map."""
    example = keys[0] if keys else "KEY"
    return (f"Create it (kubectl -n {namespace} create secret generic {secret} "
            f"--from-literal={example}=...), or write secrets as a map ({example}: value): the "
            "tool creates that Secret")
