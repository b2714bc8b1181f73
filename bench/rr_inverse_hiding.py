"""How often random reversible obfuscation hides nothing: circuits whose obfuscated
output R_out·C·R_in equals the original output C, over random basis-state circuits C
(random X and CNOT gates on ``--qubits`` qubits, output one basis state), per block
mode and rejection rule, with a 95 % Wilson interval; and the output distance on
random rotation circuits (mean total-variation distance between the obfuscated and
the original output distributions).

Run:
    python bench/rr_inverse_hiding.py                     # 30 circuits, 4 qubits, 6 gates
    python bench/rr_inverse_hiding.py --circuits 200 --gates 4
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from qmlsec.defenses.circuit.rr_inverse import RRInverse
from qmlsec.stats import wilson


def basis_circuit(n: int, gen: np.random.Generator) -> QuantumCircuit:
    qc = QuantumCircuit(n, name="C")
    for _ in range(2 * n):
        if gen.random() < 0.5:
            qc.x(int(gen.integers(n)))
        else:
            a, b = gen.choice(n, 2, replace=False)
            qc.cx(int(a), int(b))
    return qc


def rotation_circuit(n: int, gen: np.random.Generator) -> QuantumCircuit:
    qc = QuantumCircuit(n, name="C")
    for q in range(n):
        qc.ry(float(gen.uniform(0, np.pi)), q)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    return qc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--circuits", type=int, default=30)
    parser.add_argument("--qubits", type=int, default=4)
    parser.add_argument("--gates", type=int, default=6)
    args = parser.parse_args()
    modes = [
        {"nontrivial": "none", "blocks": "both", "gate_set": "x_cnot"},
        {
            "nontrivial": "fixed_point_free",
            "blocks": "both",
            "gate_set": "x_cnot",
            "check_output": False,
        },
        {
            "nontrivial": "fixed_point_free",
            "blocks": "out",
            "gate_set": "x_cnot",
            "check_output": False,
        },
        {"nontrivial": "not_identity", "blocks": "both", "gate_set": "x_cnot"},
        {"nontrivial": "fixed_point_free", "blocks": "both", "gate_set": "x_cnot"},
        {"nontrivial": "fixed_point_free", "blocks": "out", "gate_set": "x_cnot"},
        {"nontrivial": "fixed_point_free", "blocks": "in", "gate_set": "x_cnot"},
        {"nontrivial": "fixed_point_free", "blocks": "both", "gate_set": "x"},
        {"nontrivial": "fixed_point_free", "blocks": "out", "gate_set": "x"},
    ]
    rows = []
    for mode in modes:
        same, tvds = 0, []
        for i in range(args.circuits):
            gen = np.random.default_rng(i)
            defense = RRInverse({"gates": args.gates, **mode}, seed=i)
            c = basis_circuit(args.qubits, gen)
            obf = defense.transform(c).obfuscated
            same += bool(
                np.allclose(Statevector(obf).probabilities(), Statevector(c).probabilities())
            )
            r = rotation_circuit(args.qubits, gen)
            p, q = (Statevector(x).probabilities() for x in (r, defense.transform(r).obfuscated))
            tvds.append(0.5 * np.abs(p - q).sum())
        est = wilson(same, args.circuits)
        rows.append({**mode, "identical_outputs": same, "n": args.circuits,
                     "rate": round(est.value, 3), "ci95": [round(c, 3) for c in est.ci],
                     "rotation_mean_tvd": round(float(np.mean(tvds)), 3)})  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
