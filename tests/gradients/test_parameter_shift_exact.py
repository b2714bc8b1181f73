"""Parameter shift equals backprop on exact expectations, incl. shared weights."""

from __future__ import annotations

import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp

from qmlsec.circuits import QNNSpec
from qmlsec.engine import compile_circuit
from qmlsec.gradients import get_gradient


def _shared_weight_circuit():
    """theta[0] appears in four gates, two of which need the four-term rule."""
    x = ParameterVector("x", 2)
    theta = ParameterVector("theta", 3)
    qc = QuantumCircuit(3)
    qc.h([0, 1, 2])
    qc.rz(x[0], 0)
    qc.ry(x[1] + 0.5 * theta[1], 1)
    qc.rx(theta[0], 0)
    qc.crx(2 * theta[0] - 0.3, 0, 1)
    qc.cry(theta[2], 1, 2)
    qc.rzz(-theta[0] + x[0], 1, 2)
    qc.u(theta[1], theta[0], x[1], 2)
    qc.crz(theta[2] + x[1], 2, 0)
    qc.cp(theta[1], 0, 2)
    qc.rzx(theta[2], 0, 1)
    obs = [SparsePauliOp("ZZI"), SparsePauliOp("XIY"), SparsePauliOp("IIZ")]
    return compile_circuit(qc, obs)


def _data(cc, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(4, cc.n_inputs, dtype=torch.float64, generator=gen)
    theta = torch.randn(cc.n_weights, dtype=torch.float64, generator=gen)
    w = torch.randn(4, cc.n_observables, dtype=torch.float64, generator=gen)
    return x, theta, w


def _grad(method, cc, x, theta, w, wrt_x=True):
    x = x.clone().requires_grad_(wrt_x)
    theta = theta.clone().requires_grad_()
    (method.expectations(cc, x, theta) * w).sum().backward()
    return (x.grad if wrt_x else None), theta.grad


@pytest.mark.parametrize(
    "builder",
    [
        _shared_weight_circuit,
        lambda: compile_circuit(
            QNNSpec(n_qubits=3, layers=2, ansatz="strongly_entangling").build()
        ),
    ],
)
def test_parameter_shift_equals_backprop_for_weights_and_inputs(builder):
    cc = builder()
    x, theta, w = _data(cc)
    gx, gt = _grad(get_gradient("parameter-shift"), cc, x, theta, w)
    bx, bt = _grad(get_gradient("backprop"), cc, x, theta, w)
    torch.testing.assert_close(gt, bt, atol=1e-8, rtol=0)
    torch.testing.assert_close(gx, bx, atol=1e-8, rtol=0)


def test_forward_values_are_the_exact_expectations():
    cc = _shared_weight_circuit()
    x, theta, _ = _data(cc)
    out = get_gradient("parameter-shift").expectations(cc, x, theta)
    torch.testing.assert_close(out, cc.expectations(x, theta), atol=1e-12, rtol=0)


def test_small_max_rows_gives_the_same_gradient():
    cc = _shared_weight_circuit()
    x, theta, w = _data(cc, seed=1)
    _, a = _grad(get_gradient("parameter-shift"), cc, x, theta, w)
    _, b = _grad(get_gradient("parameter-shift", max_rows=5), cc, x, theta, w)
    torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


def test_input_only_angles_are_not_shifted_without_input_gradients():
    cc = _shared_weight_circuit()
    x, theta, w = _data(cc)
    calls = []

    def executor(angles):
        calls.append(angles.shape[0])
        return cc.expectations_from_angles(angles)

    theta = theta.requires_grad_()
    (get_gradient("parameter-shift").expectations(cc, x, theta, executor) * w).sum().backward()
    shifted_rows = sum(calls[1:])
    ps = get_gradient("parameter-shift")
    expected = ps.executions(cc, 4) // cc.measurement.n_circuits - 4
    assert shifted_rows == expected
    assert calls[0] == 4
