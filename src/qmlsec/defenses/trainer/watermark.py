"""Trigger-set watermarking of a QNN and black-box ownership verification.

Mitigation QML.M0007, after Zhou and Wu, watermarking quantum neural networks
(arXiv:2506.12675), in the trigger-set style of Adi et al. (USENIX Security 2018): the
owner draws ``triggers`` secret inputs outside the data distribution (uniform in the
input box widened by ``spread``) and gives each a chosen label that is not what the
clean model predicts; the classifier is trained on the training set plus the trigger
set (repeated ``repeat`` times) so it learns both. Ownership of a suspect model is
verified black-box: query it on the trigger inputs and count label matches; the
one-sided binomial p-value against chance ``1/C`` must fall below ``alpha``.

Measured against ``extraction.substitute``: the watermark does not prevent theft (the
attack's agreement is unchanged by design); the report adds whether the stolen
substitute still carries it (``watermark_match_substitute``,
``watermark_p_value_substitute``) and the watermarked victim's own verification.
Cost: clean accuracy lost and the training-time multiplier.

Not covered: watermark removal (fine-tuning, pruning), an attacker who detects and
refuses out-of-distribution trigger queries, and the paper's circuit-level (gate)
watermarks.

Example:
    >>> Watermark().params.triggers
    12
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field
from scipy.stats import binomtest

from qmlsec.config import FrozenModel, rng
from qmlsec.defenses.base import AttackSetup, DefenseCost
from qmlsec.defenses.trainer.base import TrainerDefense
from qmlsec.exceptions import ConfigError


class WatermarkParams(FrozenModel):
    """Parameters of :class:`Watermark`."""

    triggers: int = Field(12, ge=2)
    repeat: int = Field(3, ge=1)
    spread: float = Field(0.5, ge=0)
    """How far beyond the data box triggers are drawn (fraction of each feature's range)."""
    alpha: float = Field(0.01, gt=0, lt=1)


class Watermark(TrainerDefense):
    """Train with a secret trigger set; verify ownership from a suspect's labels on it."""

    name: ClassVar[str] = "trainer.watermark"
    mitigation_id: ClassVar[str] = "QML.M0007"
    counters: ClassVar[tuple[str, ...]] = ("extraction.substitute", "extraction.quantumleak")
    Params = WatermarkParams
    check_params: ClassVar[dict[str, Any]] = {"triggers": 4, "repeat": 1}

    def fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        p = self.params
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        gen = rng(self.seed, "watermark")
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = p.spread * (hi - lo)
        trig = gen.uniform(lo - pad, hi + pad, size=(p.triggers, X.shape[1]))
        classes = np.unique(y)
        clean = self.classifier().fit(X, y).predict(trig)
        shift = gen.integers(1, len(classes), size=p.triggers)
        index = np.searchsorted(classes, clean)
        self.trigger_x_, self.trigger_y_ = trig, classes[(index + shift) % len(classes)]
        xs = np.concatenate([X, np.repeat(trig, p.repeat, axis=0)])
        ys = np.concatenate([y, np.repeat(self.trigger_y_, p.repeat)])
        return self.classifier().fit(xs, ys)

    def verify(self, suspect: Any) -> tuple[float, float]:
        """``(match rate, p-value)`` of ``suspect`` on the trigger set (``predict`` only)."""
        if not hasattr(self, "trigger_x_"):
            raise ConfigError("no watermark embedded yet", hint="call fit first")
        pred = np.asarray(suspect.predict(self.trigger_x_))
        hits = int(np.sum(pred == self.trigger_y_))
        chance = 1.0 / len(np.unique(np.asarray(getattr(suspect, "classes_", self.trigger_y_))))
        p_value = binomtest(hits, len(pred), chance, alternative="greater").pvalue
        return hits / len(pred), float(p_value)

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Steal the watermarked victim, then verify ownership of the stolen model."""
        protected, cost = self.protect(setup)
        result = protected.run(seed)
        result.notes.extend(protected.notes)
        own_rate, own_p = self.verify(protected.model)
        result.metrics["watermark_match_victim"] = own_rate
        result.metrics["watermark_p_value_victim"] = own_p
        stolen = result.outputs.get("substitute")
        if stolen is not None:
            rate, p_value = self.verify(stolen)
            result.metrics["watermark_match_substitute"] = rate
            result.metrics["watermark_p_value_substitute"] = p_value
            result.metrics["watermark_detected"] = float(p_value < self.params.alpha)
        return result, cost
