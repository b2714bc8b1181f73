"""Dormant transpiler trojan triggered by an input condition (malicious compile config).

After Quantum Properties Trojans (QuPTs, arXiv:2507.08202; activated through a
malicious compilation configuration, up to 23% accuracy loss on a binary QNN) and
controllable trojans (John, Golla, Wang, arXiv:2502.08880; dormant until an input
condition holds). The configuration names a logical qubit, an ``rz`` occurrence and an
angle window; the trojan pass, a malicious :class:`~qmlsec.cloud.providers.QuantumCloud`'s
``transform_circuit`` hook (:class:`DormantTrojanHook`), inserts its gates only into jobs
whose watched (input-dependent) angle, read from the job's parameter values, falls in
the window for every row, and leaves every other job untouched. The victim's endpoint
sends one job per query here (a batch mixing triggered and untriggered inputs would
stay clean). The attacker sizes the window to cover ``trigger_fraction`` of the inputs
it expects.

Measured: the fraction of inputs that trigger, accuracy on triggered and untriggered
inputs before and after, the attack success rate on triggered inputs, and whether
untriggered predictions are unchanged (dormancy).

Not covered: triggers on several qubits or on gate-count properties, and trojans that
react to the device's calibration.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import torch
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.access import (
    ProviderRunParams,
    installed,
    predict,
    provider_cloud,
    serve,
)
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.circuit.base import CircuitAttack
from qmlsec.attacks.circuit.insertion import TriggerCondition, TrojanInsertion, run_trojan
from qmlsec.attacks.facts import BackdoorPlanted
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import derive_seed
from qmlsec.stats import proportion


def watched_angles(
    circuit: QuantumCircuit, values: np.ndarray, probe: TriggerCondition
) -> np.ndarray:
    """Per row of ``values``, the ``probe.rz_index``-th ``rz`` angle on ``probe.qubit`` (mod 2π)."""
    seen, index = 0, {p: j for j, p in enumerate(circuit.parameters)}
    for inst in circuit.data:
        op = inst.operation
        if op.name == "rz" and circuit.find_bit(inst.qubits[0]).index == probe.qubit:
            if seen == probe.rz_index:
                angle = op.params[0]
                if not getattr(angle, "parameters", None):
                    return np.full(len(values), float(angle) % (2 * np.pi))
                column = values[:, [index[q] for q in angle.parameters]]
                names = list(angle.parameters)
                rows = [float(angle.bind(dict(zip(names, r, strict=True)))) for r in column]
                return np.asarray(rows) % (2 * np.pi)
            seen += 1
    return np.full(len(values), np.nan)


class DormantTrojanHook(ProviderHook):
    """``transform_circuit``: insert the trojan only when every row of the job triggers."""

    def __init__(self, trojan: TrojanInsertion, trigger: TriggerCondition) -> None:
        self.trojan, self.trigger = trojan, trigger
        self.fired: list[bool] = []

    def transform_circuit(self, job: QuantumJob, circuit: QuantumCircuit) -> QuantumCircuit:
        """The trojaned circuit for a triggering job, else ``circuit`` itself."""
        angles = watched_angles(circuit, np.asarray(job.parameter_values), self.trigger)
        fires = bool(np.all((angles >= self.trigger.low) & (angles <= self.trigger.high)))
        self.fired.append(fires)
        return run_trojan(circuit, self.trojan) if fires else circuit


class QuPTParams(ProviderRunParams):
    """Parameters of :class:`DormantTrojan`."""

    gate: Literal["x", "h"] = "x"
    count: int = Field(default=3, ge=0)
    trigger_qubit: int = Field(default=0, ge=0)
    trigger_rz_index: int = Field(default=0, ge=0)
    """Which ``rz`` on the trigger qubit of the submitted circuit (0: the data angle)."""
    trigger_fraction: float = Field(default=0.3, gt=0, le=1)


class DormantTrojan(CircuitAttack):
    """Input-triggered trojan from a malicious compilation configuration (QML.T0014.000)."""

    name: ClassVar[str] = "circuit.qupt"
    technique_id: ClassVar[str] = "QML.T0014.000"
    requires = frozenset({Capability.TRANSPILER_CONTROL})
    positions = frozenset({Position.SUPPLY_CHAIN})
    Params = QuPTParams
    check_params: ClassVar[dict] = {"max_samples": 10, "shots": 256}

    def trigger_for(self, angles: np.ndarray) -> TriggerCondition:
        """The window starting at the smallest watched angle and covering the fraction."""
        p = self.params
        ordered = np.sort(angles)
        k = max(1, int(np.ceil(p.trigger_fraction * len(ordered))))
        return TriggerCondition(p.trigger_qubit, p.trigger_rz_index, ordered[0], ordered[k - 1])

    def tamper(self, trigger: TriggerCondition) -> DormantTrojanHook:
        """The provider hook carrying the dormant trojan (install with ``add_hook``)."""
        p = self.params
        return DormantTrojanHook(
            TrojanInsertion(p.gate, p.count, derive_seed(self.seed, "qupt")), trigger
        )

    def _predict_each(self, cloud: QuantumCloud, X: np.ndarray) -> np.ndarray:
        """One job per input (as a low-latency endpoint sends them)."""
        p = self.params
        endpoint = serve(self.target.model, cloud, device=p.device, shots=p.shots, seed=self.seed)
        return np.concatenate(
            [predict(endpoint, X[i : i + 1], seed=derive_seed(self.seed, i)) for i in range(len(X))]
        )

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        cloud = provider_cloud(self.target, device=p.device, seed=self.seed,
                               noise_scale=1.0 if p.noisy else 0.0)  # fmt: skip
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        clean_pred = self._predict_each(cloud, X)
        clean_acc = float(np.mean(clean_pred == y))
        compiled = self.target.model.model_.compiled
        submitted = compiled.expanded_circuit()
        with torch.no_grad():
            features = torch.as_tensor(self.target.model.preprocessing_.transform(X))
            x = self.target.model.model_.spec.feature_map(features.to(torch.float64))
            rows = compiled.angles(x, self.target.model.model_.theta).numpy()
        probe = TriggerCondition(p.trigger_qubit, p.trigger_rz_index)
        angles = np.nan_to_num(watched_angles(submitted, rows, probe))
        trigger = self.trigger_for(angles)
        fired = (angles >= trigger.low) & (angles <= trigger.high)
        hook = self.tamper(trigger)
        with installed(cloud, hook, position=self.target.position):
            pred = self._predict_each(cloud, X)
        acc = float(np.mean(pred == y))
        depth = [run_trojan(submitted, hook.trojan).depth() - submitted.depth()]
        ok = (clean_pred == y) & fired
        result = self.new_result()
        result.per_sample = {
            "label": list(y),
            "triggered": list(fired),
            "clean_prediction": list(clean_pred),
            "prediction": list(pred),
        }

        def mean(mask: np.ndarray, values: np.ndarray) -> float:
            return float(np.mean(values[mask])) if mask.any() else 0.0

        result.metrics = {
            "triggered_fraction": float(fired.mean()),
            "clean_accuracy": clean_acc,
            "accuracy": acc,
            "triggered_accuracy_before": mean(fired, clean_pred == y),
            "triggered_accuracy_after": mean(fired, pred == y),
            "untriggered_accuracy_before": mean(~fired, clean_pred == y),
            "untriggered_accuracy_after": mean(~fired, pred == y),
            "untriggered_unchanged": mean(~fired, pred == clean_pred),
            "attack_success_rate": mean(ok, pred != y),
            "max_depth_change": float(np.max(np.abs(depth))),
        }
        # each rate over its own subset, stated: a rate of 0 or 1 is a whole number of
        # successes out of any length, so the per-sample lengths cannot tell its n
        subsets = {"triggered_accuracy_before": fired, "triggered_accuracy_after": fired,
                   "untriggered_accuracy_before": ~fired, "untriggered_accuracy_after": ~fired,
                   "untriggered_unchanged": ~fired, "attack_success_rate": ok}  # fmt: skip
        for name, mask in subsets.items():
            if mask.any():
                result.intervals[name] = proportion(result.metrics[name], int(mask.sum()))
        result.provides = ["state.backdoor", "goal.integrity_lost"] if ok.any() else []
        if ok.any():
            result.facts[BackdoorPlanted.id] = BackdoorPlanted(
                "circuit", trigger={"pass": "dormant trojan"}
            )
        return result
