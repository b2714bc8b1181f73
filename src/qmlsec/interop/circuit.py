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
from qiskit.circuit import Parameter, ParameterExpression, ParameterVector
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import SparsePauliOp

from qmlsec.engine.lowering import linear_form
from qmlsec.exceptions import CircuitError

_SKIP = {"barrier"}
_MAX_ROUNDS = 12


def normalise(
    circuit: QuantumCircuit, inputs: Sequence[Parameter], weights: Sequence[Parameter]
) -> QuantumCircuit:
    """``circuit`` in standard gates with ``inputs -> x[i]`` and ``weights -> theta[j]``.

    Every angle must be linear in the inputs and weights (see :func:`normalise_with_terms`
    for feature maps that are not).

    Raises:
        CircuitError: a parameter that is neither an input nor a weight, a gate without a
            definition in standard gates, a measurement before the end, a reset or
            classically controlled operation, or an angle not linear in the inputs.
    """
    qc, terms = normalise_with_terms(circuit, inputs, weights)
    if terms is not None:
        raise CircuitError(
            "gate angles are non-linear in the inputs",
            hint="use normalise_with_terms, which derives circuit inputs from the features",
        )
    return qc


def normalise_with_terms(
    circuit: QuantumCircuit, inputs: Sequence[Parameter], weights: Sequence[Parameter]
) -> tuple[QuantumCircuit, list[Any] | None]:
    """Like :func:`normalise`, for angles ``f(inputs) + linear(weights)`` with any ``f``.

    Each distinct non-linear input part ``f`` (such as ``ZZFeatureMap``'s
    ``2 (pi - a)(pi - b)``) becomes a circuit input of its own, appended after the
    features; the returned feature terms (``None`` when every angle is linear) compute
    the circuit's ``x`` from the features (see
    :func:`qmlsec.models.imported.evaluate_term`), differentiably. Angles where weights
    enter non-linearly or multiply inputs are refused.
    """
    declared = {*inputs, *weights}
    stray = sorted(p.name for p in circuit.parameters if p not in declared)
    if stray:
        raise CircuitError(
            f"circuit parameters {stray} are neither inputs nor weights",
            hint="declare them as input or weight parameters of the model",
        )
    qc = strip_final_measurements(circuit)
    inp = ParameterVector("_in", len(inputs))
    theta = ParameterVector("theta", len(weights))
    binding: dict[Any, Any] = {p: inp[i] for i, p in enumerate(inputs)}
    binding.update({p: theta[j] for j, p in enumerate(weights)})
    qc = _standard(qc.assign_parameters(binding, inplace=False))
    derived: dict[str, tuple[Parameter, Any]] = {}
    out = QuantumCircuit(qc.num_qubits, name=qc.name, global_phase=qc.global_phase)
    for inst in qc.data:
        op = inst.operation
        params = [_split(p, derived) for p in op.params]
        if params != list(op.params):
            op = op.copy()
            op.params = params
        out.append(op, [qc.find_bit(q).index for q in inst.qubits])
    n, k = len(inputs), len(derived)
    x = ParameterVector("x", n + k)
    final: dict[Any, Any] = {inp[i]: x[i] for i in range(n)}
    final.update({u: x[n + j] for j, (u, _) in enumerate(derived.values())})
    out.assign_parameters({p: v for p, v in final.items() if p in out.parameters}, inplace=True)
    if not derived:
        return out, None
    return out, [["x", i] for i in range(n)] + [tree for _, tree in derived.values()]


def _standard(qc: QuantumCircuit) -> QuantumCircuit:
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


def _split(expr: Any, derived: dict[str, tuple[Parameter, Any]]) -> Any:
    """``expr`` with its non-linear input part replaced by a derived input's placeholder."""
    if not (isinstance(expr, ParameterExpression) and expr.parameters):
        return expr
    try:
        linear_form(expr, "_in", "theta")
        return expr
    except CircuitError:
        pass
    sym = expr.sympify()
    weights = [s for s in sym.free_symbols if s.name.startswith("theta[")]
    linear: Any = 0
    w_part: Any = 0.0
    by_name = {p.name: p for p in expr.parameters}
    for w in weights:
        d = sym.diff(w)
        if d.free_symbols:
            raise CircuitError(
                f"gate angle {expr} is not linear in the weight {w.name} (derivative {d})",
                hint="weights must enter gate angles linearly and not multiply inputs",
            )
        linear = linear + d * w
        w_part = w_part + float(d) * by_name[w.name]
    rest = sym - linear
    key = str(rest)
    if key not in derived:
        derived[key] = (Parameter(f"_u{len(derived)}"), _tree(rest))
    return derived[key][0] + w_part


def _tree(e: Any) -> Any:
    """A sympy expression of the inputs ``_in[i]`` as a feature-term tree."""
    if e.is_Symbol:
        name = str(e.name)
        if not name.startswith("_in["):
            raise CircuitError(f"unexpected symbol {name} in an input feature map")
        return ["x", int(name[4:-1])]
    if e.is_number:
        value = complex(e)
        if abs(value.imag) > 1e-12:
            raise CircuitError(f"complex constant {e} in an input feature map")
        return ["c", value.real]
    if e.is_Add:
        return ["add", *(_tree(a) for a in e.args)]
    if e.is_Mul:
        return ["mul", *(_tree(a) for a in e.args)]
    if e.is_Pow:
        base, exponent = e.args
        if not exponent.is_number:
            raise CircuitError(f"input feature map {e} has a non-constant exponent")
        return ["pow", _tree(base), float(exponent)]
    name = type(e).__name__
    if name in ("sin", "cos", "tan", "exp", "log") and len(e.args) == 1:
        return [name, _tree(e.args[0])]
    raise CircuitError(
        f"input feature map function {name} in {e} is not supported",
        hint="feature maps of +, *, powers, sin, cos, tan, exp and log import",
    )


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
