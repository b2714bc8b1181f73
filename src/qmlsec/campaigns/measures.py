"""Measurements beside the attacks: measured impact per technique, accuracy vs noise.

``measured_impact`` turns an attack's headline metric into a number in [0, 1] that
colours the kill-chain matrix:

* a metric where lower means a stronger attack (adversarial accuracy): the relative
  accuracy lost, ``(clean - value) / clean``;
* an AUC: the advantage over guessing, ``2 * (auc - 0.5)``;
* availability (the share of queries answered in time): ``1 - availability``;
* a cost ratio (the victim's bill over its clean bill): the share of the bill the
  attack caused, ``1 - 1 / ratio``;
* a delay in seconds (latency or training-time increase): ``delay / (delay + 60)``,
  half at a one-minute delay (the deadline ``availability.dos`` uses);
* any other higher-is-stronger metric (agreement, success rate, accuracy drop,
  distinguishing advantage): the value itself, clipped to [0, 1].

Example:
    >>> measured_impact({"name": "auc", "value": 0.75, "direction": 1}, clean_accuracy=0.9)
    0.5
    >>> round(measured_impact({"name": "adversarial_accuracy@0.3", "value": 0.45,
    ...                        "direction": -1}, clean_accuracy=0.9), 3)
    0.5
    >>> measured_impact({"name": "cost_ratio", "value": 4.0, "direction": 1}, 0.9)
    0.75
    >>> measured_impact({"name": "latency_increase_p50_s", "value": 60.0, "direction": 1}, 0.9)
    0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from qmlsec.config import derive_seed

#: Seconds of delay that count as half the impact (an interactive one-minute deadline).
DELAY_SCALE_S = 60.0


def measured_impact(best: dict[str, Any] | None, clean_accuracy: float) -> float | None:
    """Impact in [0, 1] from a headline metric ``{name, value, direction}``."""
    if best is None:
        return None
    value, name = float(best["value"]), str(best["name"])
    if name == "availability":
        impact = 1.0 - value
    elif name == "cost_ratio":
        impact = 1.0 - 1.0 / value if value > 0 else 0.0
    elif name.endswith("_s"):
        impact = max(value, 0.0) / (max(value, 0.0) + DELAY_SCALE_S)
    elif best["direction"] < 0:
        impact = (clean_accuracy - value) / clean_accuracy if clean_accuracy > 0 else 0.0
    elif name.endswith("auc"):
        impact = 2.0 * (value - 0.5)
    else:
        impact = value
    return float(np.clip(impact, 0.0, 1.0))


def accuracy_vs_noise(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    device: str,
    scales: Sequence[float],
    shots: int,
    seed: int,
) -> dict[str, Any]:
    """Victim accuracy on ``device`` with its calibration noise scaled by each of ``scales``.

    For each scale the victim is served through an
    :class:`~qmlsec.cloud.inference.InferenceEndpoint` on a
    :class:`~qmlsec.cloud.providers.QuantumCloud` whose ``device`` runs at that noise
    scale (``shots`` shots per circuit; every query is a provider job: transpiled,
    queued, priced); scale 0 (the ideal device) is the exact simulator.
    """
    from qmlsec.cloud.inference import InferenceEndpoint
    from qmlsec.cloud.providers import QuantumCloud

    accuracy = []
    for k, scale in enumerate(scales):
        if scale == 0:  # the ideal device: the exact simulator
            accuracy.append(float(np.mean(model.predict(x) == np.asarray(y))))
            continue
        run_seed = derive_seed(seed, "noise", k)
        cloud = QuantumCloud([device], noise_scale=float(scale), seed=run_seed)
        endpoint = InferenceEndpoint(model, device=device, shots=shots, quantum=cloud,
                                     seed=run_seed)  # fmt: skip
        labels = np.asarray(endpoint.query(x, output="labels", seed=run_seed).values, dtype=int)
        pred = np.asarray(model.classes_)[labels]
        accuracy.append(float(np.mean(pred == np.asarray(y))))
    return {"device": device, "shots": shots, "samples": int(len(y)),
            "noise_scale": [float(s) for s in scales], "accuracy": accuracy}  # fmt: skip
