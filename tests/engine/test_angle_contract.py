"""Angles, expanded circuits and shift rules follow the documented contract."""

from __future__ import annotations

import math

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import Statevector

from qmlsec.engine import compile_circuit
from qmlsec.engine.gates import FOUR_TERM, TWO_TERM

from .random_circuits import random_circuit

x = ParameterVector("x", 2)
theta = ParameterVector("theta", 2)


def test_angles_are_the_linear_map_of_inputs_and_weights():
    qc = QuantumCircuit(2)
    qc.rx(2 * x[0] - theta[1] + 0.5, 0)
    qc.crz(theta[0], 0, 1)
    qc.u(theta[0], x[1], 1.0, 1)
    cc = compile_circuit(qc)
    assert cc.n_angles == 4  # rx, crz, and the P/RY of u that carry parameters
    xs = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    ws = torch.tensor([0.25, 3.0], dtype=torch.float64)
    angles = cc.angles(xs, ws)[0].tolist()
    assert angles[0] == 2 * 1.0 - 3.0 + 0.5
    assert angles[1] == 0.25
    assert sorted(angles[2:]) == [0.25, 2.0]


def test_shift_rules_by_gate_family():
    qc = QuantumCircuit(2)
    qc.rx(theta[0], 0)
    qc.rzz(theta[0], 0, 1)
    qc.crx(theta[1], 0, 1)
    qc.cp(theta[1], 0, 1)
    qc.global_phase = theta[0]
    rules = compile_circuit(qc).shift_rules
    assert rules[1:5] == (TWO_TERM, TWO_TERM, FOUR_TERM, TWO_TERM)
    assert rules[0] == ()  # global phase: no expectation depends on it
    assert TWO_TERM[0] == (0.5, math.pi / 2)


def test_expanded_circuit_binds_angles_to_the_same_state():
    qc = random_circuit(4, 25, seed=3)
    cc = compile_circuit(qc)
    gen = torch.Generator().manual_seed(0)
    xs = torch.randn(2, cc.n_inputs, dtype=torch.float64, generator=gen)
    ws = torch.randn(cc.n_weights, dtype=torch.float64, generator=gen)
    angles = cc.angles(xs, ws)
    expanded = cc.expanded_circuit()
    assert {p.vector.name for p in expanded.parameters} <= {"g"}
    for circ, state in zip(cc.bind_angles(angles), cc.state(xs, ws), strict=True):
        np.testing.assert_allclose(Statevector(circ).data, state.numpy(), atol=1e-9)


def test_state_from_angles_differs_per_row():
    qc = QuantumCircuit(1)
    qc.ry(theta[0], 0)
    cc = compile_circuit(qc)
    angles = torch.tensor([[0.0], [math.pi]], dtype=torch.float64)
    np.testing.assert_allclose(
        cc.expectations_from_angles(angles).numpy(), [[1.0], [-1.0]], atol=1e-12
    )
