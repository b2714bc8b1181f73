"""Sample size and 95 % interval of each metric, from the per-sample records behind it.

:func:`metric_intervals` is what :meth:`~qmlsec.attacks.result.AttackResult.to_dict`
writes under ``intervals``. Each metric is matched, by name and by the per-sample
series it was computed from, to one rule:

* an AUC: the stratified bootstrap over the membership labels and the score series
  whose AUC it is;
* a latency increase at the median (``latency_increase_p50_s``): the bootstrap of the
  difference of medians, attacked vs clean latencies resampled independently;
* an accuracy drop (``*accuracy_drop*``): the difference of the clean accuracy and the
  attacked accuracy over the same samples (MOVER / Newcombe from their Wilson intervals;
  conservative for paired samples);
* ``mse_reduction``: the paired bootstrap of ``1 - mean(mse) / mean(prior mse)``;
* a per-sample series whose mean is the metric (advantages, reconstruction cosines,
  per-circuit accuracies): the bootstrap of the mean; one element is an ``exact``
  value when the series holds exact computations (distinguishing advantages computed
  from density matrices), else it has no interval;
* a rate (accuracy, agreement, success rate, fraction, availability, identification)
  that is a whole number of successes out of some per-sample length: Wilson;
* a mean perturbation distance (``mean_l2@eps``): the bootstrap of that ε's distances;
* a cost ratio and the share of data an attack chose to poison or trigger: ``exact``
  (prices are deterministic for the circuits run; the shares are settings);
* ``victim_identified``: one trial (Wilson with ``n = 1``).

Metrics matching no rule (counts, seconds, settings) carry no interval.

Example:
    >>> iv = metric_intervals({"adversarial_accuracy@0.1": 0.8},
    ...                       {"label": [0] * 10, "adversarial_prediction": [[0]] * 10})
    >>> iv["adversarial_accuracy@0.1"].n, [round(b, 3) for b in iv["adversarial_accuracy@0.1"].ci]
    (10, [0.49, 0.943])
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from qmlsec.config import derive_seed
from qmlsec.stats import (
    Estimate,
    bootstrap,
    bootstrap_auc,
    bootstrap_mean,
    difference,
    exact,
    proportion,
)

RATE = re.compile(r"accuracy|agreement|rate|fraction|availability|identified|match|recovered")
CLEAN_KEYS = ("clean_accuracy", "baseline_accuracy", "paid_accuracy")
LABEL_KEYS = ("label", "y_true", "is_member", "true_device", "truth", "true_encoding")
SET_BY_ATTACK = re.compile(r"^(flipped|poisoned|triggered)_fraction")
SINGLE_TRIAL = frozenset({"victim_identified"})
EXACT_SERIES = re.compile(r"^advantage")


def _lengths(per_sample: dict[str, list[Any]]) -> list[int]:
    """Distinct per-sample lengths, the labelled series' first."""
    first = [len(per_sample[k]) for k in LABEL_KEYS if k in per_sample]
    rest = sorted({len(v) for v in per_sample.values() if isinstance(v, list)}, reverse=True)
    return [n for n in dict.fromkeys(first + rest) if n > 0]


def _whole(value: float, n: int) -> bool:
    return abs(value * n - round(value * n)) < 1e-6 * max(n, 1)


def _subsets(per_sample: dict[str, list[Any]]) -> list[int]:
    """Sizes of the subsets boolean per-sample series mark (``triggered``: 18 of 60)."""
    sizes = []
    for series in per_sample.values():
        if series and all(isinstance(v, bool | np.bool_) for v in series):
            sizes.append(sum(series))
    return sizes


def _rate(value: float, lengths: list[int], metrics: dict[str, Any],
          subsets: list[int]) -> Estimate | None:  # fmt: skip
    """Wilson over the first length where ``value`` is a whole number of successes.

    Candidates: the per-sample lengths, the samples the victim got right (success rates
    of evasion), then the subsets boolean series mark (success rates on triggered inputs).
    """
    if not 0.0 <= value <= 1.0:
        return None
    candidates = list(lengths)
    clean = metrics.get("clean_accuracy")
    for n in lengths:  # success rates are over the samples the victim got right
        if isinstance(clean, int | float) and 0 < clean <= 1:
            candidates.append(round(clean * n))
    candidates += subsets
    for n in candidates:
        if n > 0 and _whole(value, n):
            return proportion(value, n)
    return None


def _numeric(series: list[Any]) -> np.ndarray | None:
    try:
        arr = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr if arr.ndim == 1 and arr.size and np.isfinite(arr).all() else None


def _auc(value: float, per_sample: dict[str, list[Any]], seed: int) -> Estimate | None:
    labels = per_sample.get("is_member")
    if labels is None or len(set(labels)) < 2:
        return None
    best: tuple[float, Estimate] | None = None
    for key, series in per_sample.items():
        if key == "is_member" or not (key.startswith("score") or key.startswith("member_prob")):
            continue
        scores = _numeric(series)
        if scores is None or scores.size != len(labels):
            continue
        est = bootstrap_auc(scores, labels, seed=seed)
        gap = abs(est.value - value)
        if best is None or gap < best[0]:
            best = (gap, est)
    return best[1] if best is not None and best[0] < 1e-6 else None


def _median_increase(per_sample: dict[str, list[Any]], seed: int) -> Estimate | None:
    attacked, clean = (_numeric(per_sample.get(k, [])) for k in ("latency_s", "clean_latency_s"))
    if attacked is None or clean is None:
        return None
    return bootstrap(lambda a, c: float(np.median(a) - np.median(c)), attacked, clean,
                     seed=seed, paired=False)  # fmt: skip


def _drop(name: str, value: float, lengths: list[int], metrics: dict[str, Any]) -> Estimate | None:
    clean = next((float(metrics[k]) for k in CLEAN_KEYS if isinstance(metrics.get(k), int | float)),
                 None)  # fmt: skip
    if clean is None or not lengths:
        return None
    n = lengths[0]
    after = clean - value
    if not (0.0 <= after <= 1.0 and _whole(clean, n) and _whole(after, n)):
        return None
    return difference(proportion(clean, n), proportion(after, n))


def _mse_reduction(per_sample: dict[str, list[Any]], seed: int) -> Estimate | None:
    mse, prior = (_numeric(per_sample.get(k, [])) for k in
                  ("mse_to_class_mean", "prior_mse_to_class_mean"))  # fmt: skip
    if mse is None or prior is None or mse.size != prior.size:
        return None
    return bootstrap(lambda m, p: float(1.0 - m.mean() / p.mean()) if p.mean() > 0 else np.nan,
                     mse, prior, seed=seed)  # fmt: skip


def _mean_series(name: str, value: float, per_sample: dict[str, list[Any]],
                 seed: int) -> Estimate | None:  # fmt: skip
    """The bootstrap of the per-sample series whose mean is ``value``.

    Candidates are the series named like the metric, then those sharing its last
    ``_``-separated token (``gate_accuracy_snr10`` for ``gate_recovery_accuracy_snr10``).
    """
    tail = name.rsplit("_", 1)[-1]
    keys = [name] + sorted(k for k in per_sample
                           if k != name and "_" in name and k.rsplit("_", 1)[-1] == tail)  # fmt: skip
    for key in keys:
        series = _numeric(per_sample.get(key, []))
        if series is None or abs(series.mean() - value) > 1e-9 * max(1.0, abs(value)):
            continue
        if series.size == 1:
            return exact(value) if EXACT_SERIES.match(key) else Estimate(value, 1, None, "none")
        return bootstrap_mean(series, seed=seed)
    return None


def _batch_series(name: str, value: float, per_sample: dict[str, list[Any]],
                  seed: int) -> Estimate | None:  # fmt: skip
    """A mean over the rows of one batch size (``cosine_b4``: ``cosine`` where size is 4)."""
    match = re.fullmatch(r"(.+)_b(\d+)", name)
    if match is None or "batch_size" not in per_sample:
        return None
    key = "label_correct" if match[1] == "label_accuracy" else match[1]
    series = _numeric(per_sample.get(key, []))
    sizes = np.asarray(per_sample["batch_size"])
    if series is None or series.size != sizes.size:
        return None
    rows = series[sizes == int(match[2])]
    if rows.size == 0 or abs(rows.mean() - value) > 1e-9 * max(1.0, abs(value)):
        return None
    return bootstrap_mean(rows, seed=seed)


def _distance(name: str, value: float, metrics: dict[str, Any],
              per_sample: dict[str, list[Any]], seed: int) -> Estimate | None:  # fmt: skip
    """``mean_l2@eps`` / ``mean_linf@eps``: the bootstrap of that ε's column of distances."""
    match = re.fullmatch(r"mean_(l2|linf)@(.+)", name)
    if match is None or match[1] not in per_sample:
        return None
    columns = [k for k in metrics if k.startswith(f"mean_{match[1]}@")]
    try:
        table = np.asarray(per_sample[match[1]], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if table.ndim != 2 or table.shape[1] != len(columns):
        return None
    column = table[:, columns.index(name)]
    if not np.isfinite(column).all() or abs(column.mean() - value) > 1e-9 * max(1.0, value):
        return None
    return bootstrap_mean(column, seed=seed)


#: Agreement metrics and the per-sample series compared with the victim's labels.
AGREEMENT_SERIES = {"substitute_agreement": "substitute", "ensemble_agreement": "ensemble",
                    "copyqnn_agreement": "copyqnn"}  # fmt: skip


def metric_samples(
    name: str, value: float, metrics: dict[str, Any], per_sample: dict[str, list[Any]]
) -> np.ndarray | None:
    """The per-sample contributions whose mean is the metric, or ``None``.

    Covers accuracy under attack (``adversarial_accuracy@eps``: correct at that ε),
    copy agreement (the copy's label equals the victim's), clone accuracy and
    identification rates (predicted equals true). Two runs over the same inputs give
    paired series, so a difference between them can be bootstrapped pairwise.
    """
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    if name.startswith("adversarial_accuracy@") and "adversarial_prediction" in per_sample:
        columns = [k for k in metrics if k.startswith("adversarial_accuracy@")]
        table = np.asarray(per_sample["adversarial_prediction"], dtype=object)
        labels = np.asarray(per_sample.get("label", []), dtype=object)
        if table.ndim == 2 and table.shape[1] == len(columns) and len(labels) == len(table):
            pairs.append((table[:, columns.index(name)], labels))
    elif name in AGREEMENT_SERIES and {"victim", AGREEMENT_SERIES[name]} <= set(per_sample):
        pairs.append((np.asarray(per_sample[AGREEMENT_SERIES[name]], dtype=object),
                      np.asarray(per_sample["victim"], dtype=object)))  # fmt: skip
    elif name == "clone_accuracy" and {"clone", "y_true"} <= set(per_sample):
        pairs.append((np.asarray(per_sample["clone"], dtype=object),
                      np.asarray(per_sample["y_true"], dtype=object)))  # fmt: skip
    elif name.endswith("_accuracy") and f"predicted_{name[: -len('_accuracy')]}" in per_sample:
        label = name[: -len("_accuracy")]
        pairs.append((np.asarray(per_sample[f"predicted_{label}"], dtype=object),
                      np.asarray(per_sample.get(f"true_{label}", []), dtype=object)))  # fmt: skip
    for got, want in pairs:
        if got.shape != want.shape or got.size == 0:
            continue
        hits = (got == want).astype(np.float64)
        if abs(hits.mean() - value) < 1e-9:
            return hits
    return None


def metric_interval(
    name: str, value: float, metrics: dict[str, Any], per_sample: dict[str, list[Any]], seed: int
) -> Estimate | None:
    """The :class:`~qmlsec.stats.Estimate` of one metric, ``None`` when no rule applies."""
    lengths = _lengths(per_sample)
    if name.endswith("auc"):
        return _auc(value, per_sample, seed)
    if name == "latency_increase_p50_s":
        return _median_increase(per_sample, seed)
    if name == "cost_ratio" or SET_BY_ATTACK.match(name):
        return exact(value)
    if name in SINGLE_TRIAL and 0.0 <= value <= 1.0:
        return proportion(value, 1)
    if name.startswith("mean_l"):
        return _distance(name, value, metrics, per_sample, seed)
    if name == "mse_reduction":
        return _mse_reduction(per_sample, seed)
    if "accuracy_drop" in name:
        return _drop(name, value, lengths, metrics)
    series = _mean_series(name, value, per_sample, seed) or _batch_series(
        name, value, per_sample, seed
    )
    if series is not None:
        return series
    if RATE.search(name):
        return _rate(value, lengths, metrics, _subsets(per_sample))
    return None


def metric_intervals(
    metrics: dict[str, Any], per_sample: dict[str, list[Any]], seed: int = 0
) -> dict[str, Estimate]:
    """Metric name -> :class:`~qmlsec.stats.Estimate` for every metric a rule covers."""
    out: dict[str, Estimate] = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            continue
        if not np.isfinite(float(value)):
            continue
        est = metric_interval(name, float(value), metrics, per_sample,
                              derive_seed(seed, "interval", name))  # fmt: skip
        if est is not None:
            out[name] = est
    return out
