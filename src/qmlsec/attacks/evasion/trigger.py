"""Activate a planted backdoor at inference: the stage that makes persistence pay off.

QML.T0036. The attack needs ``state.backdoor`` from an earlier stage
(:class:`~qmlsec.attacks.facts.BackdoorPlanted`) and queries the deployment's endpoint
with inputs that carry the trigger; it cannot run without the fact (there is nothing to
trigger and no trigger to apply).

* ``kind="data"`` (a backdoor trained in by poisoning, Gu et al., BadNets,
  arXiv:1708.06733; for QNNs Chu et al., QDoor, arXiv:2307.09529): the trigger pattern
  the poisoning stage used (features set to a value) is stamped on test inputs of the
  other classes; the attack success rate is the fraction the deployment then sends to
  the target class.
* ``kind="circuit"`` (a dormant trojan in the compilation service,
  ``circuit.planted_trojan``): the trigger is a window on one input angle of the jobs.
  The attacker does not know how raw features become angles, but as the provider it
  sees the angles of the jobs it compiles: it sends calibration queries of its own,
  fits the affine map from raw features to the watched angle by least squares from
  what the planted pass logged, and moves each test input along that map, by the
  smallest step, into the window (arXiv:2502.08880 triggers by input conditions in the
  same way). Measured: the fraction of crafted queries that fired, accuracy on them
  with the trojan and, as a control, on the same crafted inputs with the pass removed
  (the testbed's measurement, not the attacker's), and the attack success rate: the
  fraction of crafted inputs the control classifies correctly that are misclassified in
  a job where the trojan fired. Shot noise alone flips some answers near the decision
  boundary: ``control_flip_rate`` (the control asked twice) says how many.

A pass that is no longer installed (a kill-chain path whose testbed removed it after
the planting stage) is re-installed for the run, and the result says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.evasion.oracle import VictimOracle
from qmlsec.attacks.facts import BackdoorPlanted
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.exceptions import RequirementError
from qmlsec.stats import proportion


class TriggerParams(FrozenModel):
    """Parameters of :class:`BackdoorTrigger`."""

    max_samples: int = Field(default=40, ge=1)
    calibration: int | None = Field(default=None, ge=2)
    """Calibration queries for a circuit trigger (default: 2 x features + 2)."""


@contextmanager
def _present(hook: Any) -> Iterator[bool]:
    """Yield whether ``hook`` was already installed; install it for the block if not."""
    cloud = hook.cloud
    there = hook in cloud.hooks
    if not there:
        cloud.add_hook(hook)
    try:
        yield there
    finally:
        if not there and hook in cloud.hooks:
            cloud.hooks.remove(hook)


@contextmanager
def _absent(hook: Any) -> Iterator[None]:
    """Remove ``hook`` for the block (the control measurement)."""
    cloud = hook.cloud
    index = cloud.hooks.index(hook)
    cloud.hooks.remove(hook)
    try:
        yield
    finally:
        cloud.hooks.insert(index, hook)


class BackdoorTrigger(Attack):
    """Query the deployment with triggered inputs to activate a planted backdoor."""

    name: ClassVar[str] = "evasion.backdoor_trigger"
    technique_id: ClassVar[str] = "QML.T0036"
    family: ClassVar[str] = "evasion"
    requires = frozenset({Capability.QUERY_ACCESS})
    positions = frozenset({Position.API_USER, Position.UNTRUSTED_QUANTUM_CLOUD,
                           Position.UNTRUSTED_CLASSICAL_CLOUD})  # fmt: skip
    Params = TriggerParams
    check_params: ClassVar[dict] = {"max_samples": 12}

    def _run(self, ctx: AttackContext) -> AttackResult:
        backdoor = ctx.facts.get(BackdoorPlanted)
        if backdoor is None:
            raise RequirementError(
                f"{self.name} needs state.backdoor: no earlier stage planted a backdoor",
                hint="run poisoning.backdoor or circuit.planted_trojan first",
            )
        X = np.asarray(ctx.x_test[: self.params.max_samples], dtype=np.float64)
        y = np.asarray(ctx.y_test[: self.params.max_samples])
        if backdoor.kind == "circuit":
            return self._circuit(backdoor, X, y)
        return self._data(backdoor, X, y)

    # -- a backdoor trained into the model ---------------------------------------------
    def _data(self, backdoor: BackdoorPlanted, X: np.ndarray, y: np.ndarray) -> AttackResult:
        trig = backdoor.trigger
        if not {"features", "value", "target"} <= set(trig):
            raise RequirementError(
                f"the planted backdoor states no trigger pattern (has {sorted(trig)})",
                hint="a data backdoor needs features, value and target",
            )
        target = np.asarray(trig["target"]).astype(y.dtype)
        others = y != target
        oracle = VictimOracle(self.target)
        clean = oracle.labels(X, seed=derive_seed(self.seed, "clean"))
        x_trig = X[others].copy()
        x_trig[:, list(trig["features"])] = float(trig["value"])
        pred = oracle.labels(x_trig, seed=derive_seed(self.seed, "triggered"))
        n, asr = int(others.sum()), float(np.mean(pred == target)) if others.any() else 0.0
        miscls = float(np.mean(pred != y[others])) if others.any() else 0.0
        clean_acc = float(np.mean(clean == y))
        result = self.new_result(
            metrics={"attack_success_rate": asr, "misclassification_rate": miscls,
                     "clean_accuracy": clean_acc, "triggered_inputs": float(n),
                     "perturbation_linf": float(np.abs(x_trig - X[others]).max(initial=0.0))},
            per_sample={"label": y[others].tolist(), "prediction": pred.tolist()},
        )  # fmt: skip
        result.intervals = {"attack_success_rate": proportion(asr, max(n, 1)),
                            "misclassification_rate": proportion(miscls, max(n, 1)),
                            "clean_accuracy": proportion(clean_acc, len(y))}  # fmt: skip
        result.notes.append(
            f"trigger: features {list(trig['features'])} set to {float(trig['value']):g}, "
            f"target class {trig['target']}; {n} inputs of other classes"
        )
        if asr > 0:
            result.provides = ["goal.integrity_lost"]
        return result

    # -- a dormant trojan in the compilation service ------------------------------------
    def _circuit(self, backdoor: BackdoorPlanted, X: np.ndarray, y: np.ndarray) -> AttackResult:
        hook, trig = backdoor.handle, backdoor.trigger
        if hook is None or getattr(hook, "cloud", None) is None:
            raise RequirementError(
                "the planted trojan left no handle to observe the jobs it compiles",
                hint="plant it with circuit.planted_trojan",
            )
        oracle = VictimOracle(self.target)
        low, high = float(trig["low"]), float(trig["high"])
        n_cal = self.params.calibration or 2 * X.shape[1] + 2
        box_lo, box_hi = X.min(axis=0), X.max(axis=0)
        with _present(hook) as already:
            # calibration: the attacker's own queries, one job, rows in order
            x_cal = rng(self.seed, "calibration").uniform(box_lo, box_hi, (n_cal, X.shape[1]))
            before = len(hook.seen)
            oracle.labels(x_cal, seed=derive_seed(self.seed, "calibration"))
            seen = np.concatenate(hook.seen[before:]) if len(hook.seen) > before else np.empty(0)
            if seen.size != n_cal:
                raise RequirementError(
                    f"the planted pass observed {seen.size} angles for {n_cal} calibration rows",
                    hint="the deployment must run its queries on the quantum cloud "
                    "(serving=device)",
                )
            design = np.hstack([x_cal, np.ones((n_cal, 1))])
            coef, *_ = np.linalg.lstsq(design, seen, rcond=None)
            w, b = coef[:-1], float(coef[-1])
            fit_error = float(np.abs(design @ coef - seen).max())
            goal = (low + high) / 2
            norm2 = float(w @ w)
            step = np.zeros_like(X) if norm2 < 1e-18 else np.outer((goal - (X @ w + b)) / norm2, w)
            x_trig = X + step
            clean = oracle.labels(X, seed=derive_seed(self.seed, "clean"))

            def ask(per_row: bool) -> np.ndarray:
                if not per_row:
                    return oracle.labels(x_trig, seed=derive_seed(self.seed, "triggered"))
                return np.concatenate([
                    oracle.labels(x_trig[i : i + 1], seed=derive_seed(self.seed, "triggered", i))
                    for i in range(len(X))
                ])  # fmt: skip

            # one job when every crafted row lands in the window, else one job per input
            start = len(hook.fired)
            pred, per_row = ask(False), False
            if not hook.fired[start]:
                start = len(hook.fired)
                pred, per_row = ask(True), True
            fired = np.asarray(hook.fired[start:], dtype=bool)
            if fired.size == 1:
                fired = np.repeat(fired, len(X))
            with _absent(hook):  # the same queries without the pass, twice: shot noise
                control, repeat = ask(per_row), ask(per_row)
        n = len(X)
        ok = (control == y) & fired  # the trojan acted on an input the control got right
        asr = float(np.sum(pred[ok] != y[ok]) / max(int((control == y).sum()), 1))
        flips = float(np.mean(repeat != control))
        metrics = {
            "attack_success_rate": asr,
            "control_flip_rate": flips,
            "triggered_fraction": float(fired.mean()) if fired.size else 0.0,
            "accuracy_triggered": float(np.mean(pred == y)),
            "accuracy_triggered_control": float(np.mean(ok)),
            "misclassification_rate": float(np.mean(pred != y)),
            "clean_accuracy": float(np.mean(clean == y)),
            "calibration_fit_error": fit_error,
            "perturbation_linf": float(np.abs(step).max(initial=0.0)),
        }
        result = self.new_result(
            metrics=metrics,
            per_sample={"label": y.tolist(), "prediction": pred.tolist(),
                        "control_prediction": control.tolist(), "fired": fired.tolist()},
        )  # fmt: skip
        result.intervals = {
            "attack_success_rate": proportion(asr, max(int((control == y).sum()), 1)),
            "control_flip_rate": proportion(flips, n),
            "triggered_fraction": proportion(metrics["triggered_fraction"], max(fired.size, 1)),
            "accuracy_triggered": proportion(metrics["accuracy_triggered"], n),
            "misclassification_rate": proportion(metrics["misclassification_rate"], n),
            "clean_accuracy": proportion(metrics["clean_accuracy"], n),
        }
        result.notes.append(
            f"window [{low:.4g}, {high:.4g}] on g[{trig.get('column')}]; affine map fitted "
            f"from {n_cal} calibration rows (max residual {fit_error:.2g}); control: the same "
            "crafted inputs with the pass removed"
            + ("" if already else "; the pass was no longer installed and was re-installed")
        )
        if asr > 0:
            result.provides = ["goal.integrity_lost"]
        return result
