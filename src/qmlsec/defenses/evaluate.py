"""Measure a defense: the attack's metric without and with it, and what it costs.

:func:`evaluate_defense` runs the registered attack twice with the same seed, on the
undefended setup and on the setup the defense protects (or through the defense's own
:meth:`~qmlsec.defenses.base.Defense.defended_run`), reads the attack's headline metric
from both results (:data:`ATTACK_METRICS`: which metric, and whether higher means the
attack did better), and reports the change with its 95 % interval: the paired bootstrap
of the per-sample differences when both runs scored the same inputs
(:func:`~qmlsec.attacks.intervals.metric_samples`: accuracy under attack, copy
agreement, clone and identification accuracy), else the MOVER interval of the
difference of the two runs' intervals (:func:`qmlsec.stats.difference`; Newcombe's for
two rates), the sample size and interval of each run coming from its ``intervals``. The verdict follows the interval of the reduction of the attack's
success:

* ``helped``: the interval lies above zero (and the reduction is at least
  ``min_effect``);
* ``made it worse``: the interval lies below zero: the attack did better with the
  defense;
* ``inconclusive``: the interval holds zero, or a run has no interval; more samples
  would decide.

A defense that detects rather than prevents (a detector that alarms, a watermark found
in a stolen model) sets ``detected`` in its cost's ``extra``; the verdict is then
``detected`` (``helped`` and ``reduction`` still report the metric).

Example:
    >>> from qmlsec.defenses.evaluate import headline_metric
    >>> headline_metric("extraction.substitute", {"substitute_agreement": 0.9})
    ('substitute_agreement', 0.9, 1)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from qmlsec.attacks.intervals import metric_samples
from qmlsec.attacks.result import AttackResult, _jsonable
from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.deployment import Deployment
from qmlsec.config import derive_seed
from qmlsec.defenses.base import Defense, DefenseCost
from qmlsec.exceptions import ConfigError
from qmlsec.stats import Estimate, bootstrap_mean, difference

ATTACK_METRICS: dict[str, tuple[str, int]] = {
    "extraction.substitute": ("substitute_agreement", 1),
    "extraction.quantumleak": ("ensemble_agreement", 1),
    "extraction.copyqnn": ("copyqnn_agreement", 1),
    "extraction.clone_from_data": ("clone_accuracy", 1),
    "evasion.fgsm": ("min:adversarial_accuracy@", -1),
    "evasion.bim": ("min:adversarial_accuracy@", -1),
    "evasion.pgd": ("min:adversarial_accuracy@", -1),
    "evasion.mim": ("min:adversarial_accuracy@", -1),
    "evasion.spsa": ("min:adversarial_accuracy@", -1),
    "evasion.transfer": ("min:adversarial_accuracy@", -1),
    "poisoning.label_flip": ("min:accuracy@", -1),
    "poisoning.quid": ("min:accuracy@", -1),
    "poisoning.backdoor": ("attack_success_rate", 1),
    "inference.membership_threshold": ("auc", 1),
    "inference.membership_shadow": ("auc", 1),
    "tampering.measurement": ("max_accuracy_drop", 1),
    "tampering.parameter": ("max_accuracy_drop", 1),
    "hardware.downgrade": ("max:accuracy_drop", 1),
    "hardware.crosstalk_injection": ("max_accuracy_drop", 1),
    "recon.fingerprint": ("identification_accuracy", 1),
    "recon.locality_fingerprint": ("locality_accuracy", 1),
    "circuit.trojan": ("max_attack_success_rate", 1),
    "circuit.qupt": ("attack_success_rate", 1),
    "circuit.planted_trojan": ("dormant_unchanged", 1),
    "evasion.backdoor_trigger": ("attack_success_rate", 1),
    "availability.ransomware": ("request_failure_rate_during", 1),
    "extraction.classical_artifact_theft": ("clone_agreement", 1),
    "hardware.profile_fabrication": ("max:readout_error_increase_", 1),
    "hardware.pulse_fault": ("max_accuracy_drop", 1),
    "hardware.insider_pulse_fault": ("max_accuracy_drop", 1),
    "inference.classical_data_theft": ("recovered_fraction", 1),
    "inference.membership_proxy": ("auc", 1),
    "inference.model_inversion_proxy": ("mse_reduction", 1),
    "leakage.reset": ("max:advantage_r", 1),
    "leakage.crosstalk": ("max:advantage", 1),
    "recon.encoding_inference": ("encoding_accuracy", 1),
    "inference.label_clustering": ("recovered_fraction", 1),
    "extraction.provider_theft": ("victim_identified", 1),  # weights: only once identified
    "inference.model_inversion": ("mse_reduction", 1),  # 1 - MSE / MSE of the prior guess
    "inference.gradient_inversion": ("max:cosine_b", 1),  # reconstruction cosine, best batch
    "inference.state_prep_theft": ("recovered_fraction", 1),
    "availability.queue_flood": ("latency_increase_p50_s", 1),
    "availability.dos": ("availability", -1),  # queries answered within the deadline
    "availability.latency_injection": ("latency_increase_p50_s", 1),
    "availability.reroute": ("latency_increase_p50_s", 1),
    "availability.cost_harvest": ("cost_ratio", 1),  # victim's bill attacked / clean
    "sidechannel.power": ("max:gate_recovery_accuracy_snr", 1),
    "circuit.qdoor": ("asr_increase", 1),  # trigger success gained by the tamper
}
"""Attack -> (headline metric, +1 if higher means a more successful attack else -1).

``min:prefix`` / ``max:prefix`` take the minimum / maximum over the metrics whose name
starts with ``prefix`` (e.g. robust accuracy at the largest budget)."""


def headline_metric(attack: str, metrics: dict[str, Any]) -> tuple[str, float, int]:
    """``(name, value, direction)`` of the attack's headline metric in ``metrics``."""
    if attack not in ATTACK_METRICS:
        raise ConfigError(f"no headline metric known for attack {attack!r}",
                          hint=f"known: {', '.join(sorted(ATTACK_METRICS))}")  # fmt: skip
    key, direction = ATTACK_METRICS[attack]
    if ":" in key:
        how, prefix = key.split(":", 1)
        found = {k: float(v) for k, v in metrics.items() if k.startswith(prefix)}
        if not found:
            raise ConfigError(f"attack {attack!r} reported no metric starting with {prefix!r}")
        name = (min if how == "min" else max)(found, key=found.__getitem__)
        return name, found[name], direction
    if key not in metrics:
        raise ConfigError(f"attack {attack!r} reported no metric {key!r}",
                          hint=f"reported: {', '.join(sorted(metrics))}")  # fmt: skip
    return key, float(metrics[key]), direction


@dataclass
class DefenseEvaluation:
    """The with/without comparison of one defense against one attack.

    Attributes:
        defense, mitigation_id, role, attack: identities.
        metric: the attack's headline metric; ``direction`` +1 if higher = attack better.
        without, with_defense: its value without and with the defense.
        delta: ``with_defense - without``.
        reduction: how much the attack's success dropped (``-direction * delta``).
        helped: the reduction's interval lies above zero (see the module docstring).
        estimate_without, estimate_with: each run's headline with its ``n`` and
            interval (``None`` when the run has none).
        reduction_estimate: the reduction with its interval (``None`` without both).
        detected: whether the defense detected the attack (its cost's ``extra``
            ``detected`` flag), ``None`` when it does not report detection.
        cost: the defense's cost.
        seed: the run seed; ``seconds``: wall time of both runs.
        notes: what the defense changed; results: both attack results (JSON-ready).
    """

    defense: str
    mitigation_id: str
    role: str
    attack: str
    metric: str
    direction: int
    without: float
    with_defense: float
    delta: float
    reduction: float
    helped: bool
    cost: DefenseCost
    seed: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict, repr=False)
    detected: bool | None = None
    estimate_without: Estimate | None = None
    estimate_with: Estimate | None = None
    reduction_estimate: Estimate | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return _jsonable({
            "defense": self.defense, "mitigation_id": self.mitigation_id, "role": self.role,
            "attack": self.attack, "metric": self.metric, "direction": self.direction,
            "without": self.without, "with": self.with_defense, "delta": self.delta,
            "reduction": self.reduction, "helped": self.helped, "cost": self.cost.to_dict(),
            "seed": self.seed, "seconds": self.seconds, "notes": list(self.notes),
            "detected": self.detected, "verdict": self.verdict, "results": self.results,
            "without_estimate": _estimate(self.estimate_without),
            "with_estimate": _estimate(self.estimate_with),
            "reduction_estimate": _estimate(self.reduction_estimate),
        })  # fmt: skip

    @property
    def worse(self) -> bool:
        """Whether the reduction's interval lies below zero (the attack did better)."""
        return self.reduction_estimate is not None and self.reduction_estimate.below(0.0)

    @property
    def verdict(self) -> str:
        """``detected``, ``helped``, ``made it worse`` or ``inconclusive``.

        Detection is named first: a detecting defense's change of the attack's metric is
        a side effect (a watermarked victim is another model) or a consequence of the
        detection (a monitor that deceives once alarmed), and ``reduction`` says which.
        """
        if self.detected:
            return "detected"
        if self.helped:
            return "helped"
        return "made it worse" if self.worse else "inconclusive"


def _estimate(est: Estimate | None) -> dict[str, Any] | None:
    return None if est is None else est.to_dict()


def run_estimate(result: AttackResult, name: str, value: float) -> Estimate | None:
    """The run's estimate of metric ``name`` (its value replaced by ``value`` if it differs)."""
    est = result.estimates().get(name)
    if est is None:
        return None
    return Estimate(value, est.n, est.ci, est.method, est.level)


def reduction_interval(
    before: Estimate | None, after: Estimate | None, direction: int
) -> Estimate | None:
    """The interval of ``-direction * (after - before)`` (the drop of the attack's success)."""
    if before is None or after is None:
        return None
    return difference(before, after) if direction > 0 else difference(after, before)


def paired_reduction(
    without: AttackResult, with_defense: AttackResult, name: str, direction: int
) -> Estimate | None:
    """The paired bootstrap of the reduction when both runs scored the same inputs.

    ``None`` unless both runs hold per-sample contributions to ``name``
    (:func:`~qmlsec.attacks.intervals.metric_samples`) of the same length.
    """
    if name not in without.metrics or name not in with_defense.metrics:
        return None
    before = metric_samples(name, float(without.metrics[name]), without.metrics,
                            without.per_sample)  # fmt: skip
    after = metric_samples(name, float(with_defense.metrics[name]), with_defense.metrics,
                           with_defense.per_sample)  # fmt: skip
    if before is None or after is None or before.shape != after.shape:
        return None
    return bootstrap_mean(-direction * (after - before), seed=derive_seed(without.seed, name))


def compare(
    defense: Defense,
    attack: str,
    without: AttackResult,
    with_defense: AttackResult,
    cost: DefenseCost,
    *,
    seed: int,
    seconds: float = 0.0,
    min_effect: float = 0.01,
    notes: list[str] | None = None,
) -> DefenseEvaluation:
    """A :class:`DefenseEvaluation` from the two results of the attack."""
    name, before, direction = headline_metric(attack, without.metrics)
    if name in with_defense.metrics:
        after = float(with_defense.metrics[name])
    else:
        _, after, _ = headline_metric(attack, with_defense.metrics)
    reduction = -direction * (after - before)
    flag = cost.extra.get("detected")
    est_before = run_estimate(without, name, before)
    est_after = run_estimate(with_defense, name, after)
    drop = paired_reduction(without, with_defense, name, direction) or reduction_interval(
        est_before, est_after, direction
    )
    helped = drop is not None and drop.above(0.0) and reduction >= min_effect
    return DefenseEvaluation(
        defense=defense.name, mitigation_id=defense.mitigation_id, role=defense.role,
        attack=attack, metric=name, direction=direction, without=before, with_defense=after,
        delta=after - before, reduction=reduction, helped=bool(helped),
        cost=cost, seed=seed, seconds=seconds, notes=list(notes or []),
        results={"without": without.to_dict(), "with": with_defense.to_dict()},
        detected=None if flag is None else bool(flag), estimate_without=est_before,
        estimate_with=est_after, reduction_estimate=drop,
    )  # fmt: skip


def evaluate_defense(
    defense: Defense,
    attack: str,
    deployment: Deployment,
    split: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    shots: int | None | Literal["deployment"] = "deployment",
    budget: int | None = None,
    output: str | None = None,
    min_effect: float = 0.01,
) -> DefenseEvaluation:
    """Run ``attack`` against ``deployment`` without and with ``defense``.

    Args:
        defense: a constructed defense.
        attack: registry name of the attack.
        deployment: the victim's deployment (both runs act on it and its ledger).
        split: ``(x_train, y_train, x_test, y_test)`` the runs work on.
        params: the attack's params (default: its defaults).
        seed: the run seed for both runs.
        shots, budget: shots per query (default the deployment's) and query budget.
        output: what a black-box endpoint returns (default: what the attack needs).
        min_effect: the least reduction of the attack's success that counts as helping
            (besides its interval lying above zero).
    """
    if defense.counters and attack not in defense.counters:
        raise ConfigError(
            f"defense {defense.name!r} is not declared against attack {attack!r}",
            hint=f"it counters: {', '.join(defense.counters)}",
        )
    x_train, y_train, x_test, y_test = split

    def setup() -> AttackSetup:
        return AttackSetup.from_deployment(
            attack, deployment, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
            params=params, shots=shots, budget=budget, output=output,
        )  # fmt: skip

    start = time.perf_counter()
    without = setup().run(seed)
    with_defense, cost = defense.defended_run(setup().replace(undefended=without), seed)
    return compare(defense, attack, without, with_defense, cost, seed=seed,
                   seconds=time.perf_counter() - start, min_effect=min_effect,
                   notes=[n for n in with_defense.notes if n not in without.notes])  # fmt: skip
