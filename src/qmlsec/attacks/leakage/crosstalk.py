"""Vertical leakage: a concurrent tenant reads the victim's outcomes through readout crosstalk.

After Maurya et al. (readout-crosstalk information leakage, arXiv:2405.08962) and
Nico-Katz et al. (npj QI 2024, arXiv:2406.16861). Model: an attacker's probe qubit is
prepared in ``|0>`` and read out in the same readout window as the victim's qubits.
Readout crosstalk couples the assignment (confusion) matrices: in a shot where the
victim's qubits read the bits ``b``, the probe on physical qubit ``q`` reads 1 with
probability::

    P(1 | b) = eps + sum_i kappa(d(q, v_i)) * b_i,
    kappa(d) = kappa * exp(-(d - 1) / xi)  (0 beyond max_distance)

where ``v_i`` is the physical qubit the victim's logical qubit ``i`` is read out on and
``d`` the coupling-map distance. The probe's mean is affine in the victim's per-qubit
marginals; ``kappa = 0`` gives no leakage. The probes are
:class:`~qmlsec.cloud.tenancy.CoJob`\\ s the provider co-schedules beside each victim job
(:class:`ReadoutProbe`, a ``co_schedule`` hook); their counts come from the victim job's
own executed shots, and only those counts are the attacker's observation. The physics
uses the victim's *true* placement; *where the attacker senses* is its own choice:

* with a :class:`~qmlsec.attacks.facts.Colocation` fact (``recon.locality_fingerprint``
  or perfect knowledge), next to the qubits the fact names (sorted: which logical qubit
  sits where is not known);
* without it, next to a guessed region: a seeded random connected set of
  ``assumed_qubits`` qubits of the device (the attacker knows neither where the victim
  is nor how many qubits it uses). A probe far from the victim sees ``eps`` only.

Two measurements:

1. *Distinguishing* (``pairs`` pairs of the victim's test inputs of different classes,
   for each distance ``d`` and strength ``kappa``): one probe at distance ``d`` from the
   believed position of logical qubit ``watched_qubit``. The exact advantage is the TVD
   of the probe's outcome distributions, ``|sum_i c_i (P_a,i - P_b,i)|`` with the probe's
   true couplings ``c_i`` and the victim's exact per-qubit marginals in the circuits the
   cloud executed (scoring only); the measured one the TVD of the probe's counts.
2. *Training inputs* (``max_samples`` training inputs, strength ``training_kappa``): one
   probe beside each believed victim qubit while the victim's training forward jobs run
   (one circuit per training input, ``shots`` each). The attacker, which calibrated
   ``eps`` and ``kappa(d)`` on qubit pairs of its own, solves the probes' frequencies for
   the believed qubits' marginals (least squares over ``K[p, j] = kappa(d(p, q_j))``) and
   inverts the single-qubit angle map ``P(1) = sin^2(x / 2)`` of an X/Y angle encoding:
   ``x = 2 arcsin(sqrt(P(1)))`` per qubit, handed on as the
   :class:`~qmlsec.attacks.facts.TrainingInputs` fact (encoded space, rows in the order of
   ``ctx.x_train``, columns in the sorted order of the believed qubits). The inversion
   is exact for state-preparation readout of an X/Y angle encoding; on forward jobs the
   ansatz mixes the qubits, so the estimate is a class-bearing distortion of the inputs
   (a Z-rotation encoding puts the data in phases the readout does not see). Scored
   against the victim's true encoded inputs (``input_mae``, under the best matching of
   believed qubits to logical ones, next to ``prior_input_mae`` of the constant
   ``pi / 2`` guess) and the victim's own per-qubit readout frequencies
   (``marginal_mae``), both with bootstrap intervals over the training inputs.

Not covered: ZZ-crosstalk leakage during gates (:mod:`qmlsec.cloud.crosstalk`),
multi-qubit confusion matrices calibrated on a device, the attacker's own readout error
beyond the constant ``eps``, and an attacker that does not know ``kappa``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp, Statevector
from scipy.optimize import linear_sum_assignment

from qmlsec.attacks.access import installed, predict, provider_cloud, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import Colocation, TrainingInputs, VictimState
from qmlsec.attacks.inference.state_prep_theft import circuit_inputs
from qmlsec.attacks.leakage.base import LeakageAttack
from qmlsec.attacks.leakage.reset import tvd
from qmlsec.attacks.recon.executed import Executed, observe_queries
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.circuits.encoders import angle_encoding
from qmlsec.cloud.crosstalk import qubit_distances
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import JobResult, Placement, QuantumJob
from qmlsec.cloud.tenancy import CoJob
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.exceptions import ConfigError
from qmlsec.stats import bootstrap_mean


def coupling_strength(
    kappa: float, distance: float, xi: float = 1.0, max_distance: int = 3
) -> float:
    """Readout-crosstalk coupling ``kappa(d)``.

    Example:
        >>> coupling_strength(0.1, 1), round(coupling_strength(0.1, 2), 4), coupling_strength(0.1, 4)
        (0.1, 0.0368, 0.0)
    """
    if not 1 <= distance <= max_distance:
        return 0.0
    return float(kappa * math.exp(-(distance - 1) / xi))


def attacker_distribution(p_victim_one: float, eps: float, coupling: float) -> np.ndarray:
    """The attacker's ``[P(0), P(1)]`` given the victim's ``P(1)``."""
    p1 = min(1.0, eps + coupling * p_victim_one)
    return np.array([1 - p1, p1])


def device_distances(device: str) -> np.ndarray:
    """All-pairs coupling-map distances of ``device``."""
    dev = get_device(device)
    return qubit_distances([(int(a), int(b)) for a, b in dev.coupling_map], dev.num_qubits)


def probe_qubit(
    placement: Placement, physical: int, distance: int, avoid: tuple[int, ...] = ()
) -> int | None:
    """A free physical qubit ``distance`` hops from ``physical`` (the provider's grant)."""
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


def guessed_region(device: str, size: int, seed: int) -> tuple[int, ...]:
    """A seeded random connected set of ``size`` qubits of ``device`` (breadth first)."""
    dist = device_distances(device)
    n = len(dist)
    start = int(rng(seed, "guess").integers(n))
    order = sorted(range(n), key=lambda q: (dist[start, q], q))
    return tuple(sorted(order[: min(size, n)]))


def sensing_qubits(
    device: str, believed: Sequence[int], xi: float = 1.0, max_distance: int = 3
) -> list[int | None]:
    """One probe qubit per believed victim qubit: a neighbour outside ``believed`` with the
    least coupling to the other believed qubits (``None`` where there is no free one)."""
    dist = device_distances(device)
    chosen: list[int | None] = []
    for j in believed:
        others = [k for k in believed if k != j]
        free = [q for q in range(len(dist)) if q not in believed and q not in chosen]
        near = [q for q in free if dist[j, q] == 1] or [q for q in free if dist[j, q] == 2]
        if not near:
            chosen.append(None)
            continue
        cross = [sum(coupling_strength(1.0, dist[q, k], xi, max_distance) for k in others)
                 for q in near]  # fmt: skip
        chosen.append(near[int(np.argmin(cross))])
    return chosen


class ReadoutProbe(ProviderHook):
    """The attacker's probes, co-scheduled beside every victim job in its readout window.

    Each probe is either a fixed physical qubit (``fixed``) or, with ``anchor`` and
    ``distance``, the free qubit the provider grants at that distance from ``anchor``.
    ``co_schedule`` places a one-qubit ``|0>``-and-measure probe on each (none on a qubit
    the victim holds); ``on_result`` closes the shared readout window: per shot, each
    probe reads 1 with probability ``eps + sum_i kappa(d(probe, v_i)) b_i`` over the
    victim's bits ``b`` and true readout qubits ``v`` (the provider's placement).
    Only :attr:`counts` (the probes' own outcomes) is the attacker's observation;
    :attr:`couplings` and :attr:`victim_marginals` are kept for scoring.
    """

    def __init__(
        self,
        kappa: float,
        eps: float,
        seed: int,
        *,
        fixed: Sequence[int | None] = (),
        anchor: int | None = None,
        distance: int = 1,
        avoid: tuple[int, ...] = (),
        xi: float = 1.0,
        max_distance: int = 3,
    ) -> None:
        self.kappa, self.eps, self.seed, self.xi, self.max_distance = (
            kappa, eps, seed, xi, max_distance)  # fmt: skip
        self.fixed, self.anchor, self.distance, self.avoid = list(fixed), anchor, distance, avoid
        self.qubits: list[int | None] = []
        self.counts: list[list[dict[str, int]]] = []
        """Per probe, one ``{"0": n0, "1": n1}`` per circuit of the victim's jobs."""
        self.couplings = np.zeros((0, 0))
        self.victim_marginals: list[np.ndarray] = []

    def co_schedule(self, job: QuantumJob, placement: Placement) -> list[CoJob]:
        """The probes on their qubits (a qubit the victim holds gets none)."""
        if self.anchor is not None:
            wanted = [probe_qubit(placement, self.anchor, self.distance, self.avoid)]
        else:
            wanted = list(self.fixed)
        self.qubits = [q if q is not None and q not in placement.active else None for q in wanted]
        dev = placement.device
        dist = qubit_distances([(int(a), int(b)) for a, b in dev.coupling_map], dev.num_qubits)
        self.couplings = np.array([
            [0.0 if q is None else coupling_strength(self.kappa, dist[q, v], self.xi,
                                                     self.max_distance) for v in placement.layout]
            for q in self.qubits
        ]).reshape(len(self.qubits), len(placement.layout))  # fmt: skip
        if not self.counts:
            self.counts = [[] for _ in self.qubits]
        jobs = []
        for q in self.qubits:
            if q is None:
                continue
            circuit = QuantumCircuit(dev.num_qubits, 1, name="readout_probe")
            circuit.measure(q, 0)
            jobs.append(CoJob("attacker", (q,), circuit=circuit, label="readout_probe"))
        return jobs

    def on_result(self, job: QuantumJob, result: JobResult) -> None:
        """The probes' counts, one per circuit of the victim's job."""
        measured = result.measured_counts()  # the bits the device read (before any tail)
        if not self.qubits or not measured:
            return
        gen = rng(self.seed, "probe", result.job_id)
        n_logical = self.couplings.shape[1]
        for sample in measured[0]:
            keys = list(sample)
            bits = np.array([[int(k.replace(" ", "")[::-1][i]) for i in range(n_logical)]
                             for k in keys])  # fmt: skip
            shots = np.array([sample[k] for k in keys])
            self.victim_marginals.append(shots @ bits / max(1, shots.sum()))
            for p, q in enumerate(self.qubits):
                if q is None:
                    self.counts[p].append({"0": 0, "1": 0})
                    continue
                p1 = np.minimum(1.0, self.eps + bits @ self.couplings[p])
                read = int(sum(gen.binomial(n, pr) for n, pr in zip(shots, p1, strict=True)))
                self.counts[p].append({"0": int(shots.sum()) - read, "1": read})


class CrosstalkLeakageParams(FrozenModel):
    """Parameters of :class:`CrosstalkLeakage`."""

    kappas: tuple[float, ...] = Field(default=(0.0, 0.02, 0.05, 0.1, 0.2))
    distances: tuple[int, ...] = Field(default=(1, 2, 3))
    xi: float = Field(default=1.0, gt=0)
    eps: float = Field(default=0.02, ge=0, le=0.5)
    watched_qubit: int = Field(default=0, ge=0)
    shots: int = Field(default=4000, ge=1)
    """Shots of the victim's jobs (the probes read out in the same windows)."""
    pairs: int = Field(default=10, ge=1)
    device: str = "generic_grid_3x3"
    """Device the victim's jobs run on (the target's cloud when its pool has it); on a
    grid the victim's qubits keep free neighbours at distances 1-3."""
    noisy: bool = False
    training_kappa: float = Field(default=0.2, ge=0, le=1)
    """Readout-crosstalk strength at distance 1 during the training-input leak."""
    max_samples: int = Field(default=40, ge=0)
    """Training inputs whose forward jobs are sensed (0: no training-input leak)."""
    assumed_qubits: int = Field(default=4, ge=1)
    """Victim qubits the attacker assumes without a Colocation fact."""
    jobs: Literal["forward", "state_prep"] = "forward"
    """The victim's training jobs sensed: ``forward`` (the QNN on each training input)
    or ``state_prep`` (the angle-encoding circuit of each input, measured: the
    state-preparation jobs of a training step)."""


class CrosstalkLeakage(LeakageAttack):
    """Concurrent tenant infers the victim's outcomes from readout crosstalk (QML.T0023.001)."""

    name: ClassVar[str] = "leakage.crosstalk"
    technique_id: ClassVar[str] = "QML.T0023.001"
    requires = frozenset({Capability.CO_TENANCY})
    positions = frozenset({Position.CO_TENANT})
    Params = CrosstalkLeakageParams
    check_params: ClassVar[dict] = {"kappas": (0.0, 0.1), "distances": (1,), "pairs": 3,
                                    "max_samples": 6, "shots": 1000}  # fmt: skip

    def leak(self, p_a: float, p_b: float, coupling: float) -> tuple[np.ndarray, np.ndarray]:
        """The attacker's outcome distributions under two victim marginals (one coupling)."""
        eps = self.params.eps
        return attacker_distribution(p_a, eps, coupling), attacker_distribution(p_b, eps, coupling)

    def window_coupling(self, kappa: float) -> float:
        """The coupling at distance 1 the shared readout window gives a probe: what
        :meth:`leak` makes of a victim bit flipping from 0 to 1 (a defence that keeps the
        jobs out of one window overrides :meth:`leak`, and this falls to 0)."""
        low, high = self.leak(0.0, 1.0, kappa)
        return float(high[1] - low[1])

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

    def believed(self, ctx: AttackContext) -> tuple[int, ...]:
        """The qubits the attacker believes the victim uses (the fact, else a guess)."""
        known = ctx.facts.get(Colocation)
        self.colocation_ = known
        if known is not None:
            if known.device != self.params.device:
                self.notes_.append(f"the Colocation fact is about {known.device}; the victim's "
                                   f"jobs run on {self.params.device}")  # fmt: skip
            return tuple(sorted(int(q) for q in known.qubits))
        return guessed_region(self.params.device, self.params.assumed_qubits, self.seed)

    def marginals(self, cloud: QuantumCloud, X: np.ndarray) -> tuple[np.ndarray, Executed]:
        """Exact per-logical-qubit ``P(1)`` in each executed circuit ``(N, n)``, and the job
        (the provider's record of what ran: scoring only)."""
        p = self.params
        job = observe_queries(self.target.model, cloud, X, device=p.device, shots=p.shots,
                              seed=self.seed).jobs[0]  # fmt: skip
        columns = [job.active.index(v) for v in job.layout]
        rows = []
        for c in job.bound(compact=True):
            state = Statevector(c.remove_final_measurements(inplace=False))
            rows.append([float(state.probabilities([q])[1]) for q in columns])
        return np.array(rows), job

    def probe(
        self,
        cloud: QuantumCloud,
        X: np.ndarray,
        victim: Executed,
        distance: int,
        coupling: float,
        key: str,
    ) -> ReadoutProbe:
        """Run the victim's job on ``X`` with one probe at ``distance`` from the believed
        position of the watched qubit; ``coupling`` is the strength ``kappa`` at distance 1.
        ``victim`` (an earlier executed job of the same model) only sets the watched index."""
        p = self.params
        believed = getattr(self, "believed_", None) or tuple(victim.active)
        anchor = believed[min(p.watched_qubit, len(believed) - 1)]
        hook = ReadoutProbe(coupling, p.eps, derive_seed(self.seed, key), anchor=anchor,
                            distance=distance, avoid=believed, xi=p.xi)  # fmt: skip
        self._run_victim(cloud, X, hook)
        return hook

    def _run_victim(self, cloud: QuantumCloud, X: np.ndarray, hook: ReadoutProbe) -> None:
        p = self.params
        endpoint = serve(self.target.model, cloud, device=p.device, shots=p.shots, seed=self.seed)
        with installed(cloud, hook):
            predict(endpoint, X, seed=self.seed)

    def _run_state_prep(self, cloud: QuantumCloud, X: np.ndarray, hook: ReadoutProbe) -> None:
        """The victim's state-preparation jobs: its angle encoding of each input, measured."""
        p, model = self.params, self.target.model
        spec = model.model_.spec
        if spec.encoding != "angle":
            raise ConfigError(
                f"jobs='state_prep' models angle-encoding state preparation, not {spec.encoding!r}",
                hint="use jobs='forward'",
            )
        values = circuit_inputs(model, X)
        circuit = angle_encoding(spec.n_qubits, list(ParameterVector("x", values.shape[1])),
                                 spec.rotation)  # fmt: skip
        observables = tuple(
            SparsePauliOp("I" * (spec.n_qubits - 1 - i) + "Z" + "I" * i)
            for i in range(spec.n_qubits)
        )
        job = QuantumJob("victim", circuit, values, observables, shots=p.shots,
                         requested_device=p.device, purpose="state_prep",
                         seed=derive_seed(self.seed, "state_prep"))  # fmt: skip
        with installed(cloud, hook):
            cloud.submit(job)

    def sense_training(
        self, cloud: QuantumCloud, X: np.ndarray, believed: tuple[int, ...]
    ) -> tuple[np.ndarray, ReadoutProbe]:
        """The believed qubits' marginals ``(N, len(believed))`` estimated from the probes
        beside the victim's forward jobs on ``X``, and the probes' hook."""
        p = self.params
        probes = sensing_qubits(p.device, believed, p.xi)
        kappa = self.window_coupling(p.training_kappa)
        hook = ReadoutProbe(kappa, p.eps, derive_seed(self.seed, "training"),
                            fixed=probes, xi=p.xi)  # fmt: skip
        if p.jobs == "state_prep":
            self._run_state_prep(cloud, X, hook)
        else:
            self._run_victim(cloud, X, hook)
        dist = device_distances(p.device)
        ran = [(i, q) for i, q in enumerate(hook.qubits) if q is not None]
        K = np.array([[coupling_strength(p.training_kappa, float(dist[q, j]), p.xi)
                       for j in believed] for _, q in ran]).reshape(len(ran), len(believed))  # fmt: skip
        freq = np.array([[c["1"] / max(1, c["0"] + c["1"]) for c in hook.counts[i]]
                         for i, _ in ran]).reshape(len(ran), len(X))  # fmt: skip
        if not ran or not np.any(K):
            return np.full((len(X), len(believed)), 0.5), hook
        est, *_ = np.linalg.lstsq(K, freq - p.eps, rcond=None)
        return np.clip(est.T, 0.0, 1.0), hook

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        self.notes_: list[str] = []
        self.believed_ = believed = self.believed(ctx)
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
        marg = {i: values[k] for k, i in enumerate(index)}
        result = self.new_result()
        result.per_sample = {"secret_a": [a for a, _ in pairs], "secret_b": [b for _, b in pairs]}
        result.outputs["victim_qubits"] = list(job.active)
        result.outputs["believed_qubits"] = list(believed)
        result.metrics["colocation_from_fact"] = float(self.colocation_ is not None)
        result.notes.append(
            f"sensing beside qubits {list(believed)} of {p.device} ("
            + (
                "from the Colocation fact"
                if self.colocation_ is not None
                else f"guessed: no Colocation fact, {p.assumed_qubits} qubits assumed"
            )  # fmt: skip
            + ")"
        )
        result.notes.extend(self.notes_)
        step, total = 0, len(p.distances) * len(p.kappas) + (1 if p.max_samples else 0)
        for d in p.distances:
            exact_curve = []
            for kappa in p.kappas:
                hook = self.probe(cloud, ctx.x_test[index], job, d, kappa, f"d{d}_k{kappa:g}")
                if hook.qubits[-1] is None:
                    result.notes.append(f"no free qubit at distance {d} from the believed qubit")
                    break
                c = hook.couplings[0]
                freq = [
                    np.array([n["0"], n["1"]]) / max(1, n["0"] + n["1"]) for n in hook.counts[0]
                ]
                exact_adv = [abs(float(c @ (marg[a] - marg[b]))) for a, b in pairs]
                measured = [tvd(freq[pos[a]], freq[pos[b]]) for a, b in pairs]
                result.per_sample[f"advantage_d{d}_k{kappa:g}"] = exact_adv
                result.metrics[f"advantage_d{d}_k{kappa:g}"] = float(np.mean(exact_adv))
                result.metrics[f"measured_advantage_d{d}_k{kappa:g}"] = float(np.mean(measured))
                result.outputs[f"probe_qubit_d{d}"] = hook.qubits[-1]
                exact_curve.append(float(np.mean(exact_adv)))
                step += 1
                ctx.report("crosstalk leakage", step, total)
            if exact_curve:
                result.curves[f"advantage_vs_kappa_d{d}"] = {"x": list(p.kappas), "y": exact_curve}
        advantages = [v for k, v in result.metrics.items() if k.startswith("advantage_")]
        result.provides = []
        if advantages and max(advantages) > 0:
            result.establish(VictimState(tuple(believed), float(max(advantages))))
        if p.max_samples and ctx.x_train is not None:
            self._leak_training(ctx, cloud, believed, result)
            ctx.report("crosstalk leakage", total, total)
        return result

    def _leak_training(
        self, ctx: AttackContext, cloud: QuantumCloud, believed: tuple[int, ...],
        result: AttackResult,
    ) -> None:  # fmt: skip
        """Estimate the encoded training inputs from the probes beside the training jobs."""
        p = self.params
        X = np.asarray(ctx.x_train, dtype=float)[: p.max_samples]
        est, hook = self.sense_training(cloud, X, believed)
        x_hat = 2.0 * np.arcsin(np.sqrt(est))
        result.outputs.update({"training_probes": list(hook.qubits), "leaked_marginals": est})
        result.metrics["training_probes_run"] = float(sum(q is not None for q in hook.qubits))
        # scoring: the victim's true encoded inputs and readout; believed qubits are matched
        # to logical ones by the assignment that best fits the victim's readout (the attacker
        # does not know the order; a guess is scored as favourably as it can be)
        truth = circuit_inputs(self.target.model, X)
        observed = np.array(hook.victim_marginals[-len(X) :])
        n_in = min(truth.shape[1], observed.shape[1])  # angle encoding: input i on qubit i
        cost = np.array([[np.mean(np.abs(est[:, j] - observed[:, i])) for i in range(n_in)]
                         for j in range(est.shape[1])])  # fmt: skip
        rows, cols = linear_sum_assignment(cost)
        row_err = np.mean(np.abs(x_hat[:, rows] - truth[:, cols]), axis=1)
        prior_err = np.mean(np.abs(np.pi / 2 - truth[:, cols]), axis=1)
        marg_err = np.mean(np.abs(est[:, rows] - observed[:, cols]), axis=1)
        seed = derive_seed(self.seed, "training", "ci")
        for name, series in (("input_mae", row_err), ("prior_input_mae", prior_err),
                             ("marginal_mae", marg_err)):  # fmt: skip
            result.metrics[name] = float(series.mean())
            result.intervals[name] = bootstrap_mean(series, seed=seed)
        result.metrics["leaked_samples"] = float(len(X))
        result.establish(TrainingInputs(x_hat, space="encoded"))
        result.notes.append(
            f"training inputs: {len(X)} {p.jobs} jobs sensed by probes {hook.qubits}; "
            "x = 2 arcsin(sqrt(P(1))) per believed qubit"
        )
