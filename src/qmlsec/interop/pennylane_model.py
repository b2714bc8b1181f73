"""Import a PennyLane model: a QNode or ``qml.qnn.TorchLayer`` (+ torch head, + scikit-learn).

The QNode's tape (built once with float64 inputs and weights) is decomposed into the
operations PennyLane and Qiskit share and converted gate by gate (PennyLane wire ``k``
of the device becomes Qiskit qubit ``k``; ``Rot(φ, θ, ω)`` becomes ``RZ(φ) RY(θ) RZ(ω)``;
templates such as ``AngleEmbedding`` and ``StronglyEntanglingLayers`` decompose into
those). Every gate angle must be an affine function of the inputs and weights: its
coefficients are read with autograd and checked at a second random point, so classical
processing inside the QNode (``qml.RX(2 * x[0] + 1, ...)``) converts exactly and
non-affine processing is refused. Measurements must be ``qml.expval`` of Pauli words or
sums of them. Unsupported operations are refused by name.

PennyLane's ``TorchLayer`` keeps float32 weights by default; the import converts them
exactly to float64 and compares PennyLane's float64 evaluation with the engine's.

Example:
    >>> import pennylane as qml, torch
    >>> dev = qml.device("default.qubit", wires=2)
    >>> @qml.qnode(dev, interface="torch")
    ... def circuit(inputs, weights):
    ...     qml.AngleEmbedding(inputs, wires=range(2))
    ...     qml.BasicEntanglerLayers(weights, wires=range(2))
    ...     return [qml.expval(qml.PauliZ(k)) for k in range(2)]
    >>> layer = qml.qnn.TorchLayer(circuit, {"weights": (1, 2)})
    >>> clf = from_pennylane(layer, n_inputs=2)
    >>> clf.agreement_["max_abs_deviation"] < 1e-8, clf.model_.compiled.n_weights
    (True, 2)
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import get_standard_gate_name_mapping

from qmlsec.exceptions import CircuitError, ConfigError
from qmlsec.interop.build import assemble
from qmlsec.interop.classical import preprocessing_of
from qmlsec.interop.extras import require
from qmlsec.models.imported import ImportedClassifier, Output

#: PennyLane operation -> Qiskit standard gate (same matrix, same argument order).
GATES = {
    "RX": "rx", "RY": "ry", "RZ": "rz", "PhaseShift": "p", "U1": "p", "U3": "u",
    "CNOT": "cx", "CZ": "cz", "CY": "cy", "SWAP": "swap", "Hadamard": "h",
    "PauliX": "x", "PauliY": "y", "PauliZ": "z", "S": "s", "T": "t", "SX": "sx",
    "Adjoint(S)": "sdg", "Adjoint(T)": "tdg", "Adjoint(SX)": "sxdg",
    "CRX": "crx", "CRY": "cry", "CRZ": "crz", "ControlledPhaseShift": "cp",
    "IsingXX": "rxx", "IsingYY": "ryy", "IsingZZ": "rzz", "Toffoli": "ccx", "CSWAP": "cswap",
}  # fmt: skip
#: Operations converted by a rule of their own.
SPECIAL = ("Rot", "U2", "Identity", "GlobalPhase")
_REL = 1e-9


def from_pennylane(
    model: Any,
    *,
    weights: Mapping[str, Any] | None = None,
    head: torch.nn.Module | None = None,
    preprocessing: Any = None,
    input_arg: str = "inputs",
    n_inputs: int | None = None,
    classes: Sequence[Any] | None = None,
    output: Output | None = None,
    sample_inputs: np.ndarray | None = None,
    tolerance: float = 1e-8,
    seed: int = 0,
) -> ImportedClassifier:
    """Import a PennyLane model as an :class:`ImportedClassifier` (module docstring).

    Args:
        model: a ``qml.qnn.TorchLayer``, a QNode, or a ``torch.nn.Sequential`` whose first
            module is a ``TorchLayer`` and whose other modules are the head.
        weights: the QNode's trained weight arguments ``{name: array}`` (a TorchLayer
            holds its own).
        head: torch layers after the quantum outputs (Linear and activations).
        preprocessing: a fitted scikit-learn scaler / PCA / Pipeline applied to raw inputs.
        input_arg: the QNode's input argument (a TorchLayer knows its own).
        n_inputs: features the QNode takes (default: from ``preprocessing`` or
            ``sample_inputs``, else one per wire).
        classes: the labels of the outputs (default ``0..k-1``).
        output: ``logits`` or ``probabilities`` (default: ``probabilities`` when the head
            ends with a softmax, else ``logits``).
        sample_inputs: raw inputs the agreement is checked on (default: 32 seeded normals).
        tolerance: the largest accepted deviation from PennyLane.
        seed: seed of the default sample inputs and of retraining.

    Raises:
        ConfigError: missing ``pennylane`` (names the extra), bad weights or head.
        CircuitError: an unsupported operation, measurement or non-affine gate angle;
            disagreement with PennyLane beyond ``tolerance``.
    """
    qml = require("pennylane", "pennylane")
    qnode, weights, head, input_arg = _parts(qml, model, weights, head, input_arg)
    pre = preprocessing_of(preprocessing, None)
    if n_inputs is None:
        if pre is not None:
            n_inputs = pre.n_features_out
        elif sample_inputs is not None:
            n_inputs = int(np.asarray(sample_inputs).shape[1])
        else:
            n_inputs = len(_wires(qnode, None))
    w64 = {
        k: torch.as_tensor(np.asarray(_numpy(v)), dtype=torch.float64) for k, v in weights.items()
    }
    circuit, readout = tape_to_circuit(qml, qnode, input_arg, n_inputs, w64, seed)
    theta = np.concatenate([w.reshape(-1).numpy() for w in w64.values()] or [np.zeros(0)])
    if output is None:
        last = list(head.modules())[-1] if head is not None else None
        output = "probabilities" if isinstance(last, torch.nn.Softmax) else "logits"
    d_raw = pre.n_features_in if pre is not None else n_inputs
    if sample_inputs is None:
        sample_inputs = np.random.default_rng(seed).normal(size=(32, d_raw))

    def reference(X: np.ndarray) -> np.ndarray:
        feats = np.array(
            preprocessing.transform(X) if preprocessing is not None else X, dtype=np.float64
        )
        rows = []
        with torch.no_grad():
            for row in feats:  # one input at a time: the QNode's own (unbatched) semantics
                out = qnode(**{input_arg: torch.as_tensor(row)}, **w64)
                q = torch.stack(list(out)) if isinstance(out, list | tuple) else out
                rows.append(q.reshape(-1).to(torch.float64))
            q = torch.stack(rows)
            if head is not None:
                q = copy.deepcopy(head).double()(q)
        return q.numpy()

    return assemble(
        circuit=circuit, readout=readout, theta=theta, source="pennylane",
        reference=reference, sample_inputs=np.asarray(sample_inputs, dtype=np.float64),
        head=head, preprocessing=pre, output=output, classes=classes,
        tolerance=tolerance, seed=seed,
    )  # fmt: skip


def _numpy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _parts(
    qml: Any, model: Any, weights: Any, head: Any, input_arg: str
) -> tuple[Any, dict[str, Any], Any, str]:
    layer = None
    if (
        isinstance(model, torch.nn.Sequential)
        and len(model)
        and isinstance(model[0], qml.qnn.TorchLayer)
    ):
        if head is not None:
            raise ConfigError("the Sequential already holds the head; do not pass head= too")
        layer = model[0]
        rest = list(model)[1:]
        head = torch.nn.Sequential(*rest) if rest else None
    elif isinstance(model, qml.qnn.TorchLayer):
        layer = model
    if layer is not None:
        if weights is not None:
            raise ConfigError("a TorchLayer holds its weights; do not pass weights= too")
        weights = {k: v.detach() for k, v in layer.qnode_weights.items()}
        return layer.qnode, weights, head, layer.input_arg
    if not isinstance(model, qml.QNode):
        raise ConfigError(
            f"a PennyLane model must be a QNode, a TorchLayer or a Sequential starting with one, "
            f"got {type(model).__name__}",
            hint="reference the object that holds the circuit (module:object)",
        )
    return model, dict(weights or {}), head, input_arg


def _wires(qnode: Any, tape: Any) -> list[Any]:
    wires = getattr(qnode.device, "wires", None)
    if wires is not None and len(wires):
        return list(wires)
    if tape is None:
        raise ConfigError("the QNode's device declares no wires; pass n_inputs")
    return list(tape.wires)


def _tape(qml: Any, qnode: Any, input_arg: str, x: torch.Tensor, w: dict[str, torch.Tensor]) -> Any:
    try:
        tape = qml.workflow.construct_tape(qnode, level="top")(**{input_arg: x}, **w)
    except Exception as err:  # noqa: BLE001 - the user's QNode may raise anything
        shapes = {k: tuple(v.shape) for k, v in w.items()}
        raise ConfigError(
            f"the QNode fails with {input_arg} of shape {tuple(x.shape)} and weights {shapes}: "
            f"{type(err).__name__}: {' '.join(str(err).split())}",
            hint="pass input_arg=, n_inputs= and weights of the shapes the QNode was trained with",
        ) from None
    gate_set = set(GATES) | set(SPECIAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (tape,), _ = qml.transforms.decompose(tape, gate_set=gate_set)
    bad = sorted({op.name for op in tape.operations if op.name not in gate_set})
    if bad:
        raise CircuitError(
            f"unsupported PennyLane operation(s) {bad}: they have no exact Qiskit equivalent "
            "in the gates both frameworks share",
            hint=f"use {', '.join(sorted(gate_set))} or templates that decompose into them",
        )
    return tape


def _affine(
    params: list[Any], x: torch.Tensor, w: list[torch.Tensor]
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    leaves = [x, *w]
    out = []
    for p in params:
        if not (isinstance(p, torch.Tensor) and p.requires_grad):
            out.append((np.zeros(x.numel()), np.zeros(sum(t.numel() for t in w)), float(p)))
            continue
        grads = torch.autograd.grad(p, leaves, retain_graph=True, allow_unused=True)
        flat = [torch.zeros(t.numel(), dtype=torch.float64) if g is None else g.reshape(-1)
                for g, t in zip(grads, leaves, strict=True)]  # fmt: skip
        gx, gw = flat[0], torch.cat(flat[1:]) if len(flat) > 1 else torch.zeros(0)
        wv = torch.cat([t.detach().reshape(-1) for t in w]) if w else torch.zeros(0)
        const = float(p.detach() - gx @ x.detach() - gw @ wv)
        out.append((gx.numpy(), gw.numpy(), 0.0 if abs(const) < 1e-14 else const))
    return out


def tape_to_circuit(
    qml: Any, qnode: Any, input_arg: str, n_inputs: int, weights: dict[str, torch.Tensor], seed: int
) -> tuple[QuantumCircuit, list[list[tuple[str, float]]]]:
    """The QNode as a Qiskit circuit over ``x``/``theta`` and its readout (module docstring)."""
    gen = torch.Generator().manual_seed(seed)

    def point() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        x = (torch.rand(n_inputs, generator=gen, dtype=torch.float64) * 2 - 1).requires_grad_(True)
        w = {k: (v + torch.rand(v.shape, generator=gen, dtype=torch.float64) - 0.5).requires_grad_(True)
             for k, v in weights.items()}  # fmt: skip
        return x, w

    x0, w0 = point()
    tape = _tape(qml, qnode, input_arg, x0, w0)
    params = [p for op in tape.operations for p in op.data]
    rows = _affine(params, x0, list(w0.values()))
    x1, w1 = point()
    tape1 = _tape(qml, qnode, input_arg, x1, w1)
    if [(o.name, o.wires.tolist()) for o in tape1.operations] != [
        (o.name, o.wires.tolist()) for o in tape.operations
    ]:
        raise CircuitError("the QNode's gate sequence depends on the input or weight values",
                           hint="remove data-dependent control flow from the circuit")  # fmt: skip
    flat1 = torch.cat([t.detach().reshape(-1) for t in w1.values()]) if w1 else torch.zeros(0)
    values1 = [p for op in tape1.operations for p in op.data]
    for (gx, gw, c), v, op_name in zip(rows, values1, _param_owners(tape), strict=True):
        predicted = gx @ x1.detach().numpy() + gw @ flat1.numpy() + c
        actual = float(v.detach() if isinstance(v, torch.Tensor) else v)
        if abs(predicted - actual) > _REL * (1 + abs(actual)):
            raise CircuitError(
                f"the angle of {op_name} is not an affine function of the inputs and weights",
                hint="move non-linear feature maps into the classical pre-processing",
            )
    wires = _wires(qnode, tape)
    index = {w: k for k, w in enumerate(wires)}
    xv = ParameterVector("x", n_inputs)
    tv = ParameterVector("theta", int(sum(v.numel() for v in weights.values())))

    def expr(row: tuple[np.ndarray, np.ndarray, float]) -> Any:
        gx, gw, c = row
        e: Any = c
        for i in np.flatnonzero(gx):
            e = e + float(gx[i]) * xv[int(i)]
        for j in np.flatnonzero(gw):
            e = e + float(gw[j]) * tv[int(j)]
        return e

    standard = get_standard_gate_name_mapping()
    qc = QuantumCircuit(len(wires), name="pennylane")
    k = 0
    for op in tape.operations:
        angles = [expr(rows[k + i]) for i in range(len(op.data))]
        k += len(op.data)
        qubits = [index[w] for w in op.wires]
        if op.name == "Rot":
            phi, theta, omega = angles
            qc.rz(phi, qubits[0])
            qc.ry(theta, qubits[0])
            qc.rz(omega, qubits[0])
        elif op.name == "U2":
            qc.u(math.pi / 2, angles[0], angles[1], qubits[0])
        elif op.name == "GlobalPhase":
            qc.global_phase -= angles[0]
        elif op.name != "Identity":
            qc.append(type(standard[GATES[op.name]])(*angles), qubits)
    return qc, _readout(tape, index)


def _param_owners(tape: Any) -> list[str]:
    return [f"{op.name} on wires {op.wires.tolist()}" for op in tape.operations for _ in op.data]


def _readout(tape: Any, index: dict[Any, int]) -> list[list[tuple[str, float]]]:
    n = len(index)
    out = []
    for m in tape.measurements:
        kind = type(m).__name__
        obs = getattr(m, "obs", None)
        rep = getattr(obs, "pauli_rep", None) if obs is not None else None
        if kind != "ExpectationMP" or rep is None:
            raise CircuitError(
                f"unsupported measurement {m}: only expectation values of Pauli observables import",
                hint="return qml.expval(...) of Pauli words or sums of them",
            )
        terms = []
        for word, coeff in rep.items():
            label = ["I"] * n
            for wire, pauli in word.items():
                label[n - 1 - index[wire]] = pauli
            terms.append(("".join(label), float(np.real(coeff))))
        out.append(terms)
    return out
