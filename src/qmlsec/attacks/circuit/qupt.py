"""Dormant transpiler trojan triggered by an input condition (malicious compile config).

After Quantum Properties Trojans (QuPTs, arXiv:2507.08202; activated through a
malicious compilation configuration, up to 23% accuracy loss on a binary QNN) and
controllable trojans (John, Golla, Wang, arXiv:2502.08880; dormant until an input
condition holds). The configuration names a logical qubit, an ``rz`` occurrence and an
angle window; the trojan pass inserts its gates only into circuits whose watched
(input-dependent) angle falls in the window, and leaves every other circuit untouched.
The attacker sizes the window to cover ``trigger_fraction`` of the inputs it expects.

Measured: the fraction of inputs that trigger, accuracy on triggered and untriggered
inputs before and after, the attack success rate on triggered inputs, and whether
untriggered predictions are unchanged (dormancy).

Not covered: triggers on several qubits or on gate-count properties, and trojans that
react to the device's calibration.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.circuit.base import CircuitAttack
from qmlsec.attacks.circuit.insertion import TriggerCondition, TrojanInsertion, run_trojan
from qmlsec.attacks.hardware.session import ProviderSession
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed


class QuPTParams(FrozenModel):
    """Parameters of :class:`DormantTrojan`."""

    gate: Literal["x", "h"] = "x"
    count: int = Field(default=3, ge=0)
    trigger_qubit: int = Field(default=0, ge=0)
    trigger_rz_index: int = Field(default=1, ge=0)
    trigger_fraction: float = Field(default=0.3, gt=0, le=1)
    device: str = "fake_manila"
    noisy: bool = False
    shots: int = Field(default=1024, ge=1)
    max_samples: int = Field(default=60, ge=1)


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

    def tamper(self, session: ProviderSession, trigger: TriggerCondition) -> TrojanInsertion:
        """Install the dormant trojan on ``session``'s circuit hook."""
        p = self.params
        trojan = TrojanInsertion(p.gate, p.count, derive_seed(self.seed, "qupt"), trigger)
        session.add_circuit_hook(lambda qc: run_trojan(qc, trojan))
        return trojan

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        victim = VictimCircuits(self.target.model)
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        clean = ProviderSession(p.device, noisy=p.noisy)
        clean_acc, clean_pred = clean.accuracy(victim, X, y, shots=p.shots, seed=self.seed)
        circuits = victim.transpiled(X, clean.backend)
        probe = TriggerCondition(p.trigger_qubit, p.trigger_rz_index)
        angles = np.array([probe.angle(c) or 0.0 for c in circuits])
        trigger = self.trigger_for(angles)
        fired = np.array([trigger.fires(c) for c in circuits])
        session = ProviderSession(p.device, noisy=p.noisy)
        trojan = self.tamper(session, trigger)
        acc, pred = session.accuracy(victim, X, y, shots=p.shots, seed=self.seed)
        depth = [run_trojan(c, trojan).depth() - c.depth() for c in circuits]
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
        result.provides = ["state.backdoor", "goal.integrity_lost"] if ok.any() else []
        return result
