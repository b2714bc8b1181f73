"""Crosstalk fault injection by a co-tenant running CNOT-heavy jobs beside the victim.

After Ash-Saki, Alam and Ghosh (ISLPED 2020, doi:10.1145/3370748.3406570) and
ZKTA/QONTEXTS (Kumar et al., arXiv:2504.07048: concurrent CNOTs altered victim outputs
in 40% of cases). The attacker gets co-scheduled through the quantum cloud's
``co_schedule`` hook (:class:`CoTenantHook`): for each job of the victim's endpoint it
returns a :class:`~qmlsec.cloud.tenancy.CoJob` driving CNOTs on a coupled qubit pair at
coupling-map distance ``d`` from the victim's qubits, for the whole victim job. The
physics is :class:`~qmlsec.cloud.crosstalk.CrosstalkModel` (documented there), plugged
into every execution of the cloud as a
:class:`~qmlsec.cloud.crosstalk.CrosstalkContributor` noise term.

Where the victim sits: when an earlier stage supplied a
:class:`~qmlsec.attacks.facts.Colocation` fact (the
victim qubits estimated by ``recon.locality_fingerprint``), the pair is placed at
distance ``d`` from those *estimated* qubits (the multi-stage path fingerprinting ->
co-located crosstalk). Otherwise the hook reads the provider's true placement, which a
co-tenant cannot see: the *oracle-placement upper bound*. ``metrics["oracle_placement"]``
says which was used, and ``true_distance_d{d}`` the pair's actual distance from the
victim's qubits. A pair on a qubit the victim holds cannot run beside it
(:func:`~qmlsec.cloud.tenancy.concurrent_with`) and injects nothing.

Measured, for each distance and strength: victim accuracy (per sample) and the mean
absolute change of its ``<Z_i>`` outputs relative to the run without attacker.

Not covered: attacker circuits of other shapes, calibrated crosstalk magnitudes, and
layer-level simultaneity (:func:`~qmlsec.cloud.crosstalk.inject_crosstalk`; the cloud
overlaps whole jobs).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.access import installed, predict, provider_cloud, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import Colocation
from qmlsec.attacks.hardware.base import FaultInjectionAttack
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.crosstalk import (
    CrosstalkContributor,
    CrosstalkModel,
    qubit_distances,
)
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import Placement, QuantumJob
from qmlsec.cloud.tenancy import CoJob, concurrent_with
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


class CoTenantHook(ProviderHook):
    """``co_schedule``: the attacker's CNOT job at ``distance`` from the victim's qubits.

    ``colocation``: the victim qubits the attacker estimated (locality fingerprinting);
    ``None`` reads the provider's true placement instead (oracle upper bound). The
    provider runs the attacker's job beside the victim's only on disjoint qubits.
    ``pairs`` and ``true_distances`` record, per victim job, the pair and its actual
    distance from the victim's active qubits (``inf``: no pair, or it could not run).
    """

    def __init__(self, distance: int, colocation: tuple[int, ...] | None = None) -> None:
        self.distance = distance
        self.colocation = None if colocation is None else tuple(int(q) for q in colocation)
        self.pairs: list[tuple[int, int] | None] = []
        self.true_distances: list[float] = []

    def co_schedule(self, job: QuantumJob, placement: Placement) -> list[CoJob]:
        """One attacker job, or none when no free pair sits at the distance."""
        dev = placement.device
        edges = [(int(a), int(b)) for a, b in dev.coupling_map]
        victim = set(placement.active if self.colocation is None else self.colocation)
        pair = attacker_pair(victim, edges, dev.num_qubits, self.distance)
        self.pairs.append(pair)
        if pair is None:
            self.true_distances.append(float("inf"))
            return []
        circuit = cnot_job(pair, dev.num_qubits)
        running = concurrent_with(
            placement.active, [CoJob("attacker", pair, circuit=circuit, label="crosstalk")]
        )
        dist = qubit_distances(edges, dev.num_qubits)
        true = min(dist[q, v] for q in pair for v in placement.active) if running else np.inf
        self.true_distances.append(float(true))
        return running


class CrosstalkParams(FrozenModel):
    """Parameters of :class:`CrosstalkInjection`."""

    device: str = "fake_guadalupe"
    distances: tuple[int, ...] = Field(default=(1, 2, 3))
    strengths: tuple[float, ...] = Field(default=(0.0, 0.1, 0.3, 0.6))
    xi: float = Field(default=1.0, gt=0)
    kind: Literal["zz", "depolarizing"] = "zz"
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

    def inject(self, strength: float) -> QuantumCloud:
        """A cloud on ``device`` whose executions carry the crosstalk model at ``strength``."""
        p = self.params
        model = CrosstalkModel(strength=strength, xi=p.xi, kind=p.kind)
        contributor = CrosstalkContributor(model, get_device(p.device).coupling_map)
        return provider_cloud(self.target, device=p.device, seed=self.seed,
                              noise_scale=1.0 if p.noisy else 0.0, contributors=[contributor])  # fmt: skip

    def _outputs(self, cloud: QuantumCloud, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        endpoint = serve(self.target.model, cloud, device=p.device, shots=p.shots, seed=self.seed)
        exp = endpoint.query(X, output="expectations", seed=self.seed).values
        return exp, predict(endpoint, X, seed=self.seed)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        base, base_pred = self._outputs(self.inject(0.0), X)
        base_acc = float(np.mean(base_pred == y))
        result = self.new_result()
        result.per_sample = {"label": list(y)}
        known = ctx.facts.get(Colocation)
        colocation = None if known is None else known.qubits
        result.metrics = {"baseline_accuracy": base_acc,
                          "oracle_placement": float(colocation is None)}  # fmt: skip
        result.notes.append(
            "attacker pairs placed from the provider's true placement (oracle upper bound)"
            if colocation is None
            else f"attacker pairs placed from the estimated colocation {tuple(colocation)}"
        )
        step, total = 0, len(p.distances) * len(p.strengths)
        for d in p.distances:
            accs, shifts = [], []
            for s in p.strengths:
                cloud, hook = self.inject(s), CoTenantHook(d, colocation)
                with installed(cloud, hook):
                    exp, pred = self._outputs(cloud, X)
                if hook.pairs and hook.pairs[-1] is None:
                    result.notes.append(f"no free qubit pair at distance {d} on {p.device}")
                    break
                true = hook.true_distances[-1]
                if np.isfinite(true):
                    result.metrics[f"true_distance_d{d}"] = true
                elif s == p.strengths[0]:
                    result.notes.append(f"the pair {hook.pairs[-1]} sits on the victim's qubits: "
                                        "it cannot run beside the victim")  # fmt: skip
                accs.append(float(np.mean(pred == y)))
                shifts.append(float(np.abs(exp - base).mean()))
                result.per_sample[f"prediction_d{d}_s{s:g}"] = list(pred)
                result.metrics[f"accuracy_d{d}_s{s:g}"] = accs[-1]
                result.metrics[f"output_shift_d{d}_s{s:g}"] = shifts[-1]
                step += 1
                ctx.report("crosstalk", step, total)
            if not accs:
                continue
            result.curves[f"accuracy_vs_strength_d{d}"] = {"x": list(p.strengths), "y": accs}
            result.curves[f"output_shift_vs_strength_d{d}"] = {"x": list(p.strengths), "y": shifts}
        drops = [base_acc - v for k, v in result.metrics.items() if k.startswith("accuracy_d")]
        result.metrics["max_accuracy_drop"] = max(drops, default=0.0)
        result.provides = ["goal.integrity_lost"] if max(drops, default=0.0) > 0 else []
        return result
