"""Noisy batched evaluation of an 8-qubit QNN on a 127-qubit fake device.

Angle encoding (H then RZ(x_i) on every qubit), 3 layers of RY/RZ rotations and a CNOT
ring, <Z_i> on all 8 qubits; 256 samples at 1024 shots on fake_brisbane with its
calibrated noise. Prints the wall time of the batched evaluation (one Aer call for the
whole batch) and of one-job-per-sample execution, and their ratio. The per-sample
baseline is timed on ``--baseline-samples`` rows and extrapolated to the full batch.

The default transpiler level is 0: at levels 1-3 Sabre routes the CNOT ring through
4 ancilla qubits (12 active qubits), and a noisy 12-qubit simulation costs ~4 s per
sample (statevector trajectories), against ~0.1-0.3 s for 8 qubits (density matrix).
Pass ``--level 1`` to time that case.

Run: ``python bench/cloud_eval.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qmlsec.circuits import QNNSpec
from qmlsec.cloud.backends import DeviceBackend


def qnn_circuit(n: int = 8, layers: int = 3) -> QuantumCircuit:
    """H + RZ(x) encoding, then ``layers`` of RY/RZ rotations and a CNOT ring."""
    return QNNSpec(n_qubits=n, layers=layers).build()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="fake_brisbane")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--shots", type=int, default=1024)
    parser.add_argument("--level", type=int, default=0, help="transpiler optimization level")
    parser.add_argument("--baseline-samples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    n = 8
    qc = qnn_circuit(n)
    obs = [SparsePauliOp("I" * (n - 1 - i) + "Z" + "I" * i) for i in range(n)]
    values = np.random.default_rng(args.seed).uniform(
        -np.pi, np.pi, (args.samples, qc.num_parameters)
    )
    backend = DeviceBackend(args.device, optimization_level=args.level, seed=args.seed)

    start = time.perf_counter()
    backend.expectations(qc, values[:1], obs, shots=args.shots, seed=args.seed)  # transpile + noise
    setup = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    result = backend.run(qc, values, obs, shots=args.shots, seed=args.seed)
    batched, batched_cpu = time.perf_counter() - start, time.process_time() - cpu

    k = min(args.baseline_samples, args.samples)
    start, cpu = time.perf_counter(), time.process_time()
    for row in values[:k]:
        backend.expectations(qc, row[None, :], obs, shots=args.shots, seed=args.seed)
    per_sample = (time.perf_counter() - start) / k * args.samples
    per_sample_cpu = (time.process_time() - cpu) / k * args.samples

    rep = result.transpile
    print(f"device {args.device}  level {args.level}  samples {args.samples}  shots {args.shots}")
    print(
        f"transpiled: depth {rep.depth}, 2q gates {rep.two_qubit_gates}, swaps {rep.swaps_added}, "
        f"active qubits {len(rep.active_qubits)}, method {result.method}"
    )
    print(f"setup (transpile + noise model, first call): {setup:.2f} s")
    print(
        f"batched (one Aer call):                      {batched:.2f} s wall, {batched_cpu:.2f} s CPU"
    )
    print(
        f"one job per sample (extrapolated from {k}):  {per_sample:.2f} s wall, {per_sample_cpu:.2f} s CPU"
    )
    print(f"speed-up: {per_sample / batched:.2f}x wall, {per_sample_cpu / batched_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
