"""Translate exposure-ledger entries into a system-model mapping.

The ledger of a deployment records every hand-off as a typed
:class:`~qmlsec.cloud.ledger.LedgerEntry` whose parties, assets and trust levels are the
shared enums of :mod:`qmlsec.cloud.parties`. From the deployment's own workflow (entries
without an ``actor``) we read what the threat rules need; anything the ledger cannot
tell (multi-tenancy, device pool, billing) keeps the defaults of
:class:`~qmlsec.killchain.system.SystemModel` and can be set with ``flags``.

Derivations:

* ``classical_cloud.trust`` / ``quantum_cloud.trust``: the least trusted
  ``receiver_trust`` of the hand-offs that party received.
* ``transpiler.third_party`` / ``transpiler.host``: the transpiler receives the logical
  circuit from its host; it is third-party when that hand-off is not to a trusted party.
* ``dataset.location``: ``classical_cloud`` when the classical cloud receives raw data
  or labels, else ``user``.
* ``classical_cloud.computes_gradients``: the classical cloud sends or receives gradients.
* ``model.trained_on_quantum_cloud``: the quantum cloud receives circuits in a training
  step (design, transpile, execute, gradient).
* ``api.exposed`` / ``api.output``: an ``api_client`` receives predictions; their form
  (labels, probabilities, expectations) is the output kind.

Example:
    >>> from qmlsec.cloud.ledger import ExposureLedger
    >>> ledger = ExposureLedger()
    >>> _ = ledger.record("inference", "predictions", "labels", "classical_cloud",
    ...                   "api_client", "trusted")
    >>> ledger_to_dict(ledger.typed())["api"]
    {'exposed': True, 'output': 'labels'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from qmlsec.cloud.ledger import LedgerEntry
from qmlsec.cloud.parties import Asset, Party, TrustLevel
from qmlsec.exceptions import ConfigError

TRUST_ORDER = {TrustLevel.TRUSTED: 0, TrustLevel.HONEST_BUT_CURIOUS: 1, TrustLevel.MALICIOUS: 2}
TRAINING_STEPS = frozenset({"design", "transpile", "execute", "gradient", "finetune"})
OUTPUTS = ("probabilities", "expectations", "labels")


def most_distrustful(trusts: Iterable[TrustLevel | str], default: str) -> str:
    """The least trusted of ``trusts`` (``default`` when there are none)."""
    values = [TrustLevel(t) for t in trusts]
    return max(values, key=TRUST_ORDER.__getitem__).value if values else default


def typed_entries(entries: Iterable[LedgerEntry | Mapping[str, Any]]) -> list[LedgerEntry]:
    """Entries as :class:`LedgerEntry` (mappings validated; raises ConfigError naming the bad one)."""
    out = []
    for i, entry in enumerate(entries):
        if isinstance(entry, LedgerEntry):
            out.append(entry)
            continue
        try:
            out.append(LedgerEntry.model_validate(dict(entry)))
        except ValidationError as err:
            detail = err.errors()[0]
            where = ".".join(str(p) for p in detail["loc"])
            problem = (f"unknown {where} {detail['input']!r}" if detail["type"] == "enum"
                       else f"{where}: {detail['msg']}")  # fmt: skip
            raise ConfigError(
                f"ledger entry #{i}: {problem}",
                hint="parties: "
                + ", ".join(p.value for p in Party)
                + "; assets: "
                + ", ".join(a.value for a in Asset),
            ) from None
    return out


def ledger_to_dict(entries: Sequence[LedgerEntry | Mapping[str, Any]]) -> dict[str, Any]:
    """A partial :class:`SystemModel` mapping derived from the workflow's ledger entries."""
    own = [e for e in typed_entries(entries) if not e.actor]
    data: dict[str, Any] = {"name": "from exposure ledger",
                            "description": f"{len(own)} ledger entries"}  # fmt: skip

    def received(party: Party) -> list[LedgerEntry]:
        return [e for e in own if e.receiver is party]

    classical: dict[str, Any] = {}
    quantum: dict[str, Any] = {}
    if rows := received(Party.CLASSICAL_CLOUD):
        classical["trust"] = most_distrustful((e.receiver_trust for e in rows), "trusted")
    if rows := received(Party.QUANTUM_CLOUD):
        quantum["trust"] = most_distrustful((e.receiver_trust for e in rows), "trusted")
    raw = {Asset.RAW_DATA, Asset.LABELS}
    to_classical = received(Party.CLASSICAL_CLOUD)
    data["dataset"] = {"location": "classical_cloud" if any(
        e.asset in raw and e.step != "inference" for e in to_classical) else "user"}  # fmt: skip
    classical["computes_gradients"] = any(
        e.asset is Asset.GRADIENTS and Party.CLASSICAL_CLOUD in (e.sender, e.receiver) for e in own
    )
    data["model"] = {"trained_on_quantum_cloud": any(
        e.step in TRAINING_STEPS for e in received(Party.QUANTUM_CLOUD))}  # fmt: skip
    to_transpiler = received(Party.TRANSPILER)
    if to_transpiler:
        host = to_transpiler[0].sender
        data["transpiler"] = {
            "third_party": any(e.receiver_trust is not TrustLevel.TRUSTED for e in to_transpiler),
            **({"host": host.value} if host in (Party.USER, Party.CLASSICAL_CLOUD,
                                                 Party.QUANTUM_CLOUD) else {}),
        }  # fmt: skip
    predictions = [e for e in received(Party.API_CLIENT) if e.asset is Asset.PREDICTIONS]
    api: dict[str, Any] = {"exposed": bool(predictions)}
    forms = {e.form for e in predictions}
    for output in OUTPUTS:
        if output in forms:
            api["output"] = output
            break
    data["api"] = api
    data["classical_cloud"] = classical
    data["quantum_cloud"] = quantum
    data["dataflows"] = [
        {"source": e.sender.value, "sink": e.receiver.value, "asset": e.asset.value,
         "form": e.form, "step": e.step}
        for e in own
    ]  # fmt: skip
    data["boundaries"] = _boundaries(own)
    return data


def _boundaries(entries: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    out = []
    for party in Party:
        trusts = [e.receiver_trust for e in entries if e.receiver is party]
        if trusts:
            out.append({"name": party.value, "trust": most_distrustful(trusts, "trusted"),
                        "elements": [party.value]})  # fmt: skip
    return out
