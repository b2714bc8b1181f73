"""Calibration-profile fabrication: the provider reports a better device than it runs.

After Wu, Hu and Li, "Detecting Fraudulent Services on Quantum Cloud Platforms via
Dynamic Fingerprinting" (ICCAD 2024, arXiv:2408.11203), whose threat model has two
frauds: machine substitution and *profile fabrication*, where the provider publishes a
calibration profile that is not the one of the machine executing the jobs (they caught
one on IBM Belem). Here a malicious provider runs the victim's jobs on a worse machine
(the paid device operated at ``noise_scales`` times its calibrated errors, and the
substitute ``given_device``, both through :meth:`HardwareDowngrade.inject`) while it
reports the paid device's calibration as the profile of the machine that ran them.

A user who trusts the published profile cannot tell: the reported error rates are the
genuine ones of the device paid for, so a static comparison of the profile with the
device's published calibration passes. What the machine really does is measured here
from the user's side, with jobs submitted to the provider like any other: readout
(prepare ``|0>`` / ``|1>``, measure), single-qubit error from the decay of ``depth``
``X``-pair rounds on each qubit, and two-qubit error from ``depth`` ``CX``-pair rounds
on a matching of the claimed coupling map (barriers keep the provider's transpiler from
cancelling the pairs, as in the paper's fingerprint circuits). With readout-corrected
flip probability ``p`` after ``2 depth`` gates, the flip per gate is
``f = (1 - (1 - 2p)^(1 / (2 depth))) / 2``, the single-qubit error ``f`` and the
two-qubit error ``3 f / 2`` (depolarising channels, the same relations the paper's
analytic fingerprint model uses).

Measured, for the honest run (the paid device at scale 1) and each fabricated
condition: the reported and the measured readout, 1q and 2q error rates (means over the
probed qubits and pairs), their ratio, and the ratio relative to the honest run (which
removes the estimator's own bias: thermal relaxation is not a depolarising flip); plus
everything :class:`~qmlsec.attacks.hardware.downgrade.HardwareDowngrade` measures
(accuracy drop, price pocketed). ``state.detection_evaded`` holds when the profile check
passes while the machine is measurably worse than reported.

Whether *dynamic* fingerprinting (the ``provider.fingerprint_check`` defense) catches the
fabrication is measured by that defense against this attack's :meth:`inject` (its
``defended_run``); the attack itself does not run a defense.

Not covered: per-qubit fabrication that mixes genuine and fabricated entries, drift of
the genuine calibration, and providers that recognise characterisation circuits and
route only them to the paid device.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.downgrade import DowngradeParams, HardwareDowngrade
from qmlsec.attacks.result import AttackResult
from qmlsec.cloud.backends.measurement import bit_marginals
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import derive_seed
from qmlsec.stats import difference, proportion

PURPOSE = "calibration_check"
QUANTITIES = ("readout_error", "error_1q", "error_2q")


class ProfileFabricationParams(DowngradeParams):
    """Parameters of :class:`ProfileFabrication` (the downgrade's, plus the measurement)."""

    probe_qubits: int = Field(default=5, ge=2)
    """Qubits characterised: the first ones reached from qubit 0 on the paid device."""
    depth: int = Field(default=8, ge=1)
    """Rounds of ``CX`` pairs in the two-qubit decay circuit."""
    depth_1q: int = Field(default=64, ge=1)
    """Rounds of ``X`` pairs in the single-qubit decay circuit (1q errors are ~30x smaller)."""
    probe_shots: int = Field(default=4096, ge=16)


def connected_qubits(device: str, k: int) -> list[int]:
    """``k`` qubits of ``device`` reached from qubit 0 along its coupling map (BFS)."""
    dev = get_device(device)
    neighbours: dict[int, set[int]] = {}
    for a, b in dev.coupling_map:
        neighbours.setdefault(int(a), set()).add(int(b))
        neighbours.setdefault(int(b), set()).add(int(a))
    seen, frontier = [0], [0]
    while frontier and len(seen) < min(k, dev.num_qubits):
        q = frontier.pop(0)
        for n in sorted(neighbours.get(q, ())):
            if n not in seen and len(seen) < k:
                seen.append(n)
                frontier.append(n)
    return sorted(seen)


def matching(device: str, qubits: list[int]) -> list[tuple[int, int]]:
    """Disjoint coupled pairs among ``qubits`` (greedy, in edge order)."""
    used: set[int] = set()
    pairs = []
    for a, b in sorted((int(a), int(b)) for a, b in get_device(device).coupling_map):
        if a < b and {a, b} <= set(qubits) and not {a, b} & used:
            pairs.append((a, b))
            used |= {a, b}
    return pairs


def reported_profile(device: str, qubits: list[int], pairs: list[tuple[int, int]]) -> dict:
    """Mean readout, ``x`` and ``cx`` errors of ``device``'s calibration on the probe."""
    target = get_device(device).backend.target

    def error(gate: str, qargs: tuple[int, ...]) -> float:
        props = target[gate].get(qargs) if gate in target else None
        return float(props.error) if props is not None and props.error is not None else 0.0

    return {
        "readout_error": float(np.mean([error("measure", (q,)) for q in qubits])),
        "error_1q": float(np.mean([error("x", (q,)) for q in qubits])),
        "error_2q": float(np.mean([error("cx", p) for p in pairs])) if pairs else 0.0,
    }


def _circuit(width: int, qubits: list[int], name: str) -> QuantumCircuit:
    return QuantumCircuit(width, len(qubits), name=name)


def characterisation_circuits(
    qubits: list[int], pairs: list[tuple[int, int]], depth: int, depth_1q: int
) -> dict[str, QuantumCircuit]:
    """Readout (``ro0``, ``ro1``) and decay (``x``, ``cx``) circuits on the probe."""
    width = max(qubits) + 1
    out = {}
    for name in ("ro0", "ro1", "x", "cx"):
        qc = _circuit(width, qubits, f"calibration_{name}")
        if name == "ro1":
            qc.x(qubits)
        for _ in {"x": depth_1q, "cx": depth}.get(name, 0) * [None]:
            for _ in range(2):
                if name == "x":
                    for q in qubits:
                        qc.x(q)
                        qc.barrier(q)
                else:
                    for a, b in pairs:
                        qc.cx(a, b)
                        qc.barrier(a, b)
        qc.measure(qubits, range(len(qubits)))
        out[name] = qc
    return out


def flip_per_gate(p1: np.ndarray, e0: np.ndarray, e1: np.ndarray, gates: int) -> np.ndarray:
    """Per-gate flip probability from ``P(read 1)`` after ``gates`` ideal-identity gates."""
    p = np.clip((p1 - e0) / np.maximum(1.0 - e0 - e1, 1e-9), 0.0, 0.5 - 1e-12)
    return (1.0 - (1.0 - 2.0 * p) ** (1.0 / gates)) / 2.0


class ProfileFabrication(HardwareDowngrade):
    """The provider reports the paid device's calibration while running worse (QML.T0020)."""

    name: ClassVar[str] = "hardware.profile_fabrication"
    technique_id: ClassVar[str] = "QML.T0020"
    Params = ProfileFabricationParams
    check_params: ClassVar[dict] = {
        "noise_scales": (1.0, 4.0), "max_samples": 6, "shots": 256, "probe_shots": 1024,
    }  # fmt: skip

    def measure(self, cloud: QuantumCloud, label: str) -> dict[str, float]:
        """Readout, 1q and 2q error rates measured through ``cloud`` (the user's jobs)."""
        p = self.params
        qubits = connected_qubits(p.paid_device, p.probe_qubits)
        pairs = matching(p.paid_device, qubits)
        read: dict[str, np.ndarray] = {}
        for name, qc in characterisation_circuits(qubits, pairs, p.depth, p.depth_1q).items():
            job = QuantumJob(tenant="victim", circuit=qc, parameter_values=np.zeros((1, 0)),
                             shots=p.probe_shots, requested_device=p.paid_device,
                             purpose=PURPOSE, submitter="user",
                             seed=derive_seed(self.seed, "calibration", label, name))  # fmt: skip
            counts = cloud.submit(job).counts
            assert counts is not None  # a shot job returns counts
            read[name] = bit_marginals(counts[0][0], len(qubits))
        e0, e1 = read["ro0"], 1.0 - read["ro1"]
        f1 = flip_per_gate(read["x"], e0, e1, 2 * p.depth_1q)
        index = {q: i for i, q in enumerate(qubits)}
        in_pair = [index[q] for pair in pairs for q in pair]
        f2 = flip_per_gate(read["cx"][in_pair], e0[in_pair], e1[in_pair], 2 * p.depth)
        return {
            "readout_error": float(np.mean((e0 + e1) / 2.0)),
            "error_1q": float(np.mean(f1)),
            "error_2q": float(np.mean(1.5 * f2)) if pairs else 0.0,
        }

    def _run(self, ctx: AttackContext) -> AttackResult:
        result = super()._run(ctx)
        p = self.params
        qubits = connected_qubits(p.paid_device, p.probe_qubits)
        reported = reported_profile(p.paid_device, qubits, matching(p.paid_device, qubits))
        m = result.metrics
        m.update({f"reported_{k}": v for k, v in reported.items()})
        with self.inject(1.0) as cloud:
            honest = self.measure(cloud, "honest")
        conditions = [(f"scale_{s:g}", {"scale": s}) for s in p.noise_scales if s != 1.0]
        if p.given_device is not None:
            conditions.append(("given", {"substitute": p.given_device}))
        n_trials = 2 * p.probe_shots * len(qubits)  # readout: |0> and |1> on every qubit
        honest_ro = proportion(honest["readout_error"], n_trials)
        worse = []
        for label, how in [("honest", None), *conditions]:
            if how is None:
                measured = honest
            else:
                with self.inject(**how) as cloud:
                    measured = self.measure(cloud, label)
            for k in QUANTITIES:
                m[f"measured_{k}_{label}"] = measured[k]
                m[f"{k}_gap_{label}"] = measured[k] - reported[k]
                m[f"{k}_ratio_{label}"] = measured[k] / max(reported[k], 1e-12)
                m[f"{k}_vs_honest_{label}"] = measured[k] / max(honest[k], 1e-12)
            if how is not None:
                increase = difference(proportion(measured["readout_error"], n_trials), honest_ro)
                m[f"readout_error_increase_{label}"] = increase.value
                result.intervals[f"readout_error_increase_{label}"] = increase
                worse.append(increase.above(0.0))
        m["profile_check_passed"] = 1.0  # the report is the paid device's own calibration
        m["fabricated_conditions_worse"] = float(sum(worse))
        result.provides = ["state.detection_evaded"] if any(worse) else []
        result.notes.append(
            f"reported {p.paid_device}'s calibration for every run; measured on qubits "
            f"{qubits} with {p.probe_shots} shots per characterisation circuit"
        )
        return result
