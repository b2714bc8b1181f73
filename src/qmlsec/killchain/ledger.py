"""Translate exposure-ledger entries into a system-model mapping.

The ledger of the QMLaaS pipeline records every hand-off as a plain entry
``{step, asset, form, sender, receiver, receiver_trust, time}``. From those entries we
read what the threat rules need; anything the ledger cannot tell (multi-tenancy,
device pool, billing) keeps the defaults of :class:`~qmlsec.killchain.system.SystemModel`
and can be set with ``flags``.

Derivations (keyword matches on lower-cased ``asset``/``form``/``step``):

* ``classical_cloud.trust`` / ``quantum_cloud.trust``: the least trusted
  ``receiver_trust`` seen for that receiver.
* ``transpiler.third_party``: some entry hands a circuit to a ``transpiler`` whose
  ``receiver_trust`` is not ``trusted``.
* ``dataset.location``: ``classical_cloud`` when the classical cloud receives an asset
  with ``data`` in its name (other than encoded circuits), else ``user``.
* ``classical_cloud.computes_gradients``: a ``gradient`` asset is sent to or by the
  classical cloud.
* ``model.trained_on_quantum_cloud``: the quantum cloud receives something outside an
  ``infer`` step.
* ``api.exposed`` / ``api.output``: an ``api_client`` receives something; ``label``,
  ``prob`` or ``expect`` in its form or asset picks the output kind.

Example:
    >>> from qmlsec.killchain.ledger import ledger_to_dict
    >>> d = ledger_to_dict([{"step": "inference", "asset": "prediction", "form": "labels",
    ...     "sender": "classical_cloud", "receiver": "api_client",
    ...     "receiver_trust": "honest-but-curious", "time": 3}])
    >>> d["api"]
    {'exposed': True, 'output': 'labels'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qmlsec.exceptions import ConfigError

PARTIES = ("user", "classical_cloud", "quantum_cloud", "transpiler", "api_client")
TRUST_ORDER = {"trusted": 0, "honest-but-curious": 1, "malicious": 2}
REQUIRED = ("step", "asset", "sender", "receiver")


def most_distrustful(trusts: Iterable[str], default: str) -> str:
    """The least trusted of ``trusts`` (``default`` when none is a trust level)."""
    values = [t for t in trusts if t in TRUST_ORDER]
    return max(values, key=TRUST_ORDER.__getitem__) if values else default


def _text(entry: Mapping[str, Any], *keys: str) -> str:
    return " ".join(str(entry.get(k, "")) for k in keys).lower()


def _check(entries: Sequence[Mapping[str, Any]]) -> None:
    for i, entry in enumerate(entries):
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise ConfigError(
                f"ledger entry #{i}: missing {', '.join(missing)}",
                hint="entries are {step, asset, form, sender, receiver, receiver_trust, time}",
            )
        for key in ("sender", "receiver"):
            if entry[key] not in PARTIES:
                raise ConfigError(
                    f"ledger entry #{i}: unknown {key} {entry[key]!r}",
                    hint="use one of: " + ", ".join(PARTIES),
                )


def _least_trusted(entries: Sequence[Mapping[str, Any]], receiver: str) -> str | None:
    trusts = [str(e.get("receiver_trust", "")) for e in entries if e["receiver"] == receiver]
    return most_distrustful(trusts, "") or None


def ledger_to_dict(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A partial :class:`SystemModel` mapping derived from ledger entries."""
    _check(entries)
    data: dict[str, Any] = {
        "name": "from exposure ledger",
        "description": f"{len(entries)} ledger entries",
    }
    classical: dict[str, Any] = {}
    quantum: dict[str, Any] = {}
    if trust := _least_trusted(entries, "classical_cloud"):
        classical["trust"] = trust
    if trust := _least_trusted(entries, "quantum_cloud"):
        quantum["trust"] = trust
    to_classical = [e for e in entries if e["receiver"] == "classical_cloud"]
    data_assets = [
        e
        for e in to_classical
        if "data" in _text(e, "asset") and "circuit" not in _text(e, "asset", "form")
    ]
    data["dataset"] = {"location": "classical_cloud" if data_assets else "user"}
    classical["computes_gradients"] = any(
        "gradient" in _text(e, "asset") and "classical_cloud" in (e["sender"], e["receiver"])
        for e in entries
    )
    to_quantum = [e for e in entries if e["receiver"] == "quantum_cloud"]
    data["model"] = {
        "trained_on_quantum_cloud": any("infer" not in _text(e, "step") for e in to_quantum)
    }
    to_transpiler = [e for e in entries if e["receiver"] == "transpiler"]
    if to_transpiler:
        data["transpiler"] = {
            "third_party": any(
                e.get("receiver_trust", "trusted") != "trusted" for e in to_transpiler
            )
        }
    to_client = [e for e in entries if e["receiver"] == "api_client"]
    api: dict[str, Any] = {"exposed": bool(to_client)}
    kinds = " ".join(_text(e, "form", "asset") for e in to_client)
    for key, output in (("prob", "probabilities"), ("expect", "expectations"), ("label", "labels")):
        if key in kinds:
            api["output"] = output
            break
    data["api"] = api
    data["classical_cloud"] = classical
    data["quantum_cloud"] = quantum
    data["dataflows"] = [
        {
            "source": e["sender"],
            "sink": e["receiver"],
            "asset": str(e["asset"]),
            "form": str(e.get("form", "")),
            "step": str(e["step"]),
        }
        for e in entries
    ]
    data["boundaries"] = _boundaries(entries)
    return data


def _boundaries(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for party in PARTIES:
        trusts = [str(e.get("receiver_trust", "")) for e in entries if e["receiver"] == party]
        if trusts:
            out.append(
                {"name": party, "trust": most_distrustful(trusts, "trusted"), "elements": [party]}
            )
    return out
