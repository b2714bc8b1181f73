"""Device fingerprinting: a co-tenant identifies which QPU of the provider runs its jobs.

After Mi, Deng and Szefer, "Short Paper: Device- and Locality-Specific Fingerprinting of
Shared NISQ Quantum Computers" (arXiv:2202.12731: 99.1% device accuracy)
and Smith et al., "Fast fingerprinting of cloud NISQ computers" (arXiv:2211.07880):
both split the attack into *enrolment* (reference fingerprints of every candidate
device from repeated runs) and *identification* (a fresh fingerprint matched to the
nearest reference). Here the fingerprint is built from what an ordinary tenant gets
back from :meth:`~qmlsec.cloud.providers.QuantumCloud.submit` (counts of a real job:
transpiled, queued, priced and recorded). The probe (:func:`probe_circuit`) acts on the
first ``width`` qubits (width: the smallest candidate's size, so the trivial layout
puts logical qubit ``i`` on physical qubit ``i`` of every candidate): ``SX RZ(theta)
SX`` prepares ``|0>`` (``theta = pi``) or ``|1>`` (``theta = 0``), then ``echo_pairs``
barrier-separated ``X X`` pairs (the identity) run before the readout. One job with the
two rows gives, per qubit, the error probability from ``|0>`` (readout error and gate
errors) and from ``|1>`` (the same plus relaxation over the sequence and the readout):
the per-qubit survival and readout-asymmetry signature of Wu et al. (arXiv:2408.11203)
used as an identity instead of a check.

Enrolment runs the probe ``enrol_runs`` times on every candidate (jobs that request
it); a fingerprint is classified by Gaussian likelihood under each candidate's mean
with binomial shot-noise variance (or the enrolment spread when larger). Evaluation:
``trials`` identifications per candidate with seeds disjoint from enrolment give the
accuracy and the confusion (``per_sample``). The attack itself then fingerprints
``trials`` times through the victim's provider (no device requested: the provider's
policy allocates) and takes the majority as the victim's device
(the :class:`~qmlsec.attacks.facts.KnownDevice` fact, ``provides know.device`` when it is the device the victim's
endpoint runs on, which the attacker does not see). Devices of the provider's pool
missing from ``candidates`` are enrolled too (a provider's device list is public).

Not covered: calibration drift between enrolment and identification (the simulated
calibration is a fixed snapshot, so shot noise is the only run-to-run variation; real
devices need the enrolment spread and re-enrolment), qubit-frequency fingerprints
(Smith et al.; not observable through counts), crosstalk idle tomography (Mi et al.'s
probe; :mod:`qmlsec.attacks.recon.locality_fingerprint` uses crosstalk for
locality), and devices outside the candidate set (closed-set identification).
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qmlsec.attacks.access import device_of, provider_cloud
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import KnownDevice
from qmlsec.attacks.recon.base import ReconAttack
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.backends.measurement import bit_marginals
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.jobs import JobResult, QuantumJob
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.exceptions import ConfigError

TENANT = "fingerprinter"
PREPARE = np.array([[np.pi], [0.0]])
"""Probe rows: ``theta = pi`` prepares ``|0>``, ``theta = 0`` prepares ``|1>``."""
DEFAULT_CANDIDATES = (
    "fake_manila", "fake_quito", "fake_lima", "fake_belem", "fake_bogota",
    "fake_jakarta", "fake_guadalupe",
)  # fmt: skip


def probe_circuit(width: int, echo_pairs: int = 8) -> QuantumCircuit:
    """The probe on ``width`` qubits (barriers keep the transpiler from merging gates)."""
    theta = Parameter("theta")
    qc = QuantumCircuit(width, name="fingerprint_probe")
    qc.sx(range(width))
    qc.barrier()
    qc.rz(theta, range(width))
    qc.barrier()
    qc.sx(range(width))
    for _ in range(2 * echo_pairs):
        qc.barrier()
        qc.x(range(width))
    return qc


def fingerprint(result: JobResult, width: int) -> np.ndarray:
    """``P(1 | prepared 0)`` then ``P(0 | prepared 1)`` per qubit, from the job's counts."""
    if not result.counts:
        raise ConfigError("fingerprint probes need shot counts", hint="set shots >= 1")
    zero, one = (bit_marginals(c, width) for c in result.counts[0])
    return np.concatenate([zero, 1.0 - one])


class FingerprintParams(FrozenModel):
    """Parameters of :class:`DeviceFingerprint`."""

    candidates: tuple[str, ...] = Field(default=DEFAULT_CANDIDATES, min_length=2)
    device: str | None = None
    """The victim's device (ground truth only; default: the provider's first device)."""
    shots: int = Field(default=1000, ge=1)
    enrol_runs: int = Field(default=3, ge=1)
    trials: int = Field(default=5, ge=1)
    echo_pairs: int = Field(default=8, ge=1)
    width: int | None = Field(default=None, ge=1)
    """Probed qubits (default: the smallest candidate's qubit count)."""


class DeviceFingerprint(ReconAttack):
    """Co-tenant identifies the victim's QPU from noise fingerprints (QML.T0001)."""

    name: ClassVar[str] = "recon.fingerprint"
    technique_id: ClassVar[str] = "QML.T0001"
    requires = frozenset({Capability.CO_TENANCY})
    positions = frozenset({Position.CO_TENANT})
    Params = FingerprintParams
    check_params: ClassVar[dict] = {
        "candidates": ("fake_manila", "fake_quito"), "enrol_runs": 2, "trials": 2, "shots": 1000,
    }  # fmt: skip

    def probe(self, cloud: QuantumCloud, *, device: str | None, seed: int) -> np.ndarray:
        """Run the probe as one job on ``cloud`` (``device`` requested, or the policy's)."""
        p = self.params
        job = QuantumJob(
            TENANT, probe_circuit(self.width_, p.echo_pairs), PREPARE, shots=p.shots,
            requested_device=device, purpose="fingerprint", submitter="co_tenant",
            submitter_trust="malicious", seed=seed,
        )  # fmt: skip
        result = cloud.submit(job)
        self.jobs_.append(result)
        self.ran_on_ = result.device
        return fingerprint(result, self.width_)

    def classify(self, f: np.ndarray) -> str:
        """The candidate whose enrolled fingerprint makes ``f`` most likely."""
        best, best_score = "", np.inf
        shots = self.params.shots
        for name, (mean, spread) in self.references_.items():
            q = np.clip(mean, 0.5 / shots, 1 - 0.5 / shots)
            var = np.maximum(q * (1 - q) / shots, spread) * (1 + 1 / self.params.enrol_runs)
            score = float(np.sum((f - mean) ** 2 / var + np.log(var)))
            if score < best_score:
                best, best_score = name, score
        return best

    def _candidates(self, cloud: QuantumCloud) -> list[str]:
        names = list(dict.fromkeys(self.params.candidates))
        return names + [d.name for d in cloud.pool if d.name not in names]

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        victim_cloud = provider_cloud(self.target, device=p.device, seed=self.seed, noise_scale=1.0)
        victim_device = device_of(victim_cloud, p.device)
        names = self._candidates(victim_cloud)
        self.width_ = min([get_device(n).num_qubits for n in names] + [p.width or 10**6])
        self.jobs_: list[JobResult] = []
        enrol = QuantumCloud(
            names, trust="honest-but-curious", seed=derive_seed(self.seed, "enrol")
        )
        self.references_ = {}
        for i, name in enumerate(names):
            runs = np.array([
                self.probe(enrol, device=name, seed=derive_seed(self.seed, "enrol", name, r))
                for r in range(p.enrol_runs)
            ])  # fmt: skip
            spread = runs.var(axis=0, ddof=1) if len(runs) > 1 else np.zeros(runs.shape[1])
            self.references_[name] = (runs.mean(axis=0), spread)
            ctx.report("enrolment", i + 1, len(names))
        enrol_jobs = len(self.jobs_)
        test = QuantumCloud(names, trust="honest-but-curious", seed=derive_seed(self.seed, "test"))
        truth, predicted, phase = [], [], []
        for i, name in enumerate(names):
            for t in range(p.trials):
                f = self.probe(test, device=name, seed=derive_seed(self.seed, "test", name, t))
                truth.append(self.ran_on_)
                predicted.append(self.classify(f))
                phase.append("evaluation")
            ctx.report("identification", i + 1, len(names))
        n_eval = len(truth)
        for t in range(p.trials):
            f = self.probe(victim_cloud, device=None, seed=derive_seed(self.seed, "victim", t))
            truth.append(self.ran_on_)
            predicted.append(self.classify(f))
            phase.append("victim")
        return self._result(names, victim_device, truth, predicted, phase, n_eval, enrol_jobs)

    def _result(self, names: list[str], victim_device: str, truth: list[str],
                predicted: list[str], phase: list[str], n_eval: int,
                enrol_jobs: int) -> AttackResult:  # fmt: skip
        result = self.new_result()
        result.per_sample = {"true_device": truth, "predicted_device": predicted, "phase": phase}
        hits = np.array([a == b for a, b in zip(truth, predicted, strict=True)])
        m = result.metrics
        m["identification_accuracy"] = float(hits[:n_eval].mean())
        m["chance_accuracy"] = 1.0 / len(names)
        m["candidates"] = len(names)
        for name in names:
            rows = [i for i in range(n_eval) if truth[i] == name]
            m[f"accuracy_{name}"] = float(hits[rows].mean()) if rows else 0.0
        confusion = Counter((truth[i], predicted[i]) for i in range(n_eval) if not hits[i])
        for (a, b), n in sorted(confusion.items()):
            result.notes.append(f"{a} identified as {b} in {n} of {self.params.trials} trials")
        vote = Counter(predicted[n_eval:]).most_common(1)[0][0]
        m["victim_identification_accuracy"] = float(
            np.mean([d == victim_device for d in predicted[n_eval:]])
        )
        m["victim_identified"] = float(vote == victim_device)
        m["jobs"] = len(self.jobs_)
        m["shots_enrolment"] = sum(j.circuits * (j.shots or 0) for j in self.jobs_[:enrol_jobs])
        m["shots_total"] = sum(j.circuits * (j.shots or 0) for j in self.jobs_)
        m["price_usd_total"] = float(sum(j.price_usd for j in self.jobs_))
        if set(truth[n_eval:]) != {victim_device}:
            result.notes.append(
                f"the provider ran the probes on {sorted(set(truth[n_eval:]))}, "
                f"not on the victim's device {victim_device}"
            )
        # the attacker's estimate is handed on whether or not it is right; ``provides``
        # (scored against the truth) says whether it is
        result.facts[KnownDevice.id] = KnownDevice(vote)
        result.outputs["confusion"] = dict(
            Counter(zip(truth[:n_eval], predicted[:n_eval], strict=True))
        )
        result.provides = ["know.device"] if vote == victim_device else []
        return result
