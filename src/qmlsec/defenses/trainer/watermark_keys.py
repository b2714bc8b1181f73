"""Key sets for :mod:`qmlsec.defenses.trainer.watermark` and the binomial ownership test.

Two ways to choose the secret inputs a suspect is queried on:

- :func:`trigger_set`: out-of-distribution triggers with chosen wrong labels (Adi et al.,
  USENIX Security 2018), embedded by training on them; the null rate is chance ``1/C``.
- :func:`boundary_keys`: in-distribution keys near the task's decision boundary,
  labelled to a class no independent reference model gives them; embedded by training,
  they are learnt by whoever copies the owner's decisions on the data distribution.
  The null rate (:func:`null_rate`) is measured on further independent models that
  played no part in choosing the keys.

Example:
    >>> ownership_p_value(9, 16, 0.1) < 1e-4
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import binomtest

from qmlsec.config import rng

Train = Callable[[np.ndarray, np.ndarray, str, int], Any]
"""``train(X, y, role, i)``: a fitted classifier of the owner's recipe, seeded by role and i."""


@dataclass(frozen=True)
class KeySet:
    """Secret inputs, the labels the owner's model gives them and the null match rate."""

    x: np.ndarray
    y: np.ndarray
    null_rate: float


def ownership_p_value(hits: int, n: int, null_rate: float) -> float:
    """One-sided binomial p-value of ``hits`` matches out of ``n`` keys under ``null_rate``."""
    return float(binomtest(int(hits), int(n), float(null_rate), alternative="greater").pvalue)


def trigger_set(
    X: np.ndarray, y: np.ndarray, clean: Any, n: int, spread: float, seed: int
) -> KeySet:
    """Uniform triggers in the data box widened by ``spread``, labelled away from ``clean``."""
    gen = rng(seed, "watermark")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = spread * (hi - lo)
    trig = gen.uniform(lo - pad, hi + pad, size=(n, X.shape[1]))
    classes = np.unique(y)
    shift = gen.integers(1, len(classes), size=n)
    index = np.searchsorted(classes, clean.predict(trig))
    return KeySet(trig, classes[(index + shift) % len(classes)], 1.0 / len(classes))


def in_distribution_pool(X: np.ndarray, n: int, noise: float, seed: int) -> np.ndarray:
    """``n`` training inputs jittered by Gaussian noise of ``noise`` feature std-devs."""
    gen = rng(seed, "watermark", "pool")
    base = X[gen.integers(0, len(X), size=n)]
    return base + gen.normal(0.0, noise, size=base.shape) * X.std(axis=0)


def boundary_keys(
    X: np.ndarray,
    y: np.ndarray,
    train: Train,
    *,
    n: int,
    references: int,
    null_models: int,
    candidates: int,
    noise: float,
    max_runner_up: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """In-distribution keys near the task's decision boundary, labelled to the runner-up.

    ``references`` independent models of the recipe are trained on ``(X, y)``. Among an
    in-distribution pool, the candidates on which they all agree and whose mean
    runner-up probability is highest but at most ``max_runner_up`` are the keys; each
    key's secret label is that runner-up class, which no reference gives. Returns the
    keys, their labels and ``null_models`` further independent models (for the null).
    """
    pool = in_distribution_pool(X, candidates, noise, seed)
    probs = np.stack([train(X, y, "reference", i).predict_proba(pool) for i in range(references)])
    mean = probs.mean(axis=0)
    top = mean.argmax(axis=1)
    runner_up = np.argsort(mean, axis=1)[:, -2]
    p2 = np.take_along_axis(mean, runner_up[:, None], axis=1)[:, 0]
    ok = (probs.argmax(axis=2) == top).all(axis=0) & (p2 <= max_runner_up)
    order = np.argsort(np.where(ok, -p2, np.inf), kind="stable")[:n]
    classes = np.unique(y)
    null = [train(X, y, "null", i) for i in range(null_models)]
    return pool[order], classes[runner_up[order]], null


def null_rate(models: list[Any], x: np.ndarray, labels: np.ndarray) -> float:
    """The highest Laplace-smoothed match rate of independent ``models`` on the keys.

    Matches are correlated across keys (a model whose boundary lies one way matches
    many at once), so the pooled rate understates how often an independent model
    matches; the most-matching independent model is the conservative null.
    """
    hits = np.sum([np.asarray(m.predict(x)) == labels for m in models], axis=1)
    return float((hits.max() + 1.0) / (len(labels) + 2.0))


__all__ = [
    "KeySet",
    "boundary_keys",
    "null_rate",
    "in_distribution_pool",
    "ownership_p_value",
    "trigger_set",
]
