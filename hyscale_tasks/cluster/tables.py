"""HyScale's tables (service status, replicas, apps) and the status row they show.

Layout only, apart from the reads that fill them (cluster/status.py imports kubernetes): the
``hyscale`` command's console prints a table without loading the kubernetes client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

STATUS_HEADINGS = ["Service Name", "Status", "Age", "Service Address", "Service URL", "Message"]
STATUS_WIDTHS = [30, 15, 20, 40, 40, 20]
WIDE_ADDRESS = 75
REPLICA_HEADINGS = ["Replica name", "Status", "Age"]
REPLICA_WIDTHS = [50, 20, 20]


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    status: str
    age: str
    address: str
    url: str
    message: str
    replicas: str  # "ready/desired"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "age": self.age,
                "serviceAddress": self.address, "serviceURL": self.url,
                "message": self.message, "replicas": self.replicas}


def table(rows: Sequence[Sequence[str]], widths: Sequence[int]) -> str:
    """HyScale's table: columns left-justified to their width, each followed by a tab."""
    def line(cells: Sequence[str]) -> str:
        return "".join(f"{cell or '···':<{width}}\t" for cell, width in zip(cells, widths, strict=True))
    header, *body = rows
    return "\n".join([line(header), line(["-" * 3] * len(header)), *(line(row) for row in body)])


def status_table(found: Sequence[ServiceStatus]) -> str:
    """HyScale's status table of these services (``get service status``, ``doit status``)."""
    widths = list(STATUS_WIDTHS)
    if any(len(status.address) > widths[3] for status in found):
        widths[3] = WIDE_ADDRESS  # HyScale widens the address column for long addresses
    return table([STATUS_HEADINGS, *([s.name, s.status, s.age, s.address, s.url, s.message]
                                     for s in found)], widths)


def replica_table(rows: Sequence[Sequence[str]]) -> str:
    """HyScale's table of a service's pods: name, status, age (operations.replica_status)."""
    return table([REPLICA_HEADINGS, *rows], REPLICA_WIDTHS)
