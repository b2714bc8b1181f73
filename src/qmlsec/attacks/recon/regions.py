"""Where on the chip a victim sits: candidate regions and the crosstalk-template fit.

The scoring of :mod:`qmlsec.attacks.recon.locality_fingerprint`. A candidate region
is a connected set of qubits of the coupling graph (a transpiled circuit occupies a
connected patch). Given each sensor qubit's deviation from its idle baseline and its
variance, a region ``R`` is scored by the weighted least-squares fit of the template
"zero on ``R`` (those sensors could not run beside the victim), one amplitude per
coupling distance ``1..max_distance`` from ``R``, non-increasing and non-negative
(crosstalk falls with distance), zero beyond". The best region minimises the residual;
its *fit gain* (weighted sum of squared deviations minus the residual, in squared
noise units) is the detection statistic: ~0 when nothing runs beside the sensors.

Example:
    >>> import numpy as np
    >>> from qmlsec.cloud.crosstalk import qubit_distances
    >>> line = [(0, 1), (1, 2), (2, 3), (3, 4)]
    >>> regions = connected_regions(line, 5, 2)
    >>> dev = np.array([0.0, 0.0, 0.2, 0.05, 0.0])  # victim on (0, 1)
    >>> locate(dev, np.full(5, 0.01), regions, qubit_distances(line, 5), 3)[0]
    (0, 1)
"""

from __future__ import annotations

import numpy as np


def connected_regions(edges: list[tuple[int, int]], n: int, max_size: int) -> list[tuple[int, ...]]:
    """Every connected set of 1..``max_size`` qubits of the coupling graph (sorted)."""
    adjacency: dict[int, set[int]] = {q: set() for q in range(n)}
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    found: set[frozenset[int]] = set()
    frontier = {frozenset([q]) for q in range(n)}
    for _ in range(max_size):
        found |= frontier
        frontier = {s | {m} for s in frontier for q in s for m in adjacency[q] if m not in s}
    return sorted((tuple(sorted(s)) for s in found), key=lambda r: (len(r), r))


def _isotonic(means: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Non-increasing, non-negative weighted least-squares fit (pool adjacent violators)."""
    blocks = [[float(m), float(w), 1] for m, w in zip(means, weights, strict=True)]
    merged: list[list[float]] = []
    for block in blocks:
        merged.append(block)
        while len(merged) > 1 and merged[-2][0] < merged[-1][0]:
            (m2, w2, c2), (m1, w1, c1) = merged.pop(), merged.pop()
            w = w1 + w2
            merged.append([(m1 * w1 + m2 * w2) / w if w else 0.0, w, c1 + c2])
    return np.maximum(np.repeat([b[0] for b in merged], [int(b[2]) for b in merged]), 0.0)


def fit_region(dev: np.ndarray, w: np.ndarray, rings: np.ndarray, max_distance: int) -> float:
    """Weighted residual of the template whose ring index per qubit is ``rings``.

    ``dev``: deviations from the baseline; ``w``: their inverse variances; ``rings``:
    coupling distance to the region (0 inside it and beyond ``max_distance``).
    """
    pred = np.zeros_like(dev)
    means, weights = np.zeros(max_distance), np.zeros(max_distance)
    for k in range(1, max_distance + 1):
        mask = rings == k
        weights[k - 1] = w[mask].sum()
        means[k - 1] = (w[mask] @ dev[mask]) / weights[k - 1] if mask.any() else 0.0
    amps = _isotonic(means, weights)
    for k in range(1, max_distance + 1):
        pred[rings == k] = amps[k - 1]
    return float(w @ (dev - pred) ** 2)


def locate(dev: np.ndarray, sigma: np.ndarray, regions: list[tuple[int, ...]],
           dist: np.ndarray, max_distance: int) -> tuple[tuple[int, ...], float]:  # fmt: skip
    """The best-fitting region and its detection statistic (fit gain over no victim)."""
    w = 1.0 / sigma**2
    best, best_rss = regions[0], np.inf
    for region in regions:
        rings = dist[:, list(region)].min(axis=1)
        rss = fit_region(dev, w, np.where(rings <= max_distance, rings, 0), max_distance)
        if rss < best_rss - 1e-12:
            best, best_rss = region, rss
    return best, float(w @ dev**2 - best_rss)


def jaccard(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """``|a & b| / |a | b|``."""
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0
