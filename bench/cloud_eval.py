"""Noisy batched evaluation of an 8-qubit QNN on a fake device: routing before and after.

Angle encoding (H then RZ(x_i) on every qubit), 3 layers of RY/RZ rotations and a CNOT
ring (``--entanglement linear`` for a chain), <Z_i> on all 8 qubits; ``--samples``
inputs at ``--shots`` shots on a fake device with its calibrated noise. One row per way
of running the same job:

- ``aer level0``: plain Qiskit + Aer, no qmlsec: ``transpile`` at level 0, a noise model
  ``NoiseModel.from_backend`` for the whole device, the density-matrix simulator on the
  bound, measured circuits (the reference the ratio column divides by);
- ``qmlsec preset L``: ``DeviceBackend(layout="preset", classical_tail=False)``,
  Qiskit's preset pass manager at level L on the whole circuit (level 0 was this
  benchmark's setting before the noise-aware search and the classical tail;
  deployments default to level 1);
- ``qmlsec noise_aware``: ``DeviceBackend(layout="noise_aware", classical_tail=False)``
  (see :mod:`qmlsec.cloud.layout_search`; for the ring, its candidates include the ring
  re-synthesised on a path, :mod:`qmlsec.cloud.ring_synthesis`), level 0 requested;
- ``qmlsec default, no tail``: ``DeviceBackend`` with its default layout strategy at a
  deployment's default level 1, the whole circuit executed (``classical_tail=False``, a
  deployment's ``quantum.classical_tail: false``);
- ``qmlsec default``: what a deployment on this device runs: the same with the
  classical tail on (the default): the last CNOT block is applied to the measured bits
  (:mod:`qmlsec.cloud.backends.tail`), the rest executes.

Columns: two-qubit gates, depth and active qubits of the transpiled circuit, the
estimated success probability (ESP, from the calibration), the set-up time (transpile
and noise model), the batched run's wall time (median over ``--rounds``, the rows run in turn each
round so every row sees the same load) and the ratio of medians to plain Aer's, and the
accuracy on the device: the mean absolute error of the noisy <Z_i> against the ideal
(noiseless, exact) values, averaged over the 8 qubits per sample, with a 95% bootstrap
interval over the ``--samples`` inputs (``qmlsec.stats.bootstrap_mean``), and the paired
difference to the ``qmlsec preset L0`` row on the same inputs and shots seed
(negative: more accurate); below the table the same paired difference between the two
``default`` rows (the tail's own effect). ``x fewer``: the ``qmlsec preset L0`` row's two-qubit gates
divided by the row's. Rows with ancilla qubits (``--levels 1``: 12 active qubits
for the ring) simulate a larger density matrix and take far longer.

Run: ``python bench/cloud_eval.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import SparsePauliOp, Statevector

from qmlsec.circuits import QNNSpec
from qmlsec.cloud.backends import DeviceBackend
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.layout_search import estimated_success
from qmlsec.stats import bootstrap_mean


def qnn_circuit(n: int = 8, layers: int = 3, entanglement: str = "ring") -> QuantumCircuit:
    """H + RZ(x) encoding, then ``layers`` of RY/RZ rotations and a CNOT ring or chain."""
    return QNNSpec(n_qubits=n, layers=layers, entanglement=entanglement).build()


def ideal(qc: QuantumCircuit, values: np.ndarray, obs: list[SparsePauliOp]) -> np.ndarray:
    return np.array(
        [
            [Statevector(qc.assign_parameters(v)).expectation_value(o).real for o in obs]
            for v in values
        ]
    )


def plain_aer(qc: QuantumCircuit, values: np.ndarray, args: argparse.Namespace) -> dict:
    """Qiskit + Aer alone at level 0: the baseline of the ratio column."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    backend = get_device(args.device).backend
    start = time.perf_counter()
    measured = qc.copy()
    measured.measure_all()
    tqc = transpile(measured, backend, optimization_level=0, seed_transpiler=args.seed)
    sim = AerSimulator(method="density_matrix", noise_model=NoiseModel.from_backend(backend))
    setup = time.perf_counter() - start

    def run() -> list[dict[str, int]]:
        bound = [tqc.assign_parameters(v) for v in values]
        return sim.run(bound, shots=args.shots, seed_simulator=args.seed).result().get_counts()

    start = time.perf_counter()
    counts = run()
    wall = time.perf_counter() - start
    n = qc.num_qubits
    z = np.zeros((len(values), n))
    for row, c in enumerate(counts):
        for key, k in c.items():
            bits = key.replace(" ", "")
            for q in range(n):
                z[row, q] += k * (1 - 2 * int(bits[-1 - q]))
    z /= args.shots
    final = tqc.layout.final_index_layout(filter_ancillas=True)[:n] if tqc.layout else range(n)
    unmeasured = qc.copy()
    esp_circ = transpile(unmeasured, backend, optimization_level=0, seed_transpiler=args.seed)
    two_q = sum(1 for i in esp_circ.data if len(i.qubits) == 2)
    active = {esp_circ.find_bit(q).index for i in esp_circ.data for q in i.qubits}
    return {
        "two_q": two_q,
        "depth": esp_circ.depth(),
        "active": len(active),
        "esp": estimated_success(esp_circ, backend.target, tuple(int(q) for q in final)),
        "setup": setup,
        "walls": [wall],
        "run": run,
        "values": z,
    }


def qmlsec_run(
    qc: QuantumCircuit, values: np.ndarray, obs: list, args: argparse.Namespace, **options
) -> dict:
    backend = DeviceBackend(args.device, seed=args.seed, **options)
    start = time.perf_counter()
    backend.expectations(qc, values[:1], obs, shots=args.shots, seed=args.seed)  # transpile + noise
    setup = time.perf_counter() - start

    def run() -> object:
        return backend.run(qc, values, obs, shots=args.shots, seed=args.seed)

    start = time.perf_counter()
    result = run()
    wall = time.perf_counter() - start
    exact = backend.plan(qc, obs, None)[0].report  # the executed circuit, for its ESP
    return {
        "two_q": exact.two_qubit_gates,
        "depth": exact.depth,
        "active": len(exact.active_qubits),
        "esp": exact.estimated_success,
        "setup": setup,
        "walls": [wall],
        "run": run,
        "values": np.asarray(result.expectations),
        "layout": exact.layout,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="fake_brisbane")
    parser.add_argument("--entanglement", default="ring", choices=["ring", "linear"])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--shots", type=int, default=1024)
    parser.add_argument(
        "--levels", type=int, nargs="*", default=[0], help="preset levels to run (rows)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds", type=int, default=1, help="timed runs per row, rows in turn each round"
    )
    args = parser.parse_args()

    n = 8
    qc = qnn_circuit(n, entanglement=args.entanglement)
    obs = [SparsePauliOp("I" * (n - 1 - i) + "Z" + "I" * i) for i in range(n)]
    values = np.random.default_rng(args.seed).uniform(
        -np.pi, np.pi, (args.samples, qc.num_parameters)
    )
    truth = ideal(qc, values, obs)
    rows = {"aer level0": plain_aer(qc, values, args)}
    for level in args.levels:
        rows[f"qmlsec preset L{level}"] = qmlsec_run(
            qc, values, obs, args, optimization_level=level, layout="preset", classical_tail=False
        )
    rows["qmlsec noise_aware"] = qmlsec_run(
        qc, values, obs, args, optimization_level=0, layout="noise_aware", classical_tail=False
    )
    rows["qmlsec default, no tail"] = qmlsec_run(
        qc, values, obs, args, optimization_level=1, classical_tail=False
    )
    rows["qmlsec default"] = qmlsec_run(qc, values, obs, args, optimization_level=1)
    for _ in range(args.rounds - 1):  # interleaved: every row once per round
        for r in rows.values():
            start = time.perf_counter()
            r["run"]()
            r["walls"].append(time.perf_counter() - start)

    print(
        f"device {args.device}  {args.entanglement} QNN, {n} qubits, 3 layers  "
        f"samples {args.samples}  shots {args.shots}  seed {args.seed}  rounds {args.rounds}"
        f"  (default layout: {rows['qmlsec default']['layout']})"
    )
    head = (
        f"{'run':<24}{'2q gates':>9}{'x fewer':>8}{'depth':>7}{'active':>7}{'ESP':>8}"
        f"{'setup s':>9}{'run s':>8}{'x aer':>7}{'mean |err| [95% CI]':>26}"
        f"{'vs preset L0 [95% CI]':>28}"
    )
    print(head)
    print("-" * len(head))
    base = float(np.median(rows["aer level0"]["walls"]))
    base_2q = rows.get("qmlsec preset L0", rows["aer level0"])["two_q"]  # "today"
    errors = {name: np.abs(r["values"] - truth).mean(axis=1) for name, r in rows.items()}
    reference = errors.get("qmlsec preset L0")
    for name, r in rows.items():
        err = bootstrap_mean(errors[name], seed=args.seed)
        lo, hi = err.ci or (np.nan, np.nan)
        paired = "" if reference is None else _interval(errors[name] - reference, args.seed)
        wall = float(np.median(r["walls"]))
        print(
            f"{name:<24}{r['two_q']:>9}{base_2q / max(r['two_q'], 1):>8.2f}{r['depth']:>7}"
            f"{r['active']:>7}{r['esp']:>8.3f}{r['setup']:>9.2f}{wall:>8.2f}{wall / base:>7.2f}"
            f"{f'{err.value:.4f} [{lo:.4f}, {hi:.4f}]':>26}{paired:>28}"
        )
    print(f"n = {args.samples} samples per error column (mean over the {n} qubits per sample)")
    tail_effect = _interval(errors["qmlsec default"] - errors["qmlsec default, no tail"], args.seed)
    print(f"classical tail, paired (default - default, no tail): {tail_effect}")


def _interval(diff: np.ndarray, seed: int) -> str:
    est = bootstrap_mean(diff, seed=seed)
    if not np.any(diff) or est.ci is None:
        return "0 (same values)"
    return f"{est.value:+.4f} [{est.ci[0]:+.4f}, {est.ci[1]:+.4f}]"


if __name__ == "__main__":
    main()
