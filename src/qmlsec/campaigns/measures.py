"""Measurements beside the attacks: measured impact, whether an attack achieved its goal.

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

An attack *achieved* its effect only when the 95 % interval of its headline metric
clears the technique's threshold (:func:`achieved_threshold`) on the attacker's side:
chance for an AUC (0.5) and for agreement or accuracy of a copied model (one over the
number of classes), the identification chance the attack reports, the clean accuracy
(or clean availability) for a metric the attack lowers, a bill ratio of 1, and no
effect (0) for every other metric. :func:`outcome` says ``achieved``, ``no effect``
(the interval lies on the other side) or ``inconclusive`` (it holds the threshold), and
how many samples would likely decide an inconclusive one (interval widths shrink as
``1 / sqrt(n)``).

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
from qmlsec.stats import Estimate, proportion

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


#: Headline metrics whose chance level is one over the number of classes.
CHANCE_PER_CLASS = frozenset({"substitute_agreement", "ensemble_agreement", "copyqnn_agreement",
                              "clone_accuracy"})  # fmt: skip


def headline_estimate(best: dict[str, Any] | None) -> Estimate | None:
    """The headline ``{name, value, direction, n, ci}`` as an Estimate (``None`` without n)."""
    if best is None or best.get("n") is None:
        return None
    ci = best.get("ci")
    return Estimate(float(best["value"]), int(best["n"]),
                    None if ci is None else (float(ci[0]), float(ci[1])),
                    str(best.get("method", "none")))  # fmt: skip


def impact_estimate(best: dict[str, Any] | None, clean_accuracy: float) -> Estimate | None:
    """:func:`measured_impact` with the headline's interval carried through it (monotone)."""
    est = headline_estimate(best)
    if est is None or best is None:
        return None

    def impact(v: float) -> float:
        return float(measured_impact({**best, "value": v}, clean_accuracy) or 0.0)

    return est.scaled(impact)


def achieved_threshold(
    best: dict[str, Any], metrics: dict[str, Any], clean_accuracy: float, n_classes: int
) -> float:
    """The value the headline's interval must clear (see the module docstring)."""
    name = str(best["name"])
    if best["direction"] < 0:
        key = "clean_availability" if name == "availability" else "clean_accuracy"
        default = 1.0 if name == "availability" else clean_accuracy
        return float(metrics.get(key, default))
    if name.endswith("auc"):
        return 0.5
    if name in CHANCE_PER_CLASS:
        return 1.0 / max(n_classes, 1)
    if name == "identification_accuracy":
        return float(metrics.get("chance_accuracy", 0.0))
    if name == "cost_ratio":
        return 1.0
    return 0.0


def outcome(
    best: dict[str, Any] | None, metrics: dict[str, Any], clean_accuracy: float, n_classes: int
) -> dict[str, Any]:
    """``{outcome, achieved, threshold, samples_needed}`` of one run's headline.

    ``samples_needed`` (inconclusive only) is ``n * (half width / distance to the
    threshold)^2``: the sample size at which an interval of the same shape would clear it;
    ``None`` when the point estimate sits on the threshold or on the defender's side
    (more samples would then more likely confirm no effect).
    """
    if best is None:
        return {"outcome": "not measured", "achieved": None, "threshold": None,
                "samples_needed": None}  # fmt: skip
    threshold = achieved_threshold(best, metrics, clean_accuracy, n_classes)
    est = headline_estimate(best)
    sign = 1 if best["direction"] > 0 else -1
    if est is None or est.ci is None:
        verdict = "inconclusive"
    elif est.above(threshold) if sign > 0 else est.below(threshold):
        verdict = "achieved"
    elif est.ci[1] <= threshold if sign > 0 else est.ci[0] >= threshold:
        verdict = "no effect"
    else:
        verdict = "inconclusive"
    needed = None
    if verdict == "inconclusive" and est is not None and est.ci is not None:
        gap = sign * (est.value - threshold)  # > 0: the point estimate is on the attacker's side
        half = est.half_width or 0.0
        if gap > 1e-12 and half > 0:
            needed = int(np.ceil(est.n * (half / gap) ** 2))
    return {"outcome": verdict, "achieved": verdict == "achieved", "threshold": threshold,
            "samples_needed": needed}  # fmt: skip


def accuracy_estimate(accuracy: float, n: int) -> Estimate:
    """An accuracy measured on ``n`` samples with its Wilson interval."""
    return proportion(accuracy, n)


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
    n = int(len(y))
    return {"device": device, "shots": shots, "samples": n,
            "noise_scale": [float(s) for s in scales], "accuracy": accuracy,
            "accuracy_ci": [list(proportion(a, n).ci or (a, a)) for a in accuracy]}  # fmt: skip
