"""Encoded quantum states of a victim's inputs, and their class-centroid overlaps.

The attacker simulates the victim's classical pre-processing and data-encoding circuit
(no ansatz) to get ``|ψ(x)⟩`` for each training sample. With ``ρ(x) = |ψ(x)⟩⟨ψ(x)|``
and the class centroid ``ρ̄_c = mean_{x'∈c} ρ(x')``,
``Tr(ρ(x) ρ̄_c) = mean_{x'∈c} |⟨ψ(x)|ψ(x')⟩|²`` is computed from state overlaps,
without forming density matrices.

Example:
    >>> import numpy as np
    >>> states = np.array([[1, 0], [1, 0], [0, 1]], dtype=complex)
    >>> centroid_overlaps(states, np.array([0, 0, 1])).tolist()
    [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qmlsec.circuits import QNNSpec, amplitude_encoding, angle_encoding, iqp_encoding
from qmlsec.engine import compile_circuit
from qmlsec.exceptions import RequirementError


def encoding_circuit(spec: QNNSpec) -> QuantumCircuit:
    """The data-encoding part of ``spec``'s circuit (one block for re-uploading)."""
    n = spec.n_qubits
    x = list(ParameterVector("x", spec.n_circuit_inputs))
    if spec.encoding in ("angle", "reupload"):
        return angle_encoding(n, x, spec.rotation)
    if spec.encoding == "iqp":
        return iqp_encoding(n, x, spec.pairs, spec.encoding_reps)
    return amplitude_encoding(n, x)


def encoded_states(model: Any, x: np.ndarray, *, spec: QNNSpec | None = None) -> np.ndarray:
    """Statevectors ``(n, 2**q)`` of the raw inputs ``x`` after ``model``'s pre-processing
    and the encoding circuit of ``spec`` (default: ``model``'s own).

    Raises:
        RequirementError: if ``model`` does not expose its pre-processing and spec.
    """
    if not (hasattr(model, "preprocessing_") and hasattr(model, "spec")):
        raise RequirementError(
            "simulating the victim's encoder needs its fitted pre-processing and circuit spec",
            hint="give the target the victim model (a fitted QNNClassifier)",
        )
    spec = model.spec() if spec is None else spec
    compiled = compile_circuit(encoding_circuit(spec))
    features = torch.as_tensor(model.preprocessing_.transform(np.asarray(x, dtype=np.float64)))
    with torch.no_grad():
        inputs = spec.feature_map(features.to(torch.float64))
        return compiled.state(inputs).numpy()


def centroid_overlaps(states: np.ndarray, y: np.ndarray, *, chunk: int = 2048) -> np.ndarray:
    """``F[i, k] = Tr(ρ(x_i) ρ̄_{c_k})`` for the classes ``c_k = unique(y)[k]``."""
    classes = np.unique(y)
    onehot = (y[:, None] == classes[None, :]).astype(np.float64)
    onehot /= onehot.sum(axis=0, keepdims=True)
    out = np.empty((len(states), len(classes)))
    for lo in range(0, len(states), chunk):
        fid = np.abs(states[lo : lo + chunk].conj() @ states.T) ** 2
        out[lo : lo + chunk] = fid @ onehot
    return out
