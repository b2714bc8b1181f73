"""What an honest-but-curious provider observes: bound, transpiled jobs of one model.

The cloud transpiles the parameterised QNN circuit once (its transpile cache) and binds
every job's inputs and weights into it, so all jobs of one model share one gate
structure and differ only in ``rz`` angles. :func:`observe_jobs` produces exactly that
for a spec; :func:`circuit_features` summarises a batch of such jobs into the numbers an
identification classifier uses (after "Quantum Quandaries", arXiv:2502.01486, which
classifies encodings from transpilation artifacts): sizes per qubit, and where the
*varying* angles (data: they change between jobs) sit relative to the two-qubit gates,
as opposed to the *constant* ones (weights and fixed rotations).

Example:
    >>> from qmlsec.circuits import QNNSpec
    >>> jobs = observe_jobs(QNNSpec(n_qubits=2, layers=1), n_jobs=3, seed=0)
    >>> angles, _ = rz_angles(jobs)
    >>> angles.shape[0]
    3
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit, transpile

from qmlsec.circuits import QNNSpec
from qmlsec.cloud.devices import get_device
from qmlsec.config import derive_seed, rng

FEATURES = (
    "qubits", "varying_per_qubit", "constant_per_qubit", "cx_per_qubit", "sx_per_qubit",
    "depth_per_qubit", "cx_before_first_varying", "cx_before_last_varying",
    "varying_runs", "varying_ratio", "varying_per_cx", "constant_per_cx", "sx_per_cx",
    "varying_in_first_quarter", "rz_count", "sx_count", "x_count", "cx_count",
    "varying_count", "constant_count", "depth", "varying_blocks_per_qubit",
    "constant_per_varying_block", "cx_per_varying_block", "cx_per_constant",
    "weight_like_per_qubit", "weight_like_per_cx", "weight_like_per_varying",
)  # fmt: skip
"""Per-qubit ratios first, then absolute gate counts per native gate and block counts."""


def template(spec: QNNSpec, device: str = "fake_manila", seed: int = 0) -> QuantumCircuit:
    """The parameterised circuit transpiled once, with measurements, as the cloud caches it."""
    qc = spec.build()
    qc.measure_all()
    return transpile(
        qc, get_device(device).backend, optimization_level=1,
        seed_transpiler=derive_seed(seed, "transpile"),
    )  # fmt: skip


def bind(tpl: QuantumCircuit, x: np.ndarray, theta: np.ndarray) -> QuantumCircuit:
    """Bind one job's circuit inputs ``x`` and weights ``theta`` into the template."""
    values = {}
    for p in tpl.parameters:
        vec, idx = p.vector.name, p.index
        values[p] = float(x[idx] if vec == "x" else theta[idx])
    return tpl.assign_parameters(values)


def observe_jobs(
    spec: QNNSpec,
    *,
    n_jobs: int = 4,
    seed: int = 0,
    device: str = "fake_manila",
    theta: np.ndarray | None = None,
    inputs: np.ndarray | None = None,
) -> list[QuantumCircuit]:
    """The bound jobs the provider receives for ``spec`` (random inputs/weights by seed)."""
    gen = rng(seed, "jobs")
    tpl = template(spec, device, seed)
    weights = gen.uniform(0, 2 * np.pi, spec.n_weights) if theta is None else theta
    xs = gen.uniform(0, np.pi, (n_jobs, spec.n_circuit_inputs)) if inputs is None else inputs
    return [bind(tpl, row, weights) for row in xs]


def rz_angles(jobs: Sequence[QuantumCircuit]) -> tuple[np.ndarray, list[int]]:
    """``(jobs, G)`` rz angles and each rz's instruction index (jobs share one structure)."""
    positions = [i for i, inst in enumerate(jobs[0].data) if inst.operation.name == "rz"]
    angles = np.array([[float(job.data[i].operation.params[0]) for i in positions] for job in jobs])
    return angles, positions


def circuit_features(jobs: Sequence[QuantumCircuit]) -> np.ndarray:
    """The identification features (see :data:`FEATURES`) of a batch of jobs."""
    job = jobs[0]
    angles, positions = rz_angles(jobs)
    varying = angles.std(axis=0) > 1e-9 if len(jobs) > 1 else np.zeros(len(positions), bool)
    active = {job.find_bit(q).index for inst in job.data for q in inst.qubits
              if inst.operation.name not in ("barrier", "measure")}  # fmt: skip
    nq = max(1, len(active))
    cx_index = [i for i, inst in enumerate(job.data) if len(inst.qubits) == 2
                and inst.operation.name != "barrier"]  # fmt: skip
    var_pos = [p for p, v in zip(positions, varying, strict=True) if v]
    n_cx = max(1, len(cx_index))
    before_first = sum(c < var_pos[0] for c in cx_index) / n_cx if var_pos else 0.0
    before_last = sum(c < var_pos[-1] for c in cx_index) / n_cx if var_pos else 0.0
    runs, last = 0, False
    for v in varying:
        runs += int(v and not last)
        last = bool(v)
    ops = job.count_ops()
    n_var, n_const = float(varying.sum()), float((~varying).sum())
    quarter = np.abs(angles[0] / (np.pi / 4) - np.round(angles[0] / (np.pi / 4))) < 1e-6
    weights = float((~varying & ~quarter).sum())  # constant, not a fixed pi/4 multiple
    absolute = [
        ops.get("rz", 0), ops.get("sx", 0), ops.get("x", 0), ops.get("cx", 0), n_var, n_const,
        job.depth(), runs / nq, n_const / max(1, runs), len(cx_index) / max(1, runs),
        len(cx_index) / max(1.0, n_const), weights / nq, weights / n_cx,
        weights / max(1.0, n_var),
    ]  # fmt: skip
    return np.array(
        [
            len(active), varying.sum() / nq, (~varying).sum() / nq, ops.get("cx", 0) / nq,
            ops.get("sx", 0) / nq, job.depth() / nq, before_first, before_last, runs / nq,
            varying.sum() / max(1, len(positions)), varying.sum() / n_cx,
            (~varying).sum() / n_cx, ops.get("sx", 0) / n_cx,
            sum(pos < len(job.data) / 4 for pos in var_pos) / max(1, len(var_pos)),
            *absolute,
        ],
        dtype=float,
    )  # fmt: skip


__all__ = ["FEATURES", "bind", "circuit_features", "observe_jobs", "rz_angles", "template"]
