"""Up-to-date probes: callables doit runs before deciding to skip a task.

They are objects rather than closures so that ``doit -n 4`` can pickle the tasks, and they have a
``__repr__`` because ``doit info`` prints it as the reason a task would run. A probe never raises:
an exception in a probe aborts the whole doit run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyscale_tasks.files import output_set_intact


class OutputsIntact:
    """False when a file the stage wrote was deleted or edited since (the stage re-writes it)."""

    def __init__(self, index: Path) -> None:
        self.index = index

    def __call__(self, task: Any, values: Any) -> bool:
        return output_set_intact(self.index)

    def __repr__(self) -> str:
        return f"generated files listed in {self.index} are present and unedited"
