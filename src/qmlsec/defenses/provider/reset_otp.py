"""One-time pads before reset: the next tenant inherits a residue that carries no secret.

Mitigation QML.M0010, after Mi, Deng, Szefer, "Securing Reset Operations in NISQ
Quantum Computers" (CCS 2022) and Xu, Sikora, Szefer (HOST 2024, arXiv:2401.15529).
Before the reset the user applies, per shot and per qubit, a secret random Pauli: a
classical one-time pad ``X^a`` (``kind="classical"``) or a quantum one-time pad
``X^a Z^b`` (``kind="quantum"``). Averaged over the pads the attacker cannot know,
``rho -> (rho + X rho X)/2`` (COTP) or ``I/2`` per qubit (QOTP). The COTP makes the
populations uniform (Z-basis readouts carry nothing) but keeps the X component of the
state (``X rho X`` has the same ``<X>``), so after a *coherent* reset (the attack's
``channel="coherent"``) an attacker measuring in the X basis still tells the victim's
secrets apart, by up to ``r·c`` between ``|+⟩`` and ``|−⟩``; only the QOTP (random
``X`` *and* ``Z``) removes every basis. With the attack's own channel, basis and
states (via its ``leak``, on the final states of the victim's job as the cloud
executed it), the defended run reports the pair advantages and the ``|0⟩/|1⟩`` and
``|+⟩/|−⟩`` reference advantages after the pad. ``kind="quantum"`` is the default,
as the HOST 2024 paper recommends for coherent residue. The pad costs one or two
single-qubit gates per qubit per shot (one circuit variant per pad) and nothing in
accuracy: the user knows the pad.

Not covered: pads with finite shots per pad variant (the average is exact here), leakage
outside the computational subspace, a reset that is applied before the pad.

Example:
    >>> from qiskit.quantum_info import DensityMatrix
    >>> rho = ResetOTP({"kind": "quantum"}).pad(DensityMatrix.from_label("1"))
    >>> [round(float(p), 3) for p in rho.probabilities()]
    [0.5, 0.5]
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Literal

import numpy as np
from qiskit.quantum_info import DensityMatrix, Pauli

from qmlsec.attacks.leakage.reset import tvd
from qmlsec.attacks.setup import AttackSetup
from qmlsec.config import FrozenModel
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense


class ResetOTPParams(FrozenModel):
    """Parameters of :class:`ResetOTP`."""

    kind: Literal["classical", "quantum"] = "quantum"
    """``classical``: random X per qubit and shot (COTP); ``quantum``: random X and Z
    (QOTP)."""


class ResetOTP(ProviderDefense):
    """Apply a secret per-shot Pauli pad to every qubit before it is reset."""

    name: ClassVar[str] = "provider.reset_otp"
    mitigation_id: ClassVar[str] = "QML.M0010"
    counters: ClassVar[tuple[str, ...]] = ("leakage.reset",)
    Params = ResetOTPParams

    def paulis(self) -> list[str]:
        """The single-qubit pads averaged over."""
        return ["I", "X"] if self.params.kind == "classical" else ["I", "X", "Z", "Y"]

    def pad(self, rho: DensityMatrix) -> DensityMatrix:
        """The state as seen by someone who does not know the pad (pad-averaged)."""
        out = rho
        for q in range(rho.num_qubits):
            terms = [out.evolve(Pauli(p), qargs=[q]).data for p in self.paulis()]
            out = DensityMatrix(np.mean(terms, axis=0))
        return out

    def apply(self, session: Any) -> dict[str, Any]:
        """Record the pad policy on ``session`` (one random Pauli per qubit and shot)."""
        policy = {"reset_pad": self.params.kind, "paulis": self.paulis()}
        if hasattr(session, "policies"):
            session.policies.append(policy)
        return policy

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """The reset-leakage advantages with every victim state padded before reset."""
        start = time.perf_counter()
        attack: Any = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        p = attack.params
        pairs = attack.secret_pairs(np.asarray(setup.ctx.y_test))
        index = sorted({i for pair in pairs for i in pair})
        jobs = attack.victim_jobs(setup.ctx.x_test[index])  # the victim's cloud job
        states = {i: self.pad(rho) for i, rho in zip(index, attack.final_states(jobs), strict=True)}
        result = attack.new_result()
        for r in p.residuals:
            adv = [tvd(*attack.leak(states[a], states[b], r)) for a, b in pairs]
            result.per_sample[f"advantage_r{r:g}"] = adv
            result.metrics[f"advantage_r{r:g}"] = float(np.mean(adv))
            result.metrics.update(attack.reference_advantages(r, pad=self.pad))
        result.notes.append(f"victim qubits padded ({self.params.kind} one-time pad) before reset;"
                            f" attacker reads in the {p.basis} basis")  # fmt: skip
        result.seconds = time.perf_counter() - start
        executed = jobs[0].bound(compact=True)[0].remove_final_measurements(inplace=False)
        depth = max(1, executed.depth())
        gates = 1 if self.params.kind == "classical" else 2
        cost = DefenseCost(depth_overhead=gates / depth, seconds=result.seconds,
                           extra={"pad_gates_per_qubit_per_shot": float(gates),
                                  "circuit_variants_per_qubit": float(len(self.paulis()))})  # fmt: skip
        return result, cost
