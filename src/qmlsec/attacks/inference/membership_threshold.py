"""Membership inference by thresholding the per-sample loss or the confidence.

Follows Yeom, Giacomelli, Fredrikson, Jha, "Privacy Risk in Machine Learning: Analyzing
the Connection to Overfitting", CSF 2018: a sample is called a member when the victim's
loss on it is below a threshold (Yeom et al. use the mean training loss); the confidence
variant thresholds the top probability (Salem et al., NDSS 2019). Samples are scored with
"higher means member" (negative loss, confidence, true-class probability) and evaluated
threshold-free by the ROC (AUC, TPR at 1% and 0.1% FPR, advantage), the conventions of
ML Privacy Meter; the accuracy at Yeom's mean-member-loss threshold is reported too.
On QNNs, gray-box membership leakage is shown by Su et al. (arXiv:2509.06086).

Not covered: calibrated per-example attacks (LiRA, RMIA) that need reference models,
label-only attacks, and membership of samples outside the victim's train/test split.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> result = small_victim().setup("inference.membership_threshold", n_test=20).run(seed=0)
    >>> auc = result.estimates()["auc"]  # members vs non-members, stratified bootstrap
    >>> auc.n, auc.method, 0.0 <= auc.value <= 1.0
    (40, 'bootstrap', True)
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.inference.base import InferenceAttack
from qmlsec.attacks.inference.membership_data import membership_split
from qmlsec.attacks.metrics import membership_metrics
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed

ScoreName = Literal["loss", "confidence", "true_class_probability"]
SCORES: tuple[ScoreName, ...] = ("loss", "confidence", "true_class_probability")


def membership_scores(probs: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Per-sample scores, higher meaning "member", from probabilities and true labels.

    ``loss`` is the negative cross-entropy, ``confidence`` the top probability and
    ``true_class_probability`` the probability of the true label.
    """
    probs = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    true_p = probs[np.arange(len(probs)), np.asarray(labels, dtype=np.int64)]
    return {
        "loss": np.log(true_p),
        "confidence": probs.max(axis=1),
        "true_class_probability": true_p,
    }


class MembershipThresholdParams(FrozenModel):
    """Parameters of :class:`MembershipThreshold`.

    Attributes:
        score: the score whose metrics are the headline ones (all three are reported).
        max_per_side: cap on the number of members (and of non-members) evaluated.
    """

    score: ScoreName = "loss"
    max_per_side: int | None = Field(None, ge=2)


class MembershipThreshold(InferenceAttack):
    """Decide membership from the victim's loss or confidence on a sample."""

    name: ClassVar[str] = "inference.membership_threshold"
    technique_id: ClassVar[str] = "QML.T0027"
    requires: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.QUERY_ACCESS, Capability.PROBABILITIES}
    )
    positions: ClassVar[frozenset[Position]] = frozenset(
        {Position.API_USER, Position.UNTRUSTED_CLASSICAL_CLOUD}
    )
    Params: ClassVar[type[FrozenModel]] = MembershipThresholdParams

    def infer(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Membership scores of candidates ``(x, y)``: one array per score name."""
        probs = self.probabilities(x, seed=derive_seed(self.seed, "membership", "queries"))
        scores = membership_scores(probs, y)
        scores["correct"] = (probs.argmax(axis=1) == np.asarray(y)).astype(np.int64)
        return scores

    def _run(self, ctx: AttackContext) -> AttackResult:
        split = membership_split(ctx, seed=self.seed, max_per_side=self.params.max_per_side)
        scores = self.infer(split.x, split.y)
        member = split.is_member == 1
        metrics: dict[str, Any] = dict(membership_metrics(scores[self.params.score], member))
        for name in SCORES:
            metrics[f"{name}_auc"] = membership_metrics(scores[name], member)["auc"]
        threshold = float(np.mean(scores["loss"][member]))
        decided = scores["loss"] >= threshold
        metrics["yeom_threshold_accuracy"] = float(np.mean(decided == member))
        metrics["member_accuracy"] = float(np.mean(scores["correct"][member]))
        metrics["nonmember_accuracy"] = float(np.mean(scores["correct"][~member]))
        metrics["generalization_gap"] = metrics["member_accuracy"] - metrics["nonmember_accuracy"]
        return self.new_result(
            metrics=metrics,
            per_sample={
                "is_member": split.is_member.tolist(),
                **{f"score_{k}": v.tolist() for k, v in scores.items()},
            },
            provides=["goal.training_data_exposed"],
            notes=["members: training split; non-members: test split; balanced"],
        )
