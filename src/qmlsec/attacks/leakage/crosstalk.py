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
attacker's outcome distributions, ``kappa(d) |P_a(1) - P_b(1)|`` exactly; ``kappa = 0``
gives no leakage.

Through the cloud: the victim's model is served on its
:class:`~qmlsec.cloud.providers.QuantumCloud` and queried on the secrets. The attacker's
probe job is co-scheduled beside each victim job through the ``co_schedule`` hook
(:class:`ReadoutProbe`, a :class:`~qmlsec.cloud.tenancy.CoJob` on a free physical qubit
at distance ``d`` from the physical qubit the victim's watched logical qubit is read out
on, in the circuit the cloud executed; locating the victim is
``recon.locality_fingerprint``'s part and is taken as done here). Its counts come from the victim job's own executed shots: per shot, the victim's
measured bit on the watched qubit sets the probe's flip probability above. The exact
advantage uses the watched qubit's marginal in the final state of the circuit the
cloud executed (:class:`~qmlsec.attacks.recon.executed.ExecutedJobs`); the measured one
the probe's counts.

Not covered: ZZ-crosstalk leakage during gates (:mod:`qmlsec.cloud.crosstalk`: its
contributor perturbs the victim's gates only when a co-job drives two-qubit gates, and
the probe drives none), multi-qubit confusion matrices calibrated on a device, and the
attacker's own readout error beyond the constant ``eps``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from qmlsec.attacks.access import installed, predict, provider_cloud, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import Colocation, VictimState
from qmlsec.attacks.leakage.base import LeakageAttack
from qmlsec.attacks.leakage.reset import tvd
from qmlsec.attacks.recon.executed import Executed, observe_queries
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.crosstalk import qubit_distances
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import JobResult, Placement, QuantumJob
from qmlsec.cloud.tenancy import CoJob
from qmlsec.config import FrozenModel, derive_seed, rng


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


def probe_qubit(
    placement: Placement, physical: int, distance: int, avoid: tuple[int, ...] = ()
) -> int | None:
    """A free physical qubit ``distance`` hops from the victim's ``physical`` readout qubit."""
    dev = placement.device
    dist = qubit_distances([(int(a), int(b)) for a, b in dev.coupling_map], dev.num_qubits)
    taken = set(placement.active) | set(avoid)
    free = [q for q in range(dev.num_qubits) if q not in taken and dist[physical, q] == distance]
    return free[0] if free else None


def victim_bit_counts(counts: dict[str, int], qubit: int) -> tuple[int, int]:
    """``(shots, shots with logical qubit reading 1)`` from a victim's counts."""
    shots = sum(counts.values())
    ones = sum(n for key, n in counts.items() if key.replace(" ", "")[::-1][qubit] == "1")
    return shots, ones


class ReadoutProbe(ProviderHook):
    """The attacker's probe job, co-scheduled beside every victim job in its readout window.

    ``co_schedule`` places a one-qubit ``|0>``-and-measure probe at ``distance`` from
    ``physical``, the qubit the victim's ``watched`` logical qubit is read out on, away
    from the victim's qubits ``avoid``; ``on_result`` closes the shared readout window: for each
    circuit of the victim's job, the probe reads 1 with probability
    ``eps + coupling * b`` in each shot where the victim's watched qubit read ``b``.
    Only :attr:`counts` (the probe's own outcomes) is the attacker's observation.
    """

    def __init__(
        self,
        distance: int,
        watched: int,
        physical: int,
        coupling: float,
        eps: float,
        seed: int,
        avoid: tuple[int, ...] = (),
    ) -> None:
        self.distance, self.watched, self.physical, self.avoid = distance, watched, physical, avoid
        self.coupling, self.eps, self.seed = coupling, eps, seed
        self.qubits: list[int | None] = []
        self.counts: list[dict[str, int]] = []

    def co_schedule(self, job: QuantumJob, placement: Placement) -> list[CoJob]:
        """The probe on a free qubit at the distance (none when there is no such qubit)."""
        q = probe_qubit(placement, self.physical, self.distance, self.avoid)
        self.qubits.append(q)
        if q is None:
            return []
        circuit = QuantumCircuit(placement.device.num_qubits, 1, name="readout_probe")
        circuit.measure(q, 0)
        return [CoJob("attacker", (q,), circuit=circuit, label="readout_probe")]

    def on_result(self, job: QuantumJob, result: JobResult) -> None:
        """The probe's counts, one per circuit of the victim's job."""
        if not self.qubits or self.qubits[-1] is None or not result.counts:
            return
        gen = rng(self.seed, "probe", result.job_id)
        for sample in result.counts[0]:
            shots, ones = victim_bit_counts(sample, self.watched)
            hit = min(1.0, self.eps + self.coupling)
            read = int(gen.binomial(shots - ones, self.eps) + gen.binomial(ones, hit))
            self.counts.append({"0": shots - read, "1": read})


class CrosstalkLeakageParams(FrozenModel):
    """Parameters of :class:`CrosstalkLeakage`."""

    kappas: tuple[float, ...] = Field(default=(0.0, 0.02, 0.05, 0.1, 0.2))
    distances: tuple[int, ...] = Field(default=(1, 2, 3))
    xi: float = Field(default=1.0, gt=0)
    eps: float = Field(default=0.02, ge=0, le=0.5)
    watched_qubit: int = Field(default=0, ge=0)
    shots: int = Field(default=4000, ge=1)
    """Shots of the victim's jobs (the probe reads out in the same windows)."""
    pairs: int = Field(default=10, ge=1)
    device: str = "generic_grid_3x3"
    """Device the victim's jobs run on (the target's cloud when its pool has it); on a
    grid the victim's qubits keep free neighbours at distances 1-3."""
    noisy: bool = False


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

    def cloud(self) -> QuantumCloud:
        """The target's cloud when its pool has ``device``, else a fresh cloud on ``device``.

        Readout crosstalk needs free qubits near the victim's: on a line device (the
        default foothold's ``fake_manila``) the victim's end qubits have none at distance 1.
        """
        p, cloud = self.params, getattr(self.target, "cloud", None)
        if cloud is not None and p.device in [d.name for d in cloud.pool]:
            return cloud
        return provider_cloud(None, device=p.device, seed=self.seed,
                              noise_scale=1.0 if p.noisy else 0.0)  # fmt: skip

    def marginals(self, cloud: QuantumCloud, X: np.ndarray) -> tuple[list[float], Executed]:
        """``P(1)`` of the watched qubit in each executed circuit's final state, and the job."""
        p = self.params
        job = observe_queries(self.target.model, cloud, X, device=p.device, shots=p.shots,
                              seed=self.seed).jobs[0]  # fmt: skip
        n = len(job.layout)
        q = job.active.index(job.layout[min(p.watched_qubit, n - 1)])
        marg = [
            float(Statevector(c.remove_final_measurements(inplace=False)).probabilities([q])[1])
            for c in job.bound(compact=True)
        ]
        return marg, job

    def probe(
        self,
        cloud: QuantumCloud,
        X: np.ndarray,
        victim: Executed,
        distance: int,
        coupling: float,
        key: str,
    ) -> ReadoutProbe:
        """Run the victim's job on ``X`` with the probe beside it; the probe's hook.

        The probe is placed relative to where ``victim`` (an earlier executed job of the
        same model: the transpile cache gives later jobs the same layout) read out its
        watched qubit.
        """
        p = self.params
        endpoint = serve(self.target.model, cloud, device=p.device, shots=p.shots, seed=self.seed)
        watched = min(p.watched_qubit, len(victim.layout) - 1)
        known = getattr(self, "colocation_", None)
        avoid = victim.active if known is None else known.qubits
        hook = ReadoutProbe(distance, watched, victim.layout[watched], coupling, p.eps,
                            derive_seed(self.seed, key), avoid=avoid)  # fmt: skip
        with installed(cloud, hook):
            predict(endpoint, X, seed=self.seed)
        return hook

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        self.colocation_ = ctx.facts.get(Colocation)
        y = np.asarray(ctx.y_test)
        gen = rng(self.seed, "pairs")
        pairs = []
        for _ in range(p.pairs):
            a = int(gen.integers(len(y)))
            others = np.flatnonzero(y != y[a])
            pairs.append((a, int(gen.choice(others)) if len(others) else (a + 1) % len(y)))
        index = sorted({i for pair in pairs for i in pair})
        pos = {i: k for k, i in enumerate(index)}
        cloud = self.cloud()
        values, job = self.marginals(cloud, ctx.x_test[index])
        marg = dict(zip(index, values, strict=True))
        result = self.new_result()
        result.per_sample = {"secret_a": [a for a, _ in pairs], "secret_b": [b for _, b in pairs]}
        result.outputs["victim_qubits"] = list(job.active)
        step, total = 0, len(p.distances) * len(p.kappas)
        for d in p.distances:
            exact_curve = []
            for kappa in p.kappas:
                coupling = coupling_strength(kappa, d, p.xi)
                hook = self.probe(cloud, ctx.x_test[index], job, d, coupling, f"d{d}_k{kappa:g}")
                if hook.qubits[-1] is None:
                    result.notes.append(f"no free qubit at distance {d} from the victim")
                    break
                freq = [np.array([c["0"], c["1"]]) / max(1, c["0"] + c["1"]) for c in hook.counts]
                exact = [tvd(*self.leak(marg[a], marg[b], coupling)) for a, b in pairs]
                measured = [tvd(freq[pos[a]], freq[pos[b]]) for a, b in pairs]
                result.per_sample[f"advantage_d{d}_k{kappa:g}"] = exact
                result.metrics[f"advantage_d{d}_k{kappa:g}"] = float(np.mean(exact))
                result.metrics[f"measured_advantage_d{d}_k{kappa:g}"] = float(np.mean(measured))
                result.outputs[f"probe_qubit_d{d}"] = hook.qubits[-1]
                exact_curve.append(float(np.mean(exact)))
                step += 1
                ctx.report("crosstalk leakage", step, total)
            if exact_curve:
                result.curves[f"advantage_vs_kappa_d{d}"] = {"x": list(p.kappas), "y": exact_curve}
        leaked = any(v > 0 for k, v in result.metrics.items() if k.startswith("advantage_"))
        result.provides = ["know.victim_state", "goal.training_data_exposed"] if leaked else []
        if leaked:
            best = max(v for k, v in result.metrics.items() if k.startswith("advantage_"))
            result.facts[VictimState.id] = VictimState(tuple(job.active), float(best))
        return result
