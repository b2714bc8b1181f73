"""Unsupported instructions and parameter expressions fail with clear CircuitErrors."""

from __future__ import annotations

import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, Parameter, ParameterVector

from qmlsec.engine import compile_circuit
from qmlsec.exceptions import CircuitError, ConfigError

x = ParameterVector("x", 2)
theta = ParameterVector("theta", 2)


def _one(expr) -> QuantumCircuit:
    qc = QuantumCircuit(1)
    qc.rx(expr, 0)
    return qc


@pytest.mark.parametrize("expr", [x[0] * x[1], x[0] * theta[0], x[0] ** 2, (x[0]).sin()])
def test_non_linear_angle_is_rejected(expr):
    with pytest.raises(CircuitError, match="not linear"):
        compile_circuit(_one(expr))


def test_foreign_parameter_is_rejected():
    with pytest.raises(CircuitError, match="ParameterVector"):
        compile_circuit(_one(Parameter("alpha")))


@pytest.mark.parametrize("op", ["measure", "reset"])
def test_non_unitary_instructions_are_rejected(op):
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    if op == "measure":
        qc.measure(0, 0)
    else:
        qc.reset(0)
    with pytest.raises(CircuitError, match="not a unitary"):
        compile_circuit(qc)


def test_opaque_parametrised_gate_is_rejected():
    qc = QuantumCircuit(1)
    qc.append(Gate("mystery", 1, [theta[0]]), [0])
    with pytest.raises(CircuitError, match="mystery"):
        compile_circuit(qc)


def test_gate_with_linear_definition_is_inlined():
    sub = QuantumCircuit(1, name="wrapped")
    sub.ry(2 * theta[0] + 0.5, 0)
    qc = QuantumCircuit(1)
    qc.append(sub.to_gate(), [0])
    qc.r(theta[1], x[0], 0)  # RGate is defined through U3 with linear angles
    cc = compile_circuit(qc)
    assert cc.n_angles >= 2


def test_barrier_is_ignored_and_global_phase_kept():
    qc = QuantumCircuit(1, global_phase=0.3)
    qc.barrier()
    qc.x(0)
    state = compile_circuit(qc).state()
    assert torch.allclose(
        state,
        torch.tensor(
            [[0, complex(torch.tensor(0.3).cos(), torch.tensor(0.3).sin())]], dtype=torch.complex128
        ),
    )


def test_bad_dtype_and_shapes_raise_config_errors():
    qc = _one(x[0] + theta[0])
    with pytest.raises(ConfigError):
        compile_circuit(qc, dtype=torch.float64)
    cc = compile_circuit(qc)
    with pytest.raises(ConfigError):
        cc.expectations(torch.zeros(3, 5), torch.zeros(2))
    with pytest.raises(ConfigError):
        cc.expectations(torch.zeros(3, 2), torch.zeros(7))
    with pytest.raises(ConfigError):
        compile_circuit(qc, ["ZZ"])
