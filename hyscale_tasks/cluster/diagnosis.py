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
