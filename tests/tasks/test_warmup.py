"""The deploy's import started early (tasks/warmup.py) never runs beside a stage's own imports:
every stage waits for it first."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from hyscale_tasks.tasks import warmup
from hyscale_tasks.tasks.actions import reports_errors


def test_a_stage_starts_only_once_the_warm_up_import_is_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "slow_cluster_code.py").write_text("import time\ntime.sleep(0.5)\nDONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(warmup, "CLUSTER_CODE", "slow_cluster_code")
    monkeypatch.setattr(warmup, "_threads", [])
    seen: list[bool] = []

    @reports_errors
    def stage() -> None:
        seen.append("slow_cluster_code" in sys.modules and
                    getattr(sys.modules["slow_cluster_code"], "DONE", False))

    started = time.monotonic()
    warmup.import_cluster_code()
    stage()
    assert seen == [True]  # the module was whole when the stage began
    assert time.monotonic() - started >= 0.5
    monkeypatch.delitem(sys.modules, "slow_cluster_code")
