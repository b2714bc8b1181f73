"""Execution counts are exact: forward plus every shifted or perturbed circuit."""

from __future__ import annotations

import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp

from qmlsec.engine import compile_circuit
from qmlsec.gradients import differentiated, get_gradient

x = ParameterVector("x", 1)
theta = ParameterVector("theta", 2)


def _circuit(observables=None):
    qc = QuantumCircuit(2)
    qc.rz(x[0], 0)  # input-only angle: two-term rule
    qc.ry(theta[0], 0)  # weight angle: two-term
    qc.crx(theta[1], 0, 1)  # weight angle: four-term
    qc.rzz(theta[0] + x[0], 0, 1)  # mixed angle: two-term
    return compile_circuit(qc, observables)


def test_parameter_shift_counts_each_shifted_circuit():
    cc = _circuit()
    ps = get_gradient("parameter-shift")
    assert ps.executions(cc, 10) == 10 * (1 + 2 + 4 + 2)
    assert ps.executions(cc, 10, inputs_grad=True, weights_grad=False) == 10 * (1 + 2 + 2)
    assert ps.executions(cc, 10, inputs_grad=True) == 10 * (1 + 2 + 2 + 4 + 2)
    assert ps.executions(cc, 10, weights_grad=False) == 10


def test_spsa_finite_diff_and_backprop_counts():
    cc = _circuit()
    assert get_gradient("spsa", resamples=3).executions(cc, 7) == 7 * (1 + 6)
    assert get_gradient("finite-diff").executions(cc, 7) == 7 * (1 + 2 * 3)
    assert get_gradient("backprop").executions(cc, 7) == 7


def test_counts_scale_with_measurement_bases():
    cc = _circuit([SparsePauliOp("ZZ"), SparsePauliOp("XI")])
    assert cc.measurement.n_circuits == 2
    assert get_gradient("parameter-shift").executions(cc, 1) == 2 * (1 + 2 + 4 + 2)


def test_counted_executions_match_executor_calls():
    cc = _circuit()
    rows = []

    def executor(angles):
        rows.append(angles.shape[0])
        return cc.expectations_from_angles(angles)

    xs = torch.rand(5, 1, dtype=torch.float64, requires_grad=True)
    ws = torch.rand(2, dtype=torch.float64, requires_grad=True)
    for name in ("parameter-shift", "spsa", "finite-diff"):
        rows.clear()
        method = get_gradient(name)
        method.expectations(cc, xs, ws, executor).sum().backward()
        assert sum(rows) == method.executions(cc, 5, inputs_grad=True)


def test_differentiated_mask():
    cc = _circuit()
    assert differentiated(cc, False, True).tolist() == [False, True, True, True]
    assert differentiated(cc, True, False).tolist() == [True, False, False, True]
