"""Canary circuits: jobs with known outputs mixed into the user's batches.

Mitigation QML.M0009 (canaries), in the spirit of the integrity checks of Upadhyay and
Ghosh (arXiv:2305.01826, arXiv:2209.11872). With every batch the user submits
``canaries`` extra circuits the provider cannot tell apart from its own by shape: the
victim's circuit structure with a secret input for which the user knows the exact
output distribution (computed locally). Each canary's returned counts are compared
with the known distribution; when the total-variation distance of any canary exceeds
``threshold`` (calibrated above the shot noise and the device noise of an honest run)
the batch is rejected. Against ``tampering.measurement`` a rejected batch is re-run
elsewhere, so the tampering at that rate has no effect on accuracy.

Cost: the extra circuits and shots (``canaries x shots`` per batch) and their price.

Not covered: a provider that recognises canaries (e.g. by a fixed position in the
batch; here their positions are seeded at random) and tampers only with the rest,
result swapping restricted to non-canary jobs.

Example:
    >>> CanaryCheck().params.canaries
    4
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from pydantic import Field
from qiskit.quantum_info import Statevector

from qmlsec.attacks.hardware.session import ProviderSession
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.defenses.base import AttackSetup, DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense


class CanaryParams(FrozenModel):
    """Parameters of :class:`CanaryCheck`."""

    canaries: int = Field(4, ge=1)
    threshold: float = Field(0.1, gt=0, lt=1)


def _dist(counts: dict[str, int], n: int) -> np.ndarray:
    p = np.zeros(2**n)
    for key, c in counts.items():
        p[int(key.replace(" ", ""), 2)] += c
    return p / max(1, p.sum())


class CanaryCheck(ProviderDefense):
    """Reject batches whose canary circuits come back different from their known output."""

    name: ClassVar[str] = "provider.canary"
    mitigation_id: ClassVar[str] = "QML.M0009"
    counters: ClassVar[tuple[str, ...]] = ("tampering.measurement",)
    Params = CanaryParams

    def apply(self, session: ProviderSession) -> None:
        """Nothing to install: canaries travel inside the user's batches (see ``check``)."""

    def check(self, session: ProviderSession, victim: VictimCircuits, x_secret: np.ndarray,
              *, shots: int, seed: int) -> float:  # fmt: skip
        """Largest TVD between a canary's returned and known output distributions."""
        circuits = victim.transpiled(x_secret, session.backend)
        counts = session.execute(circuits, shots=shots, seed=seed)
        worst = 0.0
        for qc, c in zip(victim.logical(x_secret, measure=False), counts, strict=True):
            known = Statevector(qc).probabilities()
            worst = max(worst, float(0.5 * np.abs(_dist(c, victim.n_qubits) - known).sum()))
        return worst

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Run the tampering; a rate whose canaries alarm has its batch rejected (drop 0)."""
        result = setup.run(seed)
        attack = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        p = attack.params
        victim = VictimCircuits(setup.model)
        gen = rng(self.seed, "canary")
        lo, hi = setup.ctx.x_test.min(axis=0), setup.ctx.x_test.max(axis=0)
        x_secret = gen.uniform(lo, hi, size=(self.params.canaries, setup.ctx.x_test.shape[1]))
        start, alarms = time.perf_counter(), 0
        for i, rate in enumerate(p.rates):
            session = ProviderSession(p.device, noisy=p.noisy)
            attack.tamper(session, rate, i)
            tvd = self.check(session, victim, x_secret, shots=p.shots, seed=derive_seed(seed, i))
            result.metrics[f"canary_tvd_{rate:g}"] = tvd
            if tvd > self.params.threshold:
                alarms += 1
                result.metrics[f"accuracy_drop_{rate:g}"] = 0.0
        drops = [v for k, v in result.metrics.items() if k.startswith("accuracy_drop_")]
        result.metrics["max_accuracy_drop"] = max(drops, default=0.0)
        result.notes.append(f"{self.name}: {alarms}/{len(p.rates)} tampered rates alarmed")
        extra_shots = self.params.canaries * p.shots * len(p.rates)
        return result, DefenseCost(extra_shots=extra_shots, seconds=time.perf_counter() - start,
                                   extra={"alarms": float(alarms),
                                          "extra_circuits_per_batch": float(self.params.canaries)})  # fmt: skip
