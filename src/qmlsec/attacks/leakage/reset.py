"""Horizontal leakage: the next tenant reads the victim's residue through an imperfect reset.

After Mi, Deng and Szefer, "Securing Reset Operations in NISQ Quantum Computers"
(CCS 2022, doi:10.1145/3548606.3559380) and Xu, Sikora and Szefer (HOST 2024,
arXiv:2401.15529), who model the reset as a quantum channel acting on the victim's final
state. Model (per qubit, independent), with residual population ``r`` and retained
coherence ``c``::

    R(rho) = (1 - r) |0><0| + r (diag(rho) + c offdiag(rho))

Kraus operators ``sqrt(1-r)|0><0|``, ``sqrt(1-r)|0><1|``, ``sqrt(r(1+c)/2) I`` and
``sqrt(r(1-c)/2) Z``. ``channel="incoherent"`` (``c = 0``, the default) keeps only the
victim's populations, the measure-and-flip reset of Mi et al.; ``channel="coherent"``
(``c = coherence``, 1 unless given) also keeps the off-diagonal part, a partial
unconditional reset that shrinks the state towards ``|0⟩`` without dephasing it, the
coherent residual Xu, Sikora and Szefer discuss for reset pulses. The attacker,
scheduled next on the same physical qubits, measures every qubit in ``basis`` (``Z``
by default; ``X`` or ``Y`` read the retained coherence) with ``shots`` shots. Its *distinguishing advantage* between two
victim secrets is the total-variation distance between its outcome distributions
(exact, and estimated from the seeded shots). For a one-qubit victim that leaves
``|0>`` or ``|1>`` the exact advantage is ``r``; at ``r = 0`` it is 0.

In ``_run`` the secrets are pairs of the victim QNN's inputs (from different classes).
The victim's model is served through its :class:`~qmlsec.cloud.providers.QuantumCloud`
and queried on those inputs: one real provider job (transpiled, queued, priced,
recorded). The hardware's memory of that job is modelled by an observing hook
(:class:`~qmlsec.attacks.recon.executed.ExecutedJobs`): the bound, transpiled circuits
the cloud executed give the final state on the physical qubits the job used (active
qubits of its transpile report), dephased by the victim's own final measurement unless
``victim_measures=False`` (an unmeasured or mid-circuit-reset residue, the case where
the coherent channel and the X/Y bases matter). The reset channel acts there, and the attacker, scheduled
next on those physical qubits (``SEQUENTIAL_TENANCY``), reads the residue with seeded
shots. A ``transform_circuit`` change by the provider is therefore in what it reads.

Not covered: reset by repeated measurement-and-flip with readout error, leakage to
non-computational levels, device noise in the victim's final state (the executed
circuit is simulated noiselessly), one residue per circuit of the job (the next tenant
on a real device sees only the last one), the one-time-pad defences (a defence module,
:mod:`qmlsec.defenses.provider.reset_otp`). Besides the victim pairs, the result gives
the advantage between ``|0⟩`` and ``|1⟩`` (``basis_state_advantage_r*``) and between
``|+⟩`` and ``|−⟩`` (``plus_minus_advantage_r*``) for each residual.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix, Kraus, Statevector

from qmlsec.attacks.access import provider_cloud
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import VictimState
from qmlsec.attacks.leakage.base import LeakageAttack
from qmlsec.attacks.recon.executed import Executed, observe_queries
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, rng
from qmlsec.exceptions import ConfigError

Basis = Literal["Z", "X", "Y"]


def reset_channel(r: float, c: float = 0.0) -> Kraus:
    """The imperfect-reset channel of residual population ``r`` and coherence ``c``.

    Example:
        >>> rho = reset_residue(DensityMatrix.from_label("1"), 0.2)
        >>> [round(float(p), 3) for p in rho.probabilities()]
        [0.8, 0.2]
    """
    k0 = np.sqrt(1 - r) * np.array([[1, 0], [0, 0]], dtype=complex)
    k1 = np.sqrt(1 - r) * np.array([[0, 1], [0, 0]], dtype=complex)
    k2 = np.sqrt(r * (1 + c) / 2) * np.eye(2, dtype=complex)
    k3 = np.sqrt(r * (1 - c) / 2) * np.diag([1, -1]).astype(complex)
    return Kraus([k0, k1, k2, k3])


def reset_residue(rho: DensityMatrix, r: float, c: float = 0.0) -> DensityMatrix:
    """The state the next tenant finds after resetting every qubit of ``rho``."""
    channel = reset_channel(r, c)
    out = rho
    for q in range(rho.num_qubits):
        out = out.evolve(channel, qargs=[q])
    return out


def in_basis(rho: DensityMatrix, basis: str) -> np.ndarray:
    """Outcome probabilities of measuring every qubit of ``rho`` in ``basis`` (Z, X, Y).

    Example:
        >>> plus = DensityMatrix.from_label("+")
        >>> [round(float(p), 3) for p in in_basis(plus, "X")], in_basis(plus, "Z").round(3).tolist()
        ([1.0, 0.0], [0.5, 0.5])
    """
    if basis == "Z":
        return np.asarray(rho.probabilities())
    rotate = QuantumCircuit(rho.num_qubits)
    for q in range(rho.num_qubits):
        if basis == "Y":
            rotate.sdg(q)
        rotate.h(q)
    return np.asarray(rho.evolve(rotate).probabilities())


def tvd(p: np.ndarray, q: np.ndarray) -> float:
    """Total-variation distance of two distributions."""
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


def empirical(p: np.ndarray, shots: int, gen: np.random.Generator) -> np.ndarray:
    """Frequencies of ``shots`` draws from ``p``."""
    p = np.clip(np.real(p), 0, None)
    return gen.multinomial(shots, p / p.sum()) / shots


class ResetLeakageParams(FrozenModel):
    """Parameters of :class:`ResetLeakage`."""

    residuals: tuple[float, ...] = Field(default=(0.0, 0.01, 0.05, 0.1, 0.2, 0.5))
    channel: Literal["incoherent", "coherent"] | None = None
    """``incoherent``: populations only (c = 0); ``coherent``: coherence ``c`` kept
    (default: inferred, coherent exactly when ``coherence > 0``)."""
    coherence: float | None = Field(default=None, ge=0, le=1)
    """Retained coherence ``c`` of the coherent channel (default 1; 0 when incoherent)."""
    basis: Basis = "Z"
    """The attacker's measurement basis on every qubit."""
    shots: tuple[int, ...] = Field(default=(100, 1000, 10000))
    pairs: int = Field(default=10, ge=1)
    victim_measures: bool = True
    device: str | None = None
    """Device the victim's jobs run on (default: the cloud's first device)."""
    victim_shots: int = Field(default=256, ge=1)
    """Shots of the victim's own inference job."""

    @model_validator(mode="after")
    def _channel_and_coherence(self) -> ResetLeakageParams:
        if self.channel == "incoherent" and self.coherence:
            raise ConfigError(
                f"an incoherent reset keeps no coherence, got coherence={self.coherence}",
                hint="use channel: coherent, or drop coherence",
            )
        return self

    @property
    def retained_coherence(self) -> float:
        """The channel's ``c``."""
        if self.channel == "incoherent":
            return 0.0
        if self.channel == "coherent":
            return 1.0 if self.coherence is None else float(self.coherence)
        return float(self.coherence or 0.0)


class ResetLeakage(LeakageAttack):
    """Next tenant distinguishes the victim's final states through reset residue (QML.T0023.000)."""

    name: ClassVar[str] = "leakage.reset"
    technique_id: ClassVar[str] = "QML.T0023.000"
    requires = frozenset({Capability.SEQUENTIAL_TENANCY})
    positions = frozenset({Position.CO_TENANT})
    Params = ResetLeakageParams
    check_params: ClassVar[dict] = {"residuals": (0.0, 0.2), "shots": (100,), "pairs": 3}

    def leak(
        self, state_a: DensityMatrix, state_b: DensityMatrix, r: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """The attacker's outcome distributions (in ``basis``) after the victim's two secrets."""
        c, basis = self.params.retained_coherence, self.params.basis
        return (
            in_basis(reset_residue(state_a, r, c), basis),
            in_basis(reset_residue(state_b, r, c), basis),
        )

    def reference_advantages(self, r: float, pad: object = None) -> dict[str, float]:
        """Advantages between |0⟩/|1⟩ and between |+⟩/|−⟩ (after ``pad`` when given)."""
        out = {}
        for key, (a, b) in (("basis_state", ("0", "1")), ("plus_minus", ("+", "-"))):
            rho_a, rho_b = DensityMatrix.from_label(a), DensityMatrix.from_label(b)
            if pad is not None:
                rho_a, rho_b = pad(rho_a), pad(rho_b)  # type: ignore[operator]
            out[f"{key}_advantage_r{r:g}"] = tvd(*self.leak(rho_a, rho_b, r))
        return out

    def victim_jobs(self, X: np.ndarray) -> list[Executed]:
        """Serve the victim on its cloud, query ``X`` (one job), return what was executed."""
        p = self.params
        cloud = provider_cloud(self.target, device=p.device, trust="honest-but-curious",
                               seed=self.seed, noise_scale=0.0)  # fmt: skip
        return observe_queries(self.target.model, cloud, X, device=p.device,
                               shots=p.victim_shots, seed=self.seed).jobs  # fmt: skip

    def final_states(self, jobs: list[Executed]) -> list[DensityMatrix]:
        """Final states of the executed circuits on their active physical qubits."""
        states = []
        for job in jobs:
            for qc in job.bound(compact=True):
                rho = DensityMatrix(Statevector(qc.remove_final_measurements(inplace=False)))
                if self.params.victim_measures:
                    rho = DensityMatrix(np.diag(np.diag(rho.data)))
                states.append(rho)
        return states

    def secret_pairs(self, y: np.ndarray) -> list[tuple[int, int]]:
        """``pairs`` pairs of test indices from different classes (the two secrets)."""
        gen = rng(self.seed, "pairs")
        out = []
        for _ in range(self.params.pairs):
            a = int(gen.integers(len(y)))
            others = np.flatnonzero(y != y[a])
            b = int(gen.choice(others)) if len(others) else (a + 1) % len(y)
            out.append((a, b))
        return out

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        pairs = self.secret_pairs(np.asarray(ctx.y_test))
        index = sorted({i for pair in pairs for i in pair})
        jobs = self.victim_jobs(ctx.x_test[index])
        states = dict(zip(index, self.final_states(jobs), strict=True))
        result = self.new_result()
        result.outputs["victim_jobs"] = [j.result.job_id for j in jobs]
        result.outputs["physical_qubits"] = [list(j.active) for j in jobs]
        result.per_sample = {"secret_a": [a for a, _ in pairs], "secret_b": [b for _, b in pairs]}
        for i, r in enumerate(p.residuals):
            exact: list[float] = []
            est: dict[int, list[float]] = {s: [] for s in p.shots}
            for k, (a, b) in enumerate(pairs):
                pa, pb = self.leak(states[a], states[b], r)
                exact.append(tvd(pa, pb))
                for s in p.shots:
                    gen = rng(self.seed, "shots", i, k, s)
                    est[s].append(tvd(empirical(pa, s, gen), empirical(pb, s, gen)))
            result.per_sample[f"advantage_r{r:g}"] = exact
            result.metrics[f"advantage_r{r:g}"] = float(np.mean(exact))
            for s in p.shots:
                result.metrics[f"measured_advantage_r{r:g}_shots{s}"] = float(np.mean(est[s]))
            ctx.report("reset leakage", i + 1, len(p.residuals))
        result.curves["advantage_vs_residual"] = {
            "x": list(p.residuals),
            "y": [result.metrics[f"advantage_r{r:g}"] for r in p.residuals],
        }
        for r in p.residuals:
            result.metrics.update(self.reference_advantages(r))
        result.notes.append(
            f"reset channel {'coherent' if p.retained_coherence else 'incoherent'} "
            f"(c = {p.retained_coherence:g}), attacker measures in the {p.basis} basis"
        )
        leaked = any(v > 0 for k, v in result.metrics.items() if k.startswith("advantage_r"))
        result.provides = ["know.victim_state", "goal.training_data_exposed"] if leaked else []
        if leaked:
            best = max(v for k, v in result.metrics.items() if k.startswith("advantage_r"))
            qubits = tuple(sorted({int(q) for j in jobs for q in j.active}))
            result.facts[VictimState.id] = VictimState(qubits, float(best))
        return result
