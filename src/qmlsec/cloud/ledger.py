"""Exposure ledger: every hand-off of an asset between parties, in which form.

Identical hand-offs (same step, asset, form, sender, receiver, receiver trust) are
stored once with a ``count``; ``time`` is the (simulated) time of the first one. The
kill-chain layer reads :meth:`ExposureLedger.entries` as plain dicts.

Example:
    >>> ledger = ExposureLedger()
    >>> for _ in range(3):
    ...     _ = ledger.record("execute", "bound_parameters", "angles in bound circuit",
    ...                       "classical_cloud", "quantum_cloud", "honest-but-curious")
    >>> len(ledger), ledger.entries()[0]["count"]
    (1, 3)
    >>> [e["asset"] for e in ledger.seen_by("quantum_cloud")]
    ['bound_parameters']
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, ValidationError

from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError

Asset = Literal[
    "raw_data",
    "labels",
    "reduced_features",
    "encoding_circuit",
    "pqc_architecture",
    "bound_parameters",
    "transpiled_circuit",
    "measurement_results",
    "loss_values",
    "gradients",
    "predictions",
    "model_weights",
]
Party = Literal["user", "classical_cloud", "quantum_cloud", "transpiler", "api_client"]
Trust = Literal["trusted", "honest-but-curious", "malicious"]
ASSETS: tuple[str, ...] = Asset.__args__  # type: ignore[attr-defined]
PARTIES: tuple[str, ...] = Party.__args__  # type: ignore[attr-defined]


class LedgerEntry(FrozenModel):
    """One (deduplicated) hand-off."""

    step: str
    asset: Asset
    form: str
    sender: Party
    receiver: Party
    receiver_trust: Trust
    time: float = Field(default=0.0, ge=0)
    count: int = Field(default=1, ge=1)

    @property
    def key(self) -> tuple[str, ...]:
        """What makes two hand-offs identical."""
        return (self.step, self.asset, self.form, self.sender, self.receiver, self.receiver_trust)


class ExposureLedger:
    """Who saw which asset, in which form, how often."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, ...], LedgerEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def record(
        self,
        step: str,
        asset: str,
        form: str,
        sender: str,
        receiver: str,
        receiver_trust: str,
        *,
        time: float = 0.0,
        count: int = 1,
    ) -> LedgerEntry:
        """Record ``count`` identical hand-offs; raises ConfigError on unknown names."""
        try:
            entry = LedgerEntry.model_validate(
                {"step": step, "asset": asset, "form": form, "sender": sender, "receiver": receiver,
                 "receiver_trust": receiver_trust, "time": time, "count": count}
            )  # fmt: skip
        except ValidationError as err:
            raise ConfigError(
                f"invalid ledger entry: {err.errors()[0]['msg']}",
                hint=f"assets: {', '.join(ASSETS)}; parties: {', '.join(PARTIES)}",
            ) from err
        old = self._entries.get(entry.key)
        if old is not None:
            entry = old.model_copy(update={"count": old.count + count, "time": min(old.time, time)})
        self._entries[entry.key] = entry
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """All entries as dicts ``{step, asset, form, sender, receiver, receiver_trust, time, count}``."""
        return [e.model_dump() for e in self._entries.values()]

    def query(self, **match: str) -> list[dict[str, Any]]:
        """Entries whose fields equal every ``match`` item (e.g. ``asset="gradients"``)."""
        return [e for e in self.entries() if all(e.get(k) == v for k, v in match.items())]

    def seen_by(self, party: str) -> list[dict[str, Any]]:
        """Everything ``party`` held: hand-offs it received or sent."""
        return [e for e in self.entries() if party in (e["receiver"], e["sender"])]

    def forms(self, party: str) -> dict[str, list[str]]:
        """Asset -> sorted forms in which ``party`` saw it."""
        out: dict[str, set[str]] = {}
        for e in self.seen_by(party):
            out.setdefault(e["asset"], set()).add(e["form"])
        return {asset: sorted(forms) for asset, forms in sorted(out.items())}

    def to_json(self) -> str:
        """JSON ``{"entries": [...]}``."""
        return json.dumps({"entries": self.entries()}, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ExposureLedger:
        """Load and validate a ledger written by :meth:`to_json`.

        Raises:
            ConfigError: malformed JSON or an invalid entry.
        """
        try:
            rows = json.loads(text)["entries"]
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise ConfigError(
                f"not a ledger JSON: {err}", hint='expected {"entries": [...]}'
            ) from err
        ledger = cls()
        for row in rows:
            if not isinstance(row, dict):
                raise ConfigError(f"ledger entry is not an object: {row!r}", hint="re-export it")
            ledger.record(**row)
        return ledger
