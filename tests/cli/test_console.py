"""HyScale's console look, printed without the cluster: a table loads no kubernetes client."""

from __future__ import annotations

import subprocess
import sys

from testing.workspace import REPO

_PROBE = """
import io, sys
from hyscale_tasks.cli.console import Console
out = io.StringIO()
Console(out).table([["Application", "Profile", "Namespace"], ["shop", "", "shop-dev"]], [12, 8, 9])
sys.stdout.write(out.getvalue())
print("LOADED=" + ",".join(m for m in ("kubernetes", "urllib3") if m in sys.modules))
"""


def test_a_table_is_hyscales_layout_and_loads_no_kubernetes() -> None:
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True,
                            text=True, check=True)
    assert result.stdout == ("Application \tProfile \tNamespace\t\n"
                             "---         \t---     \t---      \t\n"
                             "shop        \t···     \tshop-dev \t\n"
                             "LOADED=\n")
