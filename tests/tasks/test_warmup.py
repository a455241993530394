"""The deploy's import started early (tasks/warmup.py) never runs beside a stage's own imports:
every stage waits for it first."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hyscale_tasks.tasks import warmup
from hyscale_tasks.tasks.actions import reports_errors


def test_a_stage_starts_only_once_the_warm_up_import_is_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("slow_image_code", "slow_cluster_code"):
        (tmp_path / f"{name}.py").write_text("import time\ntime.sleep(0.3)\nDONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(warmup, "_threads", [])
    seen: list[bool] = []

    @reports_errors
    def stage() -> None:
        seen.extend(name in sys.modules and getattr(sys.modules[name], "DONE", False)
                    for name in ("slow_image_code", "slow_cluster_code"))

    warmup.import_ahead("slow_image_code", "slow_cluster_code")
    stage()
    assert seen == [True, True]  # both modules were whole when the stage began
    monkeypatch.delitem(sys.modules, "slow_image_code")
    monkeypatch.delitem(sys.modules, "slow_cluster_code")
