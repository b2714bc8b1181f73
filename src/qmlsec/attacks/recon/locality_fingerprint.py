"""Locality fingerprinting: a co-tenant finds the victim's physical qubits through crosstalk.

After Mi, Deng and Szefer, "Short Paper: Device- and Locality-Specific Fingerprinting of
Shared NISQ Quantum Computers" (arXiv:2202.12731: 95.3% locality accuracy
from crosstalk-induced errors). The attacker scans the device while the victim's
endpoint jobs run: for every physical qubit ``q`` it submits a *sensor probe* pinned to
``q`` (a one-qubit circuit with an ``initial_layout`` request for ``q``, which the
attacker checks in its own job's layout). The sensor is
``cycles`` rounds of ``(SX, RZ(pi/2))^3``, the identity, whose composite rotation axis
has a ``Z`` component, so a ``ZZ`` crosstalk phase of ``s`` per gate builds up to a
rotation of ~``sqrt(3) * cycles * s`` and flips the sensor to ``|1>`` (depolarising
crosstalk flips it as well); ``X`` echoes would cancel a static phase.

The provider co-schedules each probe beside the victim's running job (:class:`CoRunHook`,
the scheduler, which the attacker cannot read) under the rule of
:func:`~qmlsec.cloud.tenancy.concurrent_with`: a probe on a qubit the victim holds waits
for it and runs alone. The victim's job is then a crosstalk aggressor for the probe
(:class:`~qmlsec.cloud.crosstalk.CrosstalkContributor` at each of ``strengths``). From
counts only (a sensor job has ``repeats`` rows; its reading is their median, robust to
one corrupted row), the attacker computes each sensor's deviation from its idle
baseline (its own probes with no victim running) and its binomial variance, and scores
every connected region ``R`` of at most ``max_region`` qubits by the weighted
least-squares fit of a template (:mod:`qmlsec.attacks.recon.regions`): zero on ``R``
(those probes did not run beside the victim), a non-increasing, non-negative amplitude
per coupling-map distance ``1..max_distance`` from ``R``, zero beyond. The best-fitting
region is the estimate; its fit gain (in squared noise units) is the detection
statistic, and a colocation is only claimed when it exceeds ``min_detection``.

Measured per strength: mean Jaccard index and exact-match rate of the estimate against
the victim's true active qubits over ``trials``, against chance (the mean over all
candidate regions, and one over their count). The :class:`~qmlsec.attacks.facts.Colocation`
fact is the modal
estimate at the largest strength; ``provides know.colocation`` when it is detected and
overlaps the truth with Jaccard >= 0.5.

The probes run on the :class:`~qmlsec.attacks.facts.KnownDevice` when a fingerprinting
stage identified one
(``recon.fingerprint``; ``device_from_fingerprint`` = 1), else on the victim's device
(the attacker is then assumed to know it). Probes on another device than the victim's
see no crosstalk from it, and the estimate scores 0.

Not covered: calibrating the crosstalk decay (the template is non-parametric in the
amplitude but assumes crosstalk falls with coupling distance), victims whose circuit
has no two-qubit gate (no aggressor: nothing to sense), simultaneity finer than whole
jobs, and the queueing side channel a probe waiting for a busy qubit opens.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.access import device_of, installed, provider_cloud, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import Colocation, KnownDevice
from qmlsec.attacks.recon.base import ReconAttack
from qmlsec.attacks.recon.regions import connected_regions, jaccard, locate
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.backends.measurement import bit_marginals
from qmlsec.cloud.crosstalk import CrosstalkContributor, CrosstalkModel, qubit_distances
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import Placement, QuantumJob
from qmlsec.cloud.tenancy import CoJob, concurrent_with
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.exceptions import ConfigError

TENANT = "locality-prober"
VARIANCE_FLOOR = 0.01


def sensor_probe(qubit: int, cycles: int = 4) -> QuantumCircuit:
    """The one-qubit sensor, requested on physical ``qubit`` (identity; barriers stop
    gate merging). The layout request travels in the circuit's metadata, as a tenant
    asks a provider for ``initial_layout``."""
    qc = QuantumCircuit(1, name=f"sensor_{qubit}", metadata={"initial_layout": [qubit]})
    for _ in range(3 * cycles):
        qc.sx(0)
        qc.barrier(0)
        qc.rz(np.pi / 2, 0)
        qc.barrier(0)
    return qc


class CoRunHook(ProviderHook):
    """``co_schedule``: the provider runs the attacker's probes beside the victim's job.

    A job of any other tenant is the victim's: it is recorded as the running job (its
    active qubits, its circuit). Each probe of ``tenant`` gets it as a co-job when their
    qubits are disjoint (:func:`~qmlsec.cloud.tenancy.concurrent_with`), else runs alone.
    The probe's qubits are those its gates touch. The attacker never reads this hook.
    """

    def __init__(self, tenant: str = TENANT) -> None:
        self.tenant = tenant
        self.running: list[CoJob] = []

    @property
    def victim_qubits(self) -> tuple[int, ...]:
        """Active qubits of the victim's last job (ground truth)."""
        return tuple(self.running[-1].qubits) if self.running else ()

    def co_schedule(self, job: QuantumJob, placement: Placement) -> list[CoJob]:
        """The victim's running job for a probe on free qubits; records victim jobs."""
        if job.tenant != self.tenant:
            self.running = [
                CoJob(job.tenant, placement.active, circuit=job.circuit, label="victim")
            ]
            return []
        circ = job.circuit
        touched = {circ.find_bit(q).index for inst in circ.data for q in inst.qubits
                   if inst.operation.name != "barrier"}  # fmt: skip
        return concurrent_with({placement.layout[i] for i in touched}, self.running)


class LocalityParams(FrozenModel):
    """Parameters of :class:`LocalityFingerprint`."""

    device: str | None = None
    """The victim's device (default: the provider's first device)."""
    strengths: tuple[float, ...] = Field(default=(0.0, 0.05, 0.1, 0.2, 0.4))
    xi: float = Field(default=1.0, gt=0)
    max_distance: int = Field(default=3, ge=1)
    kind: Literal["zz", "depolarizing"] = "zz"
    shots: int = Field(default=400, ge=1)
    """Shots per sensor row (and per victim query)."""
    trials: int = Field(default=2, ge=1)
    baseline_runs: int = Field(default=2, ge=1)
    repeats: int = Field(default=3, ge=1)
    """Rows per sensor job; the reading is their median (robust to a corrupted row)."""
    cycles: int = Field(default=4, ge=1)
    """Sensor length; the ``zz`` response grows with the strength up to ~pi/(sqrt(3) cycles)."""
    max_region: int = Field(default=14, ge=1)
    """Largest candidate region (the victim's active qubits must fit)."""
    min_detection: float = Field(default=30.0, ge=0)
    """Fit gain (in squared shot-noise units) below which no colocation is claimed."""
    victim_samples: int = Field(default=4, ge=1)


class LocalityFingerprint(ReconAttack):
    """Co-tenant locates the victim's qubits from crosstalk on its probes (QML.T0001.000)."""

    name: ClassVar[str] = "recon.locality_fingerprint"
    technique_id: ClassVar[str] = "QML.T0001.000"
    requires = frozenset({Capability.CO_TENANCY})
    positions = frozenset({Position.CO_TENANT})
    Params = LocalityParams
    check_params: ClassVar[dict] = {
        "strengths": (0.0, 0.3), "trials": 1, "baseline_runs": 1, "shots": 500,
        "victim_samples": 2,
    }  # fmt: skip

    def scan(self, cloud: object, device: str, seed: int) -> dict[int, float]:
        """One scan: median ``P(1)`` of the sensor on every qubit of ``device`` (counts)."""
        p = self.params
        readings: dict[int, list[float]] = {}
        for q in range(get_device(device).num_qubits):
            job = QuantumJob(TENANT, sensor_probe(q, p.cycles), np.zeros((p.repeats, 0)),
                             shots=p.shots, requested_device=device, purpose="locality_probe",
                             submitter="co_tenant", submitter_trust="malicious",
                             seed=derive_seed(seed, q))  # fmt: skip
            res = cloud.submit(job)  # type: ignore[attr-defined]
            self.shots_ += res.circuits * p.shots
            phys = res.transpile.final_layout[0] if res.transpile else q
            rows = [bit_marginals(c, 1)[0] for c in res.counts[0]]
            readings.setdefault(phys, []).append(float(np.median(rows)))
        return {q: float(np.mean(v)) for q, v in readings.items()}

    def cloud(self, strength: float, device: str) -> QuantumCloud:
        """The provider on ``device`` whose executions carry crosstalk of ``strength``."""
        p = self.params
        model = CrosstalkModel(strength=strength, xi=p.xi, max_distance=p.max_distance, kind=p.kind)
        contributor = CrosstalkContributor(model, get_device(device).coupling_map)
        return provider_cloud(self.target, device=device, seed=self.seed, noise_scale=1.0,
                              contributors=[contributor])  # fmt: skip

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        if getattr(self.target, "model", None) is None:
            raise ConfigError("locality fingerprinting needs the victim served on the cloud",
                              hint="give the target the victim model (it runs its endpoint jobs)")  # fmt: skip
        victim_device = device_of(provider_cloud(self.target, device=p.device, seed=self.seed),
                                  p.device)  # fmt: skip
        known = ctx.facts.get(KnownDevice)
        probe_device = victim_device if known is None else known.device
        dev = get_device(probe_device)
        edges = [(int(a), int(b)) for a, b in dev.coupling_map]
        dist = qubit_distances(edges, dev.num_qubits)
        regions = connected_regions(edges, dev.num_qubits, p.max_region)
        self.shots_ = 0
        base_runs = [self.scan(self.cloud(0.0, probe_device), probe_device,
                                 derive_seed(self.seed, "baseline", r)) for r in range(p.baseline_runs)]  # fmt: skip
        base = np.array([[run.get(q, np.nan) for q in range(dev.num_qubits)] for run in base_runs])
        base = np.nanmedian(base, axis=0)
        # binomial variance of a median of `repeats` rows (x pi/2), floored at P = 1%
        rate = np.clip(base, VARIANCE_FLOOR, 1 - VARIANCE_FLOOR)
        var = rate * (1 - rate) / (p.shots * p.repeats) * np.pi / 2
        sigma = np.sqrt(var * (1 + 1 / p.baseline_runs))
        X = ctx.x_test[: p.victim_samples]
        result = self.new_result()
        rows: dict[str, list] = {
            k: [] for k in ("strength", "trial", "estimate", "truth", "jaccard")
        }
        estimates: dict[float, list[tuple[tuple[int, ...], float]]] = {}
        for i, s in enumerate(p.strengths):
            cloud = self.cloud(s, victim_device)
            probes = cloud if probe_device == victim_device else self.cloud(s, probe_device)
            endpoint = serve(self.target.model, cloud, device=victim_device, shots=p.shots,
                             seed=self.seed)  # fmt: skip
            hook = CoRunHook()
            with installed(cloud, hook):
                for t in range(p.trials):
                    endpoint.query(
                        X, output="expectations", seed=derive_seed(self.seed, "victim", t)
                    )
                    scan = self.scan(probes, probe_device, derive_seed(self.seed, "scan", s, t))
                    obs = np.array([scan.get(q, base[q]) for q in range(dev.num_qubits)])
                    est, gain = locate(obs - base, sigma, regions, dist, p.max_distance)
                    estimates.setdefault(s, []).append((est, gain))
                    truth = hook.victim_qubits
                    score = jaccard(est, truth) if probes is cloud else 0.0
                    record = (s, t, ",".join(map(str, est)), ",".join(map(str, truth)), score)
                    for key, value in zip(rows, record, strict=True):
                        rows[key].append(value)
            ctx.report("locality", i + 1, len(p.strengths))
        return self._result(result, rows, estimates, regions, probe_device, victim_device, ctx)

    def _result(self, result: AttackResult, rows: dict[str, list], estimates: dict,
                regions: list[tuple[int, ...]], probe_device: str, victim_device: str,
                ctx: AttackContext) -> AttackResult:  # fmt: skip
        p = self.params
        result.per_sample = rows
        m = result.metrics
        truth = tuple(int(q) for q in rows["truth"][-1].split(",") if q) if rows["truth"] else ()
        jac, exact, gains = [], [], []
        for s in p.strengths:
            idx = [i for i, v in enumerate(rows["strength"]) if v == s]
            jac.append(float(np.mean([rows["jaccard"][i] for i in idx])))
            exact.append(float(np.mean([rows["jaccard"][i] == 1.0 for i in idx])))
            gains.append(float(np.mean([g for _, g in estimates[s]])))
            m[f"locality_jaccard_s{s:g}"], m[f"exact_match_s{s:g}"] = jac[-1], exact[-1]
            m[f"detection_s{s:g}"] = gains[-1]
        for key, ys in (("jaccard", jac), ("exact_match", exact), ("detection", gains)):
            result.curves[f"{key}_vs_strength"] = {"x": list(p.strengths), "y": ys}
        m["locality_accuracy"] = max(jac)
        m["chance_jaccard"] = float(np.mean([jaccard(r, truth) for r in regions])) if truth else 0.0
        m["chance_exact"] = 1.0 / len(regions)
        m["regions"] = len(regions)
        m["victim_qubits"] = len(truth)
        m["shots_total"] = self.shots_
        m["device_from_fingerprint"] = float(KnownDevice.id in ctx.facts)
        top = max(p.strengths)
        mode = Counter(e for e, _ in estimates[top]).most_common(1)[0][0]
        detected = np.mean([g for e, g in estimates[top] if e == mode]) >= p.min_detection
        m["colocation_claimed"] = float(detected)
        if probe_device != victim_device:
            result.notes.append(f"probes ran on {probe_device}, the victim runs on {victim_device}")
        if detected:
            result.facts[Colocation.id] = Colocation(probe_device, tuple(int(q) for q in mode))
            result.provides = ["know.colocation"] if jaccard(mode, truth) >= 0.5 else []
        else:
            result.notes.append("no crosstalk above the detection threshold: no colocation claimed")
        return result
