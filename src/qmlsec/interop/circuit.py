"""Bring a foreign circuit into the engine's form: standard gates over ``x`` and ``theta``.

The engine (:func:`qmlsec.engine.compile_circuit`) takes circuits whose gate angles are
linear in two ParameterVectors, ``x`` (inputs) and ``theta`` (weights). :func:`normalise`
renames the source's input and weight parameters to those vectors, drops barriers and
final measurements, and inlines every non-standard gate through its definition; a gate
without one, or a non-unitary instruction, is refused by name.

Example:
    >>> from qiskit.circuit import Parameter, QuantumCircuit
    >>> a, w = Parameter("a"), Parameter("w")
    >>> qc = QuantumCircuit(1)
    >>> _ = qc.ry(2 * a + w, 0)
    >>> str(normalise(qc, [a], [w]).data[0].operation.params[0])
    'theta[0] + 2*x[0]'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import SparsePauliOp

from qmlsec.exceptions import CircuitError

_SKIP = {"barrier"}
_MAX_ROUNDS = 12


def normalise(
    circuit: QuantumCircuit, inputs: Sequence[Parameter], weights: Sequence[Parameter]
) -> QuantumCircuit:
    """``circuit`` in standard gates with ``inputs -> x[i]`` and ``weights -> theta[j]``.

    Raises:
        CircuitError: a parameter that is neither an input nor a weight, a gate without a
            definition in standard gates, a measurement before the end, or a reset or
            classically controlled operation.
    """
    declared = {*inputs, *weights}
    stray = sorted(p.name for p in circuit.parameters if p not in declared)
    if stray:
        raise CircuitError(
            f"circuit parameters {stray} are neither inputs nor weights",
            hint="declare them as input or weight parameters of the model",
        )
    qc = strip_final_measurements(circuit)
    x = ParameterVector("x", len(inputs))
    theta = ParameterVector("theta", len(weights))
    binding: dict[Any, Any] = {p: x[i] for i, p in enumerate(inputs)}
    binding.update({p: theta[j] for j, p in enumerate(weights)})
    qc = qc.assign_parameters(binding, inplace=False)
    standard = set(get_standard_gate_name_mapping()) - {"measure", "reset", "delay"}
    for _ in range(_MAX_ROUNDS):
        foreign = sorted({i.operation.name for i in qc.data} - standard - _SKIP)
        if not foreign:
            return qc
        stuck = [
            name
            for name in foreign
            if any(i.operation.name == name and i.operation.definition is None for i in qc.data)
        ]
        if stuck:
            raise CircuitError(
                f"unsupported operation(s) {stuck}: not a unitary gate of Qiskit's standard set "
                "and no definition in standard gates",
                hint="use standard gates (rx, ry, rz, u, cx, cz, h, ...) or define the gate",
            )
        qc = qc.decompose(gates_to_decompose=foreign)
    raise CircuitError("the circuit does not decompose into standard gates")


def strip_final_measurements(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` without barriers and its final measurements (refuses mid-circuit ones)."""
    plain = QuantumCircuit(circuit.num_qubits, name=circuit.name, global_phase=circuit.global_phase)
    measured: set[int] = set()
    for inst in circuit.data:
        op = inst.operation
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if op.name == "measure":
            measured.update(qubits)
        elif op.name == "barrier":
            continue
        elif op.name in ("reset", "store") or getattr(op, "blocks", None) or measured & set(qubits):
            raise CircuitError(
                f"operation {op.name!r} on qubits {qubits} is not part of a unitary circuit "
                "(reset, control flow or an operation after a measurement)",
                hint="the engine simulates a unitary circuit measured at the end",
            )
        else:
            plain.append(op, qubits)
    return plain


def readout_of(observables: Sequence[Any], n_qubits: int) -> list[list[tuple[str, float]]]:
    """``[(Qiskit label, real coefficient), ...]`` per observable (Hermitian Paulis only)."""
    out = []
    for obs in observables:
        op = obs if isinstance(obs, SparsePauliOp) else SparsePauliOp(obs)
        if op.num_qubits != n_qubits:
            raise CircuitError(
                f"observable on {op.num_qubits} qubits for a {n_qubits}-qubit circuit",
                hint="pad the Pauli strings to the circuit's width",
            )
        terms = []
        for label, coeff in op.to_list():
            c = complex(coeff)
            if abs(c.imag) > 1e-12:
                raise CircuitError(f"observable term {label} has a complex coefficient {c}")
            terms.append((str(label), c.real))
        out.append(terms)
    return out
