"""Exposure ledger: every hand-off of an asset between parties, in which form.

The parties, assets and trust levels are shared types (:class:`Party`, :class:`Asset`,
:class:`~qmlsec.cloud.parties.TrustLevel`): the workflow, the clouds, the
attacks and the kill-chain layer all read and write the same names.

Identical hand-offs (same step, asset, form, sender, receiver, receiver trust, actor)
are stored once with a ``count``; entries keep the order in which they first happened,
and ``time`` is the (simulated) time of the first one. ``actor`` is empty for the
deployment's own workflow and names the attack for everything recorded while an attack
acts on the deployment (:meth:`ExposureLedger.acting`), so an attack's footprint -
its queries, probe jobs, observed and modified circuits and results - can be listed.

Example:
    >>> ledger = ExposureLedger()
    >>> for _ in range(3):
    ...     _ = ledger.record("execute", "bound_parameters", "angles in bound circuit",
    ...                       "classical_cloud", "quantum_cloud", "honest-but-curious")
    >>> len(ledger), ledger.entries()[0]["count"]
    (1, 3)
    >>> with ledger.acting("recon.encoding_inference"):
    ...     _ = ledger.record("observe", "bound_parameters", "observed by provider hook",
    ...                       "quantum_cloud", "attacker", "malicious")
    >>> [e["asset"] for e in ledger.footprint("recon.encoding_inference")]
    ['bound_parameters']
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import Field, ValidationError

from qmlsec.cloud.parties import Asset, Party, TrustLevel
from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError

ASSETS: tuple[str, ...] = tuple(a.value for a in Asset)
PARTIES: tuple[str, ...] = tuple(p.value for p in Party)


class LedgerEntry(FrozenModel):
    """One (deduplicated) hand-off."""

    step: str
    asset: Asset
    form: str
    sender: Party
    receiver: Party
    receiver_trust: TrustLevel
    actor: str = ""
    time: float = Field(default=0.0, ge=0)
    count: int = Field(default=1, ge=1)

    @property
    def key(self) -> tuple[str, ...]:
        """What makes two hand-offs identical."""
        return (self.step, self.asset, self.form, self.sender, self.receiver,
                self.receiver_trust, self.actor)  # fmt: skip


class ExposureLedger:
    """Who saw which asset, in which form, how often, and on whose behalf."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, ...], LedgerEntry] = {}
        self._actor = ""

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def actor(self) -> str:
        """The attack acting on the deployment now (``""``: the deployment's own workflow)."""
        return self._actor

    @contextmanager
    def acting(self, actor: str) -> Iterator[ExposureLedger]:
        """Attribute every hand-off recorded inside the block to ``actor``."""
        previous, self._actor = self._actor, str(actor)
        try:
            yield self
        finally:
            self._actor = previous

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
        actor: str | None = None,
    ) -> LedgerEntry:
        """Record ``count`` identical hand-offs; raises ConfigError on unknown names."""
        try:
            entry = LedgerEntry.model_validate(
                {"step": step, "asset": asset, "form": form, "sender": sender, "receiver": receiver,
                 "receiver_trust": receiver_trust, "time": time, "count": count,
                 "actor": self._actor if actor is None else actor}
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

    def typed(self) -> list[LedgerEntry]:
        """All entries, in the order they first happened."""
        return list(self._entries.values())

    def entries(self) -> list[dict[str, Any]]:
        """All entries as JSON-ready dicts."""
        return [e.model_dump(mode="json") for e in self._entries.values()]

    def query(self, **match: str) -> list[dict[str, Any]]:
        """Entries whose fields equal every ``match`` item (e.g. ``asset="gradients"``)."""
        return [e for e in self.entries() if all(e.get(k) == v for k, v in match.items())]

    def seen_by(self, party: str) -> list[dict[str, Any]]:
        """Everything ``party`` held: hand-offs it received or sent."""
        return [e for e in self.entries() if party in (e["receiver"], e["sender"])]

    def footprint(self, actor: str) -> list[dict[str, Any]]:
        """Everything recorded while ``actor`` acted on the deployment."""
        return [e for e in self.entries() if e["actor"] == actor]

    def actors(self) -> list[str]:
        """The attacks that left a footprint, in order of first appearance."""
        return list(dict.fromkeys(e.actor for e in self._entries.values() if e.actor))

    def steps(self, *, actor: str = "") -> list[str]:
        """The workflow steps recorded (by ``actor``), in the order they first happened."""
        return list(dict.fromkeys(e.step for e in self._entries.values() if e.actor == actor))

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
        if not isinstance(rows, list):
            raise ConfigError("ledger entries are not a list", hint="re-export the ledger")
        ledger = cls()
        for row in rows:
            if not isinstance(row, dict):
                raise ConfigError(f"ledger entry is not an object: {row!r}", hint="re-export it")
            ledger.record(**row)
        return ledger
