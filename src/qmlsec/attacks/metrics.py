"""Attack metrics computed from per-sample results: ROC, AUC, TPR at low FPR, advantage.

The membership metrics follow the reporting conventions of ML Privacy Meter and
TensorFlow Privacy: the area under the ROC curve, the true-positive rate at 1% and 0.1%
false-positive rate (Carlini et al., "Membership Inference Attacks From First
Principles", S&P 2022) and the attacker advantage ``max |TPR - FPR|`` (Yeom et al.,
CSF 2018). Scores are "higher means member".

Example:
    >>> import numpy as np
    >>> from qmlsec.attacks.metrics import membership_metrics
    >>> m = membership_metrics(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 0, 0]))
    >>> m["auc"], m["advantage"]
    (1.0, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qmlsec.exceptions import DataError


def _check_binary(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise DataError(f"scores {scores.shape} and labels {labels.shape} differ in length")
    if not np.isin(labels, (0, 1)).all():
        raise DataError("labels must be 0 (non-member) or 1 (member)")
    if labels.min(initial=1) == labels.max(initial=0):
        raise DataError(
            "ROC metrics need both positives and negatives",
            hint="evaluate on a set with members and non-members",
        )
    if not np.isfinite(scores).all():
        raise DataError("scores contain NaN or infinite values")
    return scores, labels.astype(bool)


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The full ROC curve, one point per distinct score plus the origin.

    Args:
        scores: higher means "positive" (member).
        labels: 1 for positives, 0 for negatives.

    Returns:
        ``(fpr, tpr, thresholds)``; a sample is called positive when ``score >=
        threshold``. The first threshold is ``+inf`` (nothing called positive), like
        :func:`sklearn.metrics.roc_curve` with ``drop_intermediate=False``.
    """
    scores, positive = _check_binary(scores, labels)
    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order]
    last_of_run = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(positive)[last_of_run]
    fps = (last_of_run + 1) - tps
    tpr = np.r_[0.0, tps / positive.sum()]
    fpr = np.r_[0.0, fps / (~positive).sum()]
    return fpr, tpr, np.r_[np.inf, scores[last_of_run]]


def auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Area under a curve given by increasing ``fpr`` (trapezoidal rule)."""
    fpr, tpr = np.asarray(fpr, dtype=np.float64), np.asarray(tpr, dtype=np.float64)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` for binary ``labels``."""
    fpr, tpr, _ = roc_curve(scores, labels)
    return auc(fpr, tpr)


def tpr_at_fpr(fpr: np.ndarray, tpr: np.ndarray, max_fpr: float) -> float:
    """The highest TPR reached at a false-positive rate of at most ``max_fpr``."""
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    return float(tpr[fpr <= max_fpr + 1e-12].max(initial=0.0))


def advantage(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """The attacker advantage ``max |TPR - FPR|`` over all thresholds."""
    return float(np.max(np.abs(np.asarray(tpr) - np.asarray(fpr))))


def membership_metrics(scores: np.ndarray, is_member: np.ndarray) -> dict[str, Any]:
    """AUC, TPR at 1% and 0.1% FPR, advantage and set sizes for membership scores.

    ``fpr_resolution`` is ``1 / n_nonmembers``: a TPR at an FPR below it is the TPR at
    zero false positives, which is what a small evaluation set can resolve.
    """
    fpr, tpr, _ = roc_curve(scores, is_member)
    members = int(np.sum(np.asarray(is_member) == 1))
    nonmembers = int(len(np.asarray(is_member)) - members)
    return {
        "auc": auc(fpr, tpr),
        "tpr_at_1pct_fpr": tpr_at_fpr(fpr, tpr, 0.01),
        "tpr_at_0.1pct_fpr": tpr_at_fpr(fpr, tpr, 0.001),
        "advantage": advantage(fpr, tpr),
        "n_members": members,
        "n_nonmembers": nonmembers,
        "fpr_resolution": 1.0 / nonmembers,
    }


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """The share of positions where two label arrays agree."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    if a.shape != b.shape or a.size == 0:
        raise DataError(f"cannot compare label arrays of shapes {a.shape} and {b.shape}")
    return float(np.mean(a == b))


def rowwise_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row of ``a`` with the same row of ``b``."""
    a, b = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(b, float))
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.sum(a * b, axis=1) / np.maximum(norms, 1e-12)
