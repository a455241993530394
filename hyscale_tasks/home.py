"""Where the tool keeps everything it writes: ``$HYSCALE_HOME``, else ``~/.hyscale`` (design §1).

A module of its own, below every package, because the stages (``tasks/``) and the cluster
connection's kept endpoint (``cluster/endpoint.py``) both write under it.
"""

from __future__ import annotations

import os
from pathlib import Path


def hyscale_home() -> Path:
    configured = os.environ.get("HYSCALE_HOME")
    return Path(configured).expanduser().resolve() if configured else Path.home() / ".hyscale"
