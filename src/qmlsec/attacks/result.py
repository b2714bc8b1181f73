"""What every attack returns: per-sample results, metrics computed from them, JSON-ready."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qmlsec.attacks.facts import Fact
from qmlsec.attacks.intervals import metric_intervals
from qmlsec.stats import Estimate


def _jsonable(value: Any) -> Any:
    """Convert numpy/torch values to plain JSON types (NaN/inf become None)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return _jsonable(value.model_dump(mode="json"))
    return value


@dataclass
class AttackResult:
    """The outcome of one attack run.

    Attributes:
        attack: registry name, e.g. ``evasion.pgd``.
        technique_id: knowledge-base technique, e.g. ``QML.T0012``.
        params: the validated parameters used.
        seed: the run seed every random draw came from.
        metrics: scalar metrics, computed from ``per_sample``/``curves``.
        per_sample: per-sample records (equal-length lists), where they make sense.
        curves: named series, e.g. ``{"robust_accuracy": {"x": eps, "y": acc}}``.
        queries: query accounting against a black-box target.
        seconds: wall time of the attack's work.
        provides: knowledge-base facts this run established (for multi-stage paths).
        intervals: metric name -> :class:`~qmlsec.stats.Estimate` an attack states
            itself; every other metric's sample size and 95 % interval is derived from
            ``per_sample`` (:func:`~qmlsec.attacks.intervals.metric_intervals`).
        deployment: what the attack acted on (device, shots, serving, trust levels,
            attacker position), when it ran on a deployment.
        facts: typed facts this run established, by knowledge-base ID; a kill-chain
            path hands them to the next stage (see :mod:`qmlsec.attacks.facts`).
        outputs: in-memory artifacts of the run (a trained clone, adversarial
            examples...) for the caller; never serialised, never handed to a later
            stage (that is what ``facts`` are for).
    """

    attack: str
    technique_id: str
    params: dict[str, Any]
    seed: int
    metrics: dict[str, Any] = field(default_factory=dict)
    per_sample: dict[str, list[Any]] = field(default_factory=dict)
    curves: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    provides: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    intervals: dict[str, Estimate | dict[str, Any]] = field(default_factory=dict)
    deployment: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict, repr=False)
    outputs: dict[str, Any] = field(default_factory=dict, repr=False)

    def establish(self, *facts: Fact) -> None:
        """Record typed facts this run established (and their IDs under ``provides``)."""
        for fact in facts:
            self.facts[fact.id] = fact
            if fact.id not in self.provides:
                self.provides.append(fact.id)

    def estimates(self) -> dict[str, Estimate]:
        """Sample size and 95 % interval of every metric a rule covers (stated ones first)."""
        found = metric_intervals(self.metrics, self.per_sample, self.seed)
        found.update({k: v if isinstance(v, Estimate) else Estimate.from_dict(v)
                      for k, v in self.intervals.items()})  # fmt: skip
        return found

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``outputs`` excluded; ``intervals`` from :meth:`estimates`)."""
        return {
            "attack": self.attack,
            "technique_id": self.technique_id,
            "params": _jsonable(self.params),
            "seed": self.seed,
            "metrics": _jsonable(self.metrics),
            "per_sample": _jsonable(self.per_sample),
            "curves": _jsonable(self.curves),
            "queries": _jsonable(self.queries),
            "seconds": float(self.seconds),
            "provides": list(self.provides),
            "notes": list(self.notes),
            "intervals": {k: v.to_dict() for k, v in sorted(self.estimates().items())},
            "deployment": _jsonable(self.deployment),
            "facts": {k: f.describe() for k, f in sorted(self.facts.items())},
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, **kwargs)
