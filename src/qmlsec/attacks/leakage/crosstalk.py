"""Vertical leakage: a concurrent tenant reads the victim's outcomes through readout crosstalk.

After Maurya et al. (readout-crosstalk information leakage, arXiv:2405.08962) and
Nico-Katz et al. (npj QI 2024, arXiv:2406.16861). Model: the attacker's qubit sits at
coupling-map distance ``d`` from the victim's ``watched_qubit``, is prepared in ``|0>``
and read out in the same readout window as the victim's. Readout crosstalk couples the
two assignment (confusion) matrices::

    P(attacker reads 1 | victim bit b) = eps + kappa(d) * b,
    kappa(d) = kappa * exp(-(d - 1) / xi)  (0 beyond max_distance)

so the attacker's outcome frequency is an affine image of the victim's marginal
``P_v(1)``. The distinguishing advantage between two victim secrets is the TVD of the
attacker's outcome distributions, ``kappa(d) |P_a(1) - P_b(1)|`` exactly, also estimated
from seeded shots. ``kappa = 0`` gives no leakage.

Not covered: ZZ-crosstalk leakage during gates (see :mod:`qmlsec.cloud.crosstalk`),
multi-qubit confusion matrices calibrated on a device, and the attacker's own readout
error beyond the constant ``eps``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from pydantic import Field
from qiskit.quantum_info import Statevector

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.attacks.leakage.base import LeakageAttack
from qmlsec.attacks.leakage.reset import empirical, tvd
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, rng


def coupling_strength(kappa: float, distance: int, xi: float = 1.0, max_distance: int = 3) -> float:
    """Readout-crosstalk coupling ``kappa(d)``.

    Example:
        >>> coupling_strength(0.1, 1), round(coupling_strength(0.1, 2), 4), coupling_strength(0.1, 4)
        (0.1, 0.0368, 0.0)
    """
    if distance < 1 or distance > max_distance:
        return 0.0
    return float(kappa * math.exp(-(distance - 1) / xi))


def attacker_distribution(p_victim_one: float, eps: float, coupling: float) -> np.ndarray:
    """The attacker's ``[P(0), P(1)]`` given the victim's ``P(1)``."""
    p1 = min(1.0, eps + coupling * p_victim_one)
    return np.array([1 - p1, p1])


class CrosstalkLeakageParams(FrozenModel):
    """Parameters of :class:`CrosstalkLeakage`."""

    kappas: tuple[float, ...] = Field(default=(0.0, 0.02, 0.05, 0.1, 0.2))
    distances: tuple[int, ...] = Field(default=(1, 2, 3))
    xi: float = Field(default=1.0, gt=0)
    eps: float = Field(default=0.02, ge=0, le=0.5)
    watched_qubit: int = Field(default=0, ge=0)
    shots: int = Field(default=4000, ge=1)
    pairs: int = Field(default=10, ge=1)


class CrosstalkLeakage(LeakageAttack):
    """Concurrent tenant infers the victim's outcomes from readout crosstalk (QML.T0023.001)."""

    name: ClassVar[str] = "leakage.crosstalk"
    technique_id: ClassVar[str] = "QML.T0023.001"
    requires = frozenset({Capability.CO_TENANCY})
    positions = frozenset({Position.CO_TENANT})
    Params = CrosstalkLeakageParams
    check_params: ClassVar[dict] = {"kappas": (0.0, 0.1), "distances": (1,), "pairs": 3}

    def leak(self, p_a: float, p_b: float, coupling: float) -> tuple[np.ndarray, np.ndarray]:
        """The attacker's outcome distributions under the two victim secrets."""
        eps = self.params.eps
        return attacker_distribution(p_a, eps, coupling), attacker_distribution(p_b, eps, coupling)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        victim = VictimCircuits(self.target.model)
        y = np.asarray(ctx.y_test)
        gen = rng(self.seed, "pairs")
        pairs = []
        for _ in range(p.pairs):
            a = int(gen.integers(len(y)))
            others = np.flatnonzero(y != y[a])
            pairs.append((a, int(gen.choice(others)) if len(others) else (a + 1) % len(y)))
        index = sorted({i for pair in pairs for i in pair})
        q = min(p.watched_qubit, victim.n_qubits - 1)
        marg = {
            i: float(Statevector(c).probabilities([q])[1])
            for i, c in zip(index, victim.logical(ctx.x_test[index], measure=False), strict=True)
        }
        result = self.new_result()
        result.per_sample = {"secret_a": [a for a, _ in pairs], "secret_b": [b for _, b in pairs]}
        for d in p.distances:
            exact_curve = []
            for kappa in p.kappas:
                coupling = coupling_strength(kappa, d, p.xi)
                exact, measured = [], []
                for k, (a, b) in enumerate(pairs):
                    pa, pb = self.leak(marg[a], marg[b], coupling)
                    exact.append(tvd(pa, pb))
                    g = rng(self.seed, "shots", d, k, int(kappa * 1e6))
                    measured.append(tvd(empirical(pa, p.shots, g), empirical(pb, p.shots, g)))
                result.per_sample[f"advantage_d{d}_k{kappa:g}"] = exact
                result.metrics[f"advantage_d{d}_k{kappa:g}"] = float(np.mean(exact))
                result.metrics[f"measured_advantage_d{d}_k{kappa:g}"] = float(np.mean(measured))
                exact_curve.append(float(np.mean(exact)))
            result.curves[f"advantage_vs_kappa_d{d}"] = {"x": list(p.kappas), "y": exact_curve}
        leaked = any(v > 0 for k, v in result.metrics.items() if k.startswith("advantage_"))
        result.provides = ["know.victim_state", "goal.training_data_exposed"] if leaked else []
        return result
