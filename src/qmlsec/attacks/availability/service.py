"""The victim's service as availability attacks measure it: simulated latency and cost.

Every query of the victim's :class:`~qmlsec.cloud.inference.InferenceEndpoint` is a job
on a :class:`~qmlsec.cloud.providers.QuantumCloud`; its latency is the job's simulated
``finished_at - submitted_at`` (queue wait + provider delay + QPU time) and its price
the cloud's :class:`~qmlsec.cloud.pricing.PricingModel`. :func:`serve_queries` sends
one query per sample (spaced ``gap_s`` simulated seconds apart, as users arrive) and
returns the latencies; :func:`latency_metrics` summarises them (p50/p99/mean).

Example:
    >>> latency_metrics(np.array([1.0, 2.0, 3.0]), "x")["x_p50_s"]
    2.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from qmlsec.attacks.access import serve
from qmlsec.config import derive_seed


def serve_queries(
    model: Any,
    cloud: Any,
    X: np.ndarray,
    *,
    shots: int,
    seed: int,
    gap_s: float = 1.0,
    device: str | None = None,
    before_each: Callable[[int], None] | None = None,
    batch: bool = False,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Latency per query (simulated s), predictions and total billed price.

    ``batch=True`` sends ``X`` as one query (one job, as a training step does).
    """
    endpoint = serve(model, cloud, device=device, shots=shots, seed=seed)
    if batch:
        idx = endpoint.query(X, output="labels", seed=seed).values
        job = cloud.history[-1]
        pred = np.asarray(model.classes_)[np.asarray(idx, dtype=int)]
        return np.array([job.finished_at - job.submitted_at]), pred, float(job.price_usd)
    latencies, preds, price = [], [], 0.0
    for i in range(len(X)):
        if before_each is not None:
            before_each(i)
        cloud.clock = max(cloud.clock, i * gap_s)
        idx = endpoint.query(X[i : i + 1], output="labels", seed=derive_seed(seed, i)).values
        job = cloud.history[-1]
        latencies.append(job.finished_at - job.submitted_at)
        preds.append(np.asarray(model.classes_)[int(idx[0])])
        price += job.price_usd
    return np.asarray(latencies), np.asarray(preds), price


def latency_metrics(latencies: np.ndarray, prefix: str) -> dict[str, float]:
    """p50, p99 and mean of ``latencies`` under ``prefix``."""
    return {
        f"{prefix}_p50_s": float(np.percentile(latencies, 50)),
        f"{prefix}_p99_s": float(np.percentile(latencies, 99)),
        f"{prefix}_mean_s": float(np.mean(latencies)),
    }


__all__ = ["latency_metrics", "serve_queries"]
