"""Crosstalk fault injection by a co-tenant running CNOT-heavy jobs beside the victim.

After Ash-Saki, Alam and Ghosh (ISLPED 2020, doi:10.1145/3370748.3406570) and
ZKTA/QONTEXTS (Kumar et al., arXiv:2504.07048: concurrent CNOTs altered victim outputs
in 40% of cases). The attacker gets co-scheduled (the provider's co-scheduling hook)
on a coupled qubit pair at coupling-map distance ``d`` from the victim's layout and
drives CNOTs for the whole victim job; the physics is
:class:`~qmlsec.cloud.crosstalk.CrosstalkModel` (documented there), plugged into the
victim's execution as a noise contributor (``mode="contributor"``) or inserted layer by
layer into its schedule (``mode="layer"``).

Measured, for each distance and strength: victim accuracy (per sample) and the mean
absolute change of its ``<Z_i>`` outputs relative to the run without attacker.

Not covered: locating the victim (hardware.locality_fingerprint provides the
co-location), attacker circuits of other shapes, calibrated crosstalk magnitudes.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.base import FaultInjectionAttack
from qmlsec.attacks.hardware.session import ProviderSession
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.crosstalk import (
    CrosstalkContributor,
    CrosstalkModel,
    inject_crosstalk,
    qubit_distances,
)
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.tenancy import CoJob
from qmlsec.config import FrozenModel


def attacker_pair(
    victim_qubits: set[int], edges: list[tuple[int, int]], n_qubits: int, distance: int
) -> tuple[int, int] | None:
    """A coupled pair outside the victim whose nearest qubit is ``distance`` hops away."""
    dist = qubit_distances(edges, n_qubits)
    for a, b in sorted(edges):
        if a in victim_qubits or b in victim_qubits or a > b:
            continue
        d = min(dist[q, v] for q in (a, b) for v in victim_qubits)
        if d == distance:
            return a, b
    return None


def cnot_job(pair: tuple[int, int], n_qubits: int, layers: int = 20) -> QuantumCircuit:
    """The attacker's CNOT-heavy circuit on ``pair``."""
    qc = QuantumCircuit(n_qubits, name="crosstalk_attacker")
    for _ in range(layers):
        qc.cx(*pair)
    return qc


class CrosstalkParams(FrozenModel):
    """Parameters of :class:`CrosstalkInjection`."""

    device: str = "fake_guadalupe"
    distances: tuple[int, ...] = Field(default=(1, 2, 3))
    strengths: tuple[float, ...] = Field(default=(0.0, 0.1, 0.3, 0.6))
    xi: float = Field(default=1.0, gt=0)
    kind: Literal["zz", "depolarizing"] = "zz"
    mode: Literal["contributor", "layer"] = "contributor"
    noisy: bool = False
    shots: int = Field(default=1024, ge=1)
    max_samples: int = Field(default=40, ge=1)


class CrosstalkInjection(FaultInjectionAttack):
    """Co-tenant CNOT jobs inject correlated crosstalk errors into the victim (QML.T0018)."""

    name: ClassVar[str] = "hardware.crosstalk_injection"
    technique_id: ClassVar[str] = "QML.T0018"
    requires = frozenset({Capability.CO_TENANCY})
    positions = frozenset({Position.CO_TENANT})
    Params = CrosstalkParams
    check_params: ClassVar[dict] = {
        "distances": (1,), "strengths": (0.0, 0.5), "max_samples": 6, "shots": 256,
    }  # fmt: skip

    def inject(self, pair: tuple[int, int], strength: float) -> ProviderSession:
        """A session where the attacker's job on ``pair`` is co-scheduled with the victim."""
        p = self.params
        dev = get_device(p.device)
        model = CrosstalkModel(strength=strength, xi=p.xi, kind=p.kind)
        job = CoJob("attacker", pair, circuit=cnot_job(pair, dev.num_qubits), label="crosstalk")
        if p.mode == "contributor":
            contributor = CrosstalkContributor(model, dev.coupling_map)
            return ProviderSession(
                p.device, noisy=p.noisy, contributors=[contributor], co_jobs=[job]
            )
        session = ProviderSession(p.device, noisy=p.noisy, co_jobs=[job])
        session.add_circuit_hook(
            lambda qc: inject_crosstalk(
                qc, attacker_qubits=pair, coupling_map=dev.coupling_map, model=model
            )
        )
        return session

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        dev = get_device(p.device)
        victim = VictimCircuits(self.target.model)
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        base_session = ProviderSession(p.device, noisy=p.noisy)
        circuits = victim.transpiled(X, dev.backend)
        used = {c.find_bit(q).index for c in circuits for i in c.data for q in i.qubits}
        base = victim.expectations(base_session.execute(circuits, shots=p.shots, seed=self.seed))
        base_acc = float(np.mean(victim.predict_from_expectations(base) == y))
        result = self.new_result()
        result.per_sample = {"label": list(y)}
        result.metrics = {"baseline_accuracy": base_acc}
        edges = [(int(a), int(b)) for a, b in dev.coupling_map]
        step, total = 0, len(p.distances) * len(p.strengths)
        for d in p.distances:
            pair = attacker_pair(used, edges, dev.num_qubits, d)
            if pair is None:
                result.notes.append(f"no free qubit pair at distance {d} on {p.device}")
                continue
            accs, shifts = [], []
            for s in p.strengths:
                session = self.inject(pair, s)
                exp = victim.expectations(session.execute(circuits, shots=p.shots, seed=self.seed))
                pred = victim.predict_from_expectations(exp)
                accs.append(float(np.mean(pred == y)))
                shifts.append(float(np.abs(exp - base).mean()))
                result.per_sample[f"prediction_d{d}_s{s:g}"] = list(pred)
                result.metrics[f"accuracy_d{d}_s{s:g}"] = accs[-1]
                result.metrics[f"output_shift_d{d}_s{s:g}"] = shifts[-1]
                step += 1
                ctx.report("crosstalk", step, total)
            result.curves[f"accuracy_vs_strength_d{d}"] = {"x": list(p.strengths), "y": accs}
            result.curves[f"output_shift_vs_strength_d{d}"] = {"x": list(p.strengths), "y": shifts}
        drops = [base_acc - v for k, v in result.metrics.items() if k.startswith("accuracy_d")]
        result.metrics["max_accuracy_drop"] = max(drops, default=0.0)
        result.provides = ["goal.integrity_lost"] if max(drops, default=0.0) > 0 else []
        return result
