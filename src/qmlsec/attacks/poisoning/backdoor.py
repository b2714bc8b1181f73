"""Backdoor: an input trigger planted through poisoned training samples.

Example:
    >>> import numpy as np
    >>> from qmlsec.attacks import Capability, Position, Target
    >>> target = Target(Position.SUPPLY_CHAIN, frozenset({Capability.TRAINING_DATA_WRITE}))
    >>> attack = Backdoor(target, {"features": [0], "value": 9.0, "target_class": 1}, seed=0)
    >>> x, y = np.zeros((10, 2)), np.array([0] * 5 + [1] * 5)
    >>> x_p, y_p = attack.poison(x, y, rate=0.2)
    >>> int((x_p[:, 0] == 9.0).sum()), int(y_p.sum())
    (2, 7)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import BackdoorPlanted
from qmlsec.attacks.poisoning.base import PoisoningAttack
from qmlsec.attacks.result import AttackResult
from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError
from qmlsec.stats import proportion


class BackdoorParams(FrozenModel):
    """Backdoor parameters.

    Attributes:
        rate: fraction of the training set that receives the trigger and the target label
            (chosen among samples of other classes).
        target_class: the label the trigger should produce; default: the first class.
        features: raw feature indices the trigger sets; default: the ``n_features``
            features with the lowest training variance (the "corner patch" a BadNets
            trigger uses on images).
        n_features: trigger size when ``features`` is not given.
        value: the value written into the trigger features; default: the training max.
        baseline: also retrain a clean victim to report the clean model's accuracy and
            trigger response.
    """

    rate: float = Field(0.1, gt=0, le=1)
    target_class: int | None = None
    features: tuple[int, ...] | None = None
    n_features: int = Field(4, ge=1)
    value: float | None = None
    baseline: bool = True


class Backdoor(PoisoningAttack):
    """BadNets-style backdoor on feature vectors.

    ``poison`` copies the training set, picks ``rate·n`` samples of other classes, sets
    the trigger features to the trigger value and relabels them as the target class. The
    victim is retrained on the poisoned set; the attack reports the clean test accuracy
    and the attack success rate (ASR): the share of non-target-class test samples that
    the backdoored model assigns to the target class once the trigger is applied.

    Paper: Gu, Dolan-Gavitt, Garg, "BadNets: Identifying Vulnerabilities in the Machine
    Learning Model Supply Chain" (arXiv:1708.06733), adapted from image patches to raw
    feature vectors; on hybrid QNNs cf. Qcolor (arXiv:2407.16273).

    Not covered: clean-label and hidden-trigger backdoors, circuit-level backdoors
    (see the circuit family), trigger optimisation.
    """

    name: ClassVar[str] = "poisoning.backdoor"
    technique_id: ClassVar[str] = "QML.T0013"
    Params: ClassVar[type[FrozenModel]] = BackdoorParams
    check_params: ClassVar[dict[str, Any]] = {"rate": 0.2, "baseline": False}

    def trigger(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        """Trigger feature indices and value, from params or the (clean) training data."""
        p = self.params
        d = x.shape[1]
        if p.features is not None:
            feats = np.asarray(p.features, dtype=int)
            if feats.min() < 0 or feats.max() >= d:
                raise ConfigError(f"trigger features {list(p.features)} out of range 0..{d - 1}")
        else:
            feats = np.sort(np.argsort(x.var(axis=0), kind="stable")[: min(p.n_features, d)])
        value = float(x.max()) if p.value is None else float(p.value)
        return feats, value

    def target_label(self, y: np.ndarray) -> Any:
        classes = np.unique(y)
        if self.params.target_class is None:
            return classes[0]
        if self.params.target_class not in classes:
            raise ConfigError(
                f"target_class {self.params.target_class} is not a training label",
                hint=f"labels: {classes.tolist()}",
            )
        return self.params.target_class

    def apply_trigger(self, x: np.ndarray, feats: np.ndarray, value: float) -> np.ndarray:
        out = np.array(x, dtype=np.float64, copy=True)
        out[:, feats] = value
        return out

    def poison(self, x: np.ndarray, y: np.ndarray, *, rate: float) -> tuple[np.ndarray, np.ndarray]:
        x = np.array(x, dtype=np.float64)
        y = np.asarray(y)
        feats, value = self.trigger(x)
        target = self.target_label(y)
        idx = self.selection(len(y), rate, eligible=y != target)
        x_p, y_p = np.array(x, copy=True), np.array(y, copy=True)
        x_p[idx] = self.apply_trigger(x[idx], feats, value)
        y_p[idx] = target
        return x_p, y_p

    def _run(self, ctx: AttackContext) -> AttackResult:
        x, y = self.training_data(ctx)
        train = self.trainer(ctx)
        x_test, y_test = np.array(ctx.x_test, dtype=np.float64), np.array(ctx.y_test)
        feats, value = self.trigger(x)
        target = self.target_label(y)
        x_p, y_p = self.poison(x, y, rate=self.params.rate)
        steps = 2 if self.params.baseline else 1
        ctx.report(f"{self.name} poisoned", 0, steps)
        victim = train(x_p, y_p)
        others = y_test != target
        triggered = self.apply_trigger(x_test[others], feats, value)
        metrics = {
            "clean_accuracy": float(victim.score(x_test, y_test)),
            "attack_success_rate": float(np.mean(victim.predict(triggered) == target)),
            "poisoned_fraction": float(np.mean(np.any(x_p != x, axis=1) | (y_p != y))),
        }
        if self.params.baseline:
            ctx.report(f"{self.name} clean baseline", 1, steps)
            clean = train(x, y)
            metrics["baseline_clean_accuracy"] = float(clean.score(x_test, y_test))
            metrics["baseline_trigger_rate"] = float(np.mean(clean.predict(triggered) == target))
        ctx.report(f"{self.name} done", steps, steps)
        poisoned = np.any(x_p != x, axis=1) | (y_p != y)
        result = self.new_result(
            metrics=metrics,
            per_sample={
                "label": y.tolist(),
                "poisoned": poisoned.tolist(),
                "poisoned_label": y_p.tolist(),
            },
        )
        # the rates are over test data, not the training-set records above
        n_test, n_triggered = len(y_test), int(others.sum())
        result.intervals = {
            key: proportion(metrics[key], n)
            for key, n in (("clean_accuracy", n_test), ("attack_success_rate", n_triggered),
                           ("baseline_clean_accuracy", n_test),
                           ("baseline_trigger_rate", n_triggered))
            if key in metrics and n > 0
        }  # fmt: skip
        result.notes.append(
            f"trigger: features {feats.tolist()} set to {value:g}; target class {target}; "
            "per-sample records are over the training set"
        )
        result.outputs["backdoored_model"] = victim
        if metrics.get("attack_success_rate", 0.0) > 0:
            label = target.item() if hasattr(target, "item") else target
            trigger = {"features": feats.tolist(), "value": float(value), "target": label}
            result.establish(BackdoorPlanted("data", model=victim, trigger=trigger))
        return result
