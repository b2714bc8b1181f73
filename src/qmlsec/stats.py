"""Uncertainty of measured figures: an estimate with its sample size and 95 % interval.

* :func:`wilson`: the Wilson score interval of a proportion (Wilson 1927; the interval
  Brown, Cai and DasGupta, Statist. Sci. 2001, recommend for small ``n``);
* :func:`bootstrap`: a seeded percentile bootstrap of any statistic of one or more
  samples (resampled together when paired, each on its own when independent);
* :func:`bootstrap_mean`: the same for a mean, vectorised;
* :func:`bootstrap_auc`: the bootstrap of a ROC AUC, resampling positives and
  negatives separately so every replicate has both;
* :func:`difference`: the interval of ``a - b`` from the intervals of two independent
  estimates by the MOVER method (Zou and Donner, Stat. Med. 2008), which for two Wilson
  intervals is Newcombe's hybrid score interval (Stat. Med. 1998, method 10).

An :class:`Estimate` is JSON-ready through :meth:`Estimate.to_dict`:
``{"value", "n", "ci": [lo, hi] | null, "method", "level"}``.

Example:
    >>> est = wilson(8, 10)
    >>> [round(b, 3) for b in est.ci]
    [0.49, 0.943]
    >>> d = difference(wilson(9, 10), wilson(2, 10))
    >>> round(d.value, 2), d.excludes(0.0)
    (0.7, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

#: Confidence level of every interval the package reports.
LEVEL = 0.95
#: Bootstrap replicates (percentile intervals stable to about 0.01 at 2000).
N_BOOT = 2000


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2.0)


@dataclass(frozen=True)
class Estimate:
    """A measured figure, the number of observations behind it and its interval.

    Attributes:
        value: the point estimate.
        n: observations it was computed from (samples, trials, query pairs).
        ci: ``(lo, hi)`` at :attr:`level`; ``None`` when no interval can be given
            (a single observation of a quantity with sampling error).
        method: ``wilson``, ``bootstrap``, ``mover`` (a difference), ``exact`` (a value
            computed without sampling error, so ``ci == (value, value)``) or ``none``.
        level: the confidence level.
    """

    value: float
    n: int
    ci: tuple[float, float] | None
    method: str
    level: float = LEVEL

    @property
    def half_width(self) -> float | None:
        """Half the interval's width (``None`` without an interval)."""
        return None if self.ci is None else (self.ci[1] - self.ci[0]) / 2.0

    def above(self, threshold: float) -> bool:
        """Whether the whole interval lies above ``threshold``."""
        return self.ci is not None and self.ci[0] > threshold

    def below(self, threshold: float) -> bool:
        """Whether the whole interval lies below ``threshold``."""
        return self.ci is not None and self.ci[1] < threshold

    def excludes(self, value: float) -> bool:
        """Whether ``value`` lies outside the interval."""
        return self.above(value) or self.below(value)

    def scaled(self, fn: Callable[[float], float]) -> Estimate:
        """The estimate through a monotone map (interval ends re-ordered if it decreases)."""
        ci = None if self.ci is None else tuple(sorted((fn(self.ci[0]), fn(self.ci[1]))))
        return Estimate(fn(self.value), self.n, ci, self.method, self.level)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "value": float(self.value),
            "n": int(self.n),
            "ci": None if self.ci is None else [float(self.ci[0]), float(self.ci[1])],
            "method": self.method,
            "level": self.level,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimate:
        """The inverse of :meth:`to_dict`."""
        ci = data.get("ci")
        return cls(float(data["value"]), int(data["n"]),
                   None if ci is None else (float(ci[0]), float(ci[1])),
                   str(data.get("method", "none")), float(data.get("level", LEVEL)))  # fmt: skip


def exact(value: float, n: int = 1) -> Estimate:
    """A value computed without sampling error (its interval is the value itself)."""
    return Estimate(float(value), int(n), (float(value), float(value)), "exact")


def wilson(successes: float, n: int, level: float = LEVEL) -> Estimate:
    """The Wilson score interval of ``successes`` out of ``n``.

    Example:
        >>> [round(b, 3) for b in wilson(0, 12).ci]
        [0.0, 0.242]
    """
    if n <= 0:
        raise ValueError("a proportion needs at least one trial")
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside [0, {n}]")
    z = _z(level)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, no rounding dust
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, int(n), (lo, hi), "wilson", level)


def proportion(value: float, n: int, level: float = LEVEL) -> Estimate:
    """:func:`wilson` from a rate measured over ``n`` trials (``value * n`` successes)."""
    return wilson(min(max(round(float(value) * n), 0), n), n, level)


def bootstrap(
    statistic: Callable[..., float],
    *samples: Sequence[Any] | np.ndarray,
    seed: int = 0,
    paired: bool = True,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
) -> Estimate:
    """Percentile bootstrap interval of ``statistic(*samples)``.

    Args:
        statistic: a function of the samples returning a number.
        samples: arrays whose first axis indexes observations.
        seed: the generator seed (same seed, same interval).
        paired: resample one set of indices for all samples (they must be the same
            length); otherwise each sample is resampled on its own.
        n_boot: replicates; level: confidence level.

    ``n`` of the result is the length of the (first) sample. Replicates where the
    statistic is not finite are dropped; with fewer than two observations the interval
    is ``None``.
    """
    arrays = [np.asarray(s) for s in samples]
    value = float(statistic(*arrays))
    n = len(arrays[0])
    if paired and any(len(a) != n for a in arrays):
        raise ValueError("paired samples must have the same length")
    if min(len(a) for a in arrays) < 2:
        return Estimate(value, n, None, "none", level)
    rng = np.random.default_rng(seed)
    reps = np.empty(n_boot)
    for b in range(n_boot):
        if paired:
            idx = rng.integers(0, n, n)
            reps[b] = statistic(*(a[idx] for a in arrays))
        else:
            reps[b] = statistic(*(a[rng.integers(0, len(a), len(a))] for a in arrays))
    reps = reps[np.isfinite(reps)]
    if reps.size < 2:
        return Estimate(value, n, None, "none", level)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(reps, [alpha, 1.0 - alpha])
    return Estimate(value, n, (float(lo), float(hi)), "bootstrap", level)


def bootstrap_mean(
    sample: Sequence[float] | np.ndarray,
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
) -> Estimate:
    """:func:`bootstrap` of the mean, vectorised (same replicates as resampling row by row).

    Example:
        >>> est = bootstrap_mean([1.0, 2.0, 3.0, 4.0], seed=0)
        >>> est.value, est.n, est.ci[0] < 2.5 < est.ci[1]
        (2.5, 4, True)
    """
    x = np.asarray(sample, dtype=np.float64)
    value = float(x.mean())
    if x.size < 2:
        return Estimate(value, int(x.size), None, "none", level)
    rng = np.random.default_rng(seed)
    reps = x[rng.integers(0, x.size, (n_boot, x.size))].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(reps, [alpha, 1.0 - alpha])
    return Estimate(value, int(x.size), (float(lo), float(hi)), "bootstrap", level)


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney AUC (ties count one half)."""
    pos, neg = scores[positive], scores[~positive]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    ranks = _average_ranks(np.concatenate([pos, neg]))
    return float((ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    sorted_values = values[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_values)) + 1]
    ends = np.r_[starts[1:], len(values)]
    for s, e in zip(starts, ends, strict=True):
        if e - s > 1:
            ranks[order[s:e]] = (s + 1 + e) / 2.0
    return ranks


#: Largest positives x negatives for which :func:`bootstrap_auc` builds the pairwise
#: comparison matrix (8 MB of float64); larger samples use the rank formula per replicate.
_PAIR_LIMIT = 1_000_000


def bootstrap_auc(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
) -> Estimate:
    """ROC AUC of ``scores`` (higher = positive) with a stratified bootstrap interval.

    Example:
        >>> est = bootstrap_auc([0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0, 0])
        >>> est.value, est.n, est.ci
        (1.0, 6, (1.0, 1.0))
    """
    s = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(labels).astype(bool)
    value = _auc(s, positive)
    pos, neg = s[positive], s[~positive]
    if min(pos.size, neg.size) < 2:
        return Estimate(value, int(s.size), None, "none", level)
    rng = np.random.default_rng(seed)
    # every replicate's resample drawn at once (positives, then negatives), shared by
    # both ways of computing the replicates' AUCs
    take_pos = rng.integers(0, pos.size, (n_boot, pos.size))
    take_neg = rng.integers(0, neg.size, (n_boot, neg.size))
    if pos.size * neg.size <= _PAIR_LIMIT and np.isfinite(s).all():
        # AUC of a replicate = counts_pos @ W @ counts_neg / (P N) with W[i, j] = 1 if
        # pos_i > neg_j, 1/2 if equal: exact in float64 (integers and halves), so equal
        # to the rank formula bit for bit
        wins = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        cp, cn = _counts(take_pos, pos.size), _counts(take_neg, neg.size)
        reps = np.einsum("bj,bj->b", cp @ wins, cn) / (pos.size * neg.size)
    else:
        flags = np.r_[np.ones(pos.size, bool), np.zeros(neg.size, bool)]
        reps = np.array([
            _auc(np.concatenate([pos[tp], neg[tn]]), flags)
            for tp, tn in zip(take_pos, take_neg, strict=True)
        ])  # fmt: skip
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(reps, [alpha, 1.0 - alpha])
    return Estimate(value, int(s.size), (float(lo), float(hi)), "bootstrap", level)


def _counts(draws: np.ndarray, size: int) -> np.ndarray:
    """How often each of ``size`` indices occurs in each row of ``draws`` (rows, size)."""
    rows = draws.shape[0]
    flat = (np.arange(rows)[:, None] * size + draws).ravel()
    return np.bincount(flat, minlength=rows * size).reshape(rows, size).astype(np.float64)


def difference(a: Estimate, b: Estimate) -> Estimate:
    """``a - b`` with the MOVER interval of two independent estimates.

    ``n`` is the smaller of the two. Without both intervals the result has none.
    """
    value = a.value - b.value
    n = min(a.n, b.n)
    if a.ci is None or b.ci is None:
        return Estimate(value, n, None, "none", a.level)
    (l1, u1), (l2, u2) = a.ci, b.ci
    lo = value - math.sqrt((a.value - l1) ** 2 + (u2 - b.value) ** 2)
    hi = value + math.sqrt((u1 - a.value) ** 2 + (b.value - l2) ** 2)
    return Estimate(value, n, (lo, hi), "mover", a.level)
