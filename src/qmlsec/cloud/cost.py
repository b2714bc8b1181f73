"""Cost account: circuits, shots, queue wait, price, QPU and wall time per purpose.

Example:
    >>> acct = CostAccount()
    >>> acct.record("forward", circuits=4, shots=4096, queue_wait_s=2.0, price_usd=1.5)
    >>> acct.record("gradient", circuits=8, shots=8192, qpu_seconds=0.5)
    >>> acct.summary()["total"]["circuits"], acct.summary()["by_purpose"]["forward"]["price_usd"]
    (12, 1.5)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from qmlsec.exceptions import ConfigError

_FIELDS = ("jobs", "circuits", "shots", "queue_wait_s", "price_usd", "qpu_seconds", "wall_s")


@dataclass
class CostLine:
    """Totals for one purpose."""

    jobs: int = 0
    circuits: int = 0
    shots: int = 0
    queue_wait_s: float = 0.0
    price_usd: float = 0.0
    qpu_seconds: float = 0.0
    wall_s: float = 0.0

    def add(self, other: CostLine) -> None:
        """Add ``other`` into this line."""
        for name in _FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class CostAccount:
    """Accumulates executions per purpose (forward, gradient, inference...)."""

    def __init__(self) -> None:
        self._lines: dict[str, CostLine] = {}

    def record(
        self,
        purpose: str,
        *,
        circuits: int,
        shots: int = 0,
        queue_wait_s: float = 0.0,
        price_usd: float = 0.0,
        qpu_seconds: float = 0.0,
        wall_s: float = 0.0,
        jobs: int = 1,
    ) -> None:
        """Add one job's figures under ``purpose``."""
        line = CostLine(jobs, circuits, shots, queue_wait_s, price_usd, qpu_seconds, wall_s)
        self._lines.setdefault(purpose, CostLine()).add(line)

    def total(self) -> CostLine:
        """Totals over all purposes."""
        out = CostLine()
        for line in self._lines.values():
            out.add(line)
        return out

    def summary(self) -> dict[str, Any]:
        """``{"total": {...}, "by_purpose": {purpose: {...}}}`` (JSON-serialisable)."""
        return {
            "total": asdict(self.total()),
            "by_purpose": {k: asdict(v) for k, v in sorted(self._lines.items())},
        }

    @classmethod
    def from_summary(cls, summary: Any) -> CostAccount:
        """Rebuild an account from :meth:`summary` output (a deployment's ``cost.json``).

        Raises:
            ConfigError: not a summary (missing ``by_purpose``, unknown or negative figures).
        """
        lines = summary.get("by_purpose") if isinstance(summary, dict) else None
        if not isinstance(lines, dict):
            raise ConfigError("not a cost summary", hint='expected {"by_purpose": {...}}')
        account = cls()
        for purpose, figures in lines.items():
            if not isinstance(figures, dict) or set(figures) - set(_FIELDS):
                raise ConfigError(f"cost line {purpose!r} is malformed", hint=f"fields: {_FIELDS}")
            values = {k: figures.get(k, 0) for k in _FIELDS}
            if any(not isinstance(v, int | float) or v < 0 for v in values.values()):
                raise ConfigError(f"cost line {purpose!r} has a negative or non-numeric figure")
            account._lines[str(purpose)] = CostLine(**values)
        return account

    def table(self) -> Table:
        """A rich table: one row per purpose plus the total."""
        table = Table(title="Cost account")
        table.add_column("purpose")
        for name in _FIELDS:
            table.add_column(name, justify="right")
        rows = [*sorted(self._lines.items()), ("total", self.total())]
        for purpose, line in rows:
            values = asdict(line)
            table.add_row(purpose, *(_fmt(values[name]) for name in _FIELDS))
        return table

    def print_table(self, console: Console | None = None) -> None:
        """Print :meth:`table` (to stderr by default)."""
        (console or Console(stderr=True)).print(self.table())


def _fmt(value: float | int) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"
