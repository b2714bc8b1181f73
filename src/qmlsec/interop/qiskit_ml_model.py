"""Import a Qiskit Machine Learning model: ``EstimatorQNN``, ``SamplerQNN`` (with its
``interpret``), a fitted ``NeuralNetworkClassifier`` or a ``TorchConnector`` (alone or
first in a ``torch.nn.Sequential`` whose other modules are the head).

The network's circuit, input and weight parameters, observables and trained weights
(the classifier's ``weights``, the connector's ``weight``) are read through their public
properties. Input and weight parameters become the engine's ``x`` and ``theta`` in the
network's order; gates outside Qiskit's standard set are inlined through their
definitions. Weights must enter the angles linearly; an input part that is not linear
(``ZZFeatureMap``'s ``2 (pi - a)(pi - b)``) becomes a derived circuit input computed from
the features by the model's differentiable feature map, as qmlsec's own IQP encoding
does, so input gradients stay exact.

A ``SamplerQNN`` returns the probabilities of the classes its ``interpret`` function
assigns to the measured integers. The import tabulates ``interpret`` over every basis
state and writes each class's probability as the expectation of a diagonal observable
(its indicator, expanded exactly in Z strings by a Walsh-Hadamard transform), so the
engine, shots and the quantum cloud treat it like any readout.

Exact mode: ``EstimatorQNN`` adds Gaussian noise of its ``default_precision`` to every
expectation and ``SamplerQNN`` samples shots, so the agreement check compares with the
same network evaluated exactly: an ``EstimatorQNN`` twin (same circuit, observables and
parameters) on ``StatevectorEstimator`` with precision 0, and for a ``SamplerQNN`` the
Born probabilities of ``qiskit.quantum_info.Statevector`` passed through ``interpret``.

A ``NeuralNetworkClassifier`` over a one-output network predicts the sign of that output
(classes -1 and +1): the import reads it as ``output="sign"``.

Example:
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import ParameterVector
    >>> from qiskit_machine_learning.neural_networks import EstimatorQNN
    >>> x, w = ParameterVector("in", 2), ParameterVector("w", 2)
    >>> qc = QuantumCircuit(2)
    >>> _ = qc.ry(x[0], 0); _ = qc.ry(x[1], 1); _ = qc.cx(0, 1); _ = qc.ry(w[0], 0); _ = qc.ry(w[1], 1)
    >>> qnn = EstimatorQNN(circuit=qc, input_params=list(x), weight_params=list(w))
    >>> clf = from_qiskit_ml(qnn, weights=[0.1, 0.2])
    >>> clf.spec().output, clf.agreement_["max_abs_deviation"] < 1e-8
    ('sign', True)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from qmlsec.exceptions import CircuitError, ConfigError
from qmlsec.interop.build import assemble
from qmlsec.interop.circuit import normalise_with_terms, readout_of, strip_final_measurements
from qmlsec.interop.classical import preprocessing_of
from qmlsec.interop.extras import require
from qmlsec.models.imported import ImportedClassifier, Output

MAX_SAMPLER_QUBITS = 12


def from_qiskit_ml(
    model: Any,
    *,
    weights: Any = None,
    head: torch.nn.Module | None = None,
    preprocessing: Any = None,
    classes: Sequence[Any] | None = None,
    output: Output | None = None,
    sample_inputs: np.ndarray | None = None,
    tolerance: float = 1e-8,
    seed: int = 0,
) -> ImportedClassifier:
    """Import a Qiskit Machine Learning model (module docstring).

    Args:
        model: ``EstimatorQNN``, ``SamplerQNN``, fitted ``NeuralNetworkClassifier``,
            ``TorchConnector`` or ``Sequential(TorchConnector, head...)``.
        weights: the trained weights of a bare network (classifiers and connectors
            hold theirs).
        head, preprocessing, classes, output, sample_inputs, tolerance, seed: as for
            :func:`~qmlsec.interop.pennylane_model.from_pennylane`.

    Raises:
        ConfigError: missing ``qiskit-machine-learning`` (names the extra), an unfitted
            classifier, weights of the wrong shape.
        CircuitError: unsupported gates or angles; disagreement beyond ``tolerance``.
    """
    require("qiskit_machine_learning", "qiskit-ml")
    qnn, theta, head, default_output, default_classes = _parts(model, weights, head)
    circuit, terms, readout, exact = _network(qnn)
    theta = np.asarray(theta, dtype=np.float64).reshape(-1)
    if theta.size != qnn.num_weights:
        raise ConfigError(
            f"got {theta.size} weights for a network with {qnn.num_weights} weight parameters",
            hint="pass the trained weights of this network",
        )
    if output is None:
        last = list(head.modules())[-1] if head is not None else None
        output = "probabilities" if isinstance(last, torch.nn.Softmax) else default_output
    pre = preprocessing_of(preprocessing, None)
    d_raw = pre.n_features_in if pre is not None else qnn.num_inputs
    if sample_inputs is None:
        sample_inputs = np.random.default_rng(seed).normal(size=(32, d_raw))

    def reference(X: np.ndarray) -> np.ndarray:
        feats = preprocessing.transform(X) if preprocessing is not None else X
        out = np.asarray(exact(np.asarray(feats, dtype=np.float64), theta), dtype=np.float64)
        out = out.reshape(len(X), -1)
        if head is not None:
            with torch.no_grad():
                out = copy.deepcopy(head).double()(torch.as_tensor(out)).numpy()
        return out

    return assemble(
        circuit=circuit, readout=readout, theta=theta, source="qiskit-ml",
        reference=reference, sample_inputs=np.asarray(sample_inputs, dtype=np.float64),
        head=head, preprocessing=pre, output=output,
        classes=classes if classes is not None else default_classes,
        tolerance=tolerance, seed=seed, feature_terms=terms,
    )  # fmt: skip


def _parts(model: Any, weights: Any, head: Any) -> tuple[Any, Any, Any, Output, Any]:
    ml = require("qiskit_machine_learning", "qiskit-ml")
    from qiskit_machine_learning.algorithms import NeuralNetworkClassifier
    from qiskit_machine_learning.connectors import TorchConnector

    connector = None
    if (
        isinstance(model, torch.nn.Sequential)
        and len(model)
        and isinstance(model[0], TorchConnector)
    ):
        if head is not None:
            raise ConfigError("the Sequential already holds the head; do not pass head= too")
        connector, rest = model[0], list(model)[1:]
        head = torch.nn.Sequential(*rest) if rest else None
    elif isinstance(model, TorchConnector):
        connector = model
    if connector is not None:
        qnn = connector.neural_network
        return qnn, connector.weight.detach().double().numpy(), head, _output(qnn), None
    if isinstance(model, NeuralNetworkClassifier):
        try:
            trained = model.weights
        except Exception:  # noqa: BLE001 - qiskit-ml raises its own error when unfitted
            trained = None
        if trained is None:
            raise ConfigError("the NeuralNetworkClassifier is not fitted", hint="fit it first")
        if getattr(model, "one_hot", False):
            raise ConfigError("one-hot NeuralNetworkClassifiers are not supported",
                              hint="train with one_hot=False (integer labels)")  # fmt: skip
        qnn = model.neural_network
        if tuple(qnn.output_shape) == (1,):
            return qnn, trained, head, "sign", (-1, 1)
        return qnn, trained, head, _output(qnn), None
    if isinstance(model, ml.neural_networks.NeuralNetwork):
        if weights is None:
            raise ConfigError("a bare network needs its trained weights (weights=...)")
        out: Output = "sign" if tuple(model.output_shape) == (1,) else _output(model)
        return model, weights, head, out, (-1, 1) if out == "sign" else None
    raise ConfigError(
        f"a Qiskit ML model must be an EstimatorQNN, SamplerQNN, NeuralNetworkClassifier or "
        f"TorchConnector, got {type(model).__name__}",
        hint="reference the object that holds the network (module:object)",
    )


def _output(qnn: Any) -> Output:
    from qiskit_machine_learning.neural_networks import SamplerQNN

    return "probabilities" if isinstance(qnn, SamplerQNN) else "logits"


def _network(
    qnn: Any,
) -> tuple[QuantumCircuit, Any, list[list[tuple[str, float]]], Callable[..., Any]]:
    from qiskit.primitives import StatevectorEstimator
    from qiskit_machine_learning.neural_networks import EstimatorQNN, SamplerQNN

    inputs, weights = list(qnn.input_params or []), list(qnn.weight_params or [])
    if isinstance(qnn, EstimatorQNN):
        circuit, terms = normalise_with_terms(qnn.circuit, inputs, weights)
        readout = readout_of(list(qnn.observables), circuit.num_qubits)
        twin = EstimatorQNN(circuit=qnn.circuit, observables=qnn.observables,
                            input_params=inputs, weight_params=weights,
                            estimator=StatevectorEstimator(), default_precision=0.0)  # fmt: skip
        return circuit, terms, readout, twin.forward
    if isinstance(qnn, SamplerQNN):
        if getattr(qnn, "sparse", False):
            raise ConfigError(
                "sparse SamplerQNN outputs are not supported", hint="use sparse=False"
            )
        raw = qnn.circuit
        circuit, terms = normalise_with_terms(raw, inputs, weights)
        n = circuit.num_qubits
        if n > MAX_SAMPLER_QUBITS:
            raise CircuitError(
                f"SamplerQNN imports take at most {MAX_SAMPLER_QUBITS} qubits, got {n}"
            )
        classes = _class_table(raw, qnn)
        k = int(np.prod(qnn.output_shape))
        readout = [_indicator(classes == c, n) for c in range(k)]
        unmeasured = strip_final_measurements(raw)

        def exact(X: np.ndarray, theta: np.ndarray) -> np.ndarray:
            out = np.zeros((len(X), k))
            for r, row in enumerate(X):
                values = dict(zip(inputs, row, strict=True)) | dict(
                    zip(weights, theta, strict=True)
                )
                probs = Statevector(unmeasured.assign_parameters(values)).probabilities()
                np.add.at(out[r], classes, probs)
            return out

        return circuit, terms, readout, exact
    raise ConfigError(f"network type {type(qnn).__name__} is not supported",
                      hint="EstimatorQNN and SamplerQNN import")  # fmt: skip


def _class_table(circuit: QuantumCircuit, qnn: Any) -> np.ndarray:
    """The class ``interpret`` assigns to every basis state (Qiskit order)."""
    n = circuit.num_qubits
    clbit_of: dict[int, int] = {}
    for inst in circuit.data:
        if inst.operation.name == "measure":
            q = circuit.find_bit(inst.qubits[0]).index
            clbit_of[q] = circuit.find_bit(inst.clbits[0]).index
    if not clbit_of:
        clbit_of = {q: q for q in range(n)}
    interpret = getattr(qnn, "interpret", None) or (lambda b: b)
    k = int(np.prod(qnn.output_shape))
    states = np.arange(2**n)
    measured = np.zeros(2**n, dtype=np.int64)
    for q, c in clbit_of.items():
        measured |= ((states >> q) & 1) << c
    table = np.array([interpret(int(b)) for b in measured])
    if table.ndim != 1 or table.min() < 0 or table.max() >= k:
        raise CircuitError(
            f"the interpret function maps measured integers outside 0..{k - 1} "
            "(or to tuples, which are not supported)",
            hint="check output_shape and interpret",
        )
    return table


def _indicator(mask: np.ndarray, n: int) -> list[tuple[str, float]]:
    """The diagonal observable with ``mask`` on its diagonal, as Z strings."""
    coeffs = mask.astype(np.float64)
    h = 1
    while h < len(coeffs):  # fast Walsh-Hadamard transform
        a = coeffs.reshape(-1, 2 * h)
        left, right = a[:, :h].copy(), a[:, h:].copy()
        a[:, :h], a[:, h:] = left + right, left - right
        coeffs = a.reshape(-1)
        h *= 2
    coeffs /= len(coeffs)
    terms = []
    for m in np.flatnonzero(np.abs(coeffs) > 1e-15):
        label = "".join("Z" if (int(m) >> (n - 1 - p)) & 1 else "I" for p in range(n))
        terms.append((label, float(coeffs[m])))
    return terms or [("I" * n, 0.0)]


__all__ = ["from_qiskit_ml"]
