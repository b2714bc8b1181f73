"""The QNN circuit spec: encoding + ansatz + readout, built as one Qiskit circuit.

Example:
    >>> spec = QNNSpec(n_qubits=3, layers=2)
    >>> qc = spec.build()
    >>> sorted(p.name for p in qc.parameters)[:2], spec.n_inputs, spec.n_weights
    (['theta[0]', 'theta[10]'], 3, 12)
    >>> [str(o.paulis[0]) for o in spec.observables()]
    ['IIZ', 'IZI', 'ZII']
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, model_validator
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp

from qmlsec.circuits.amplitude import amplitude_encoding, amplitude_features, amplitude_inputs
from qmlsec.circuits.ansatzes import ansatz_weights, build_ansatz
from qmlsec.circuits.encoders import angle_encoding, iqp_encoding, iqp_features
from qmlsec.circuits.entanglement import entangling_pairs
from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError

MAX_QUBITS = 24


class QNNSpec(FrozenModel):
    """Frozen description of a QNN circuit.

    Attributes:
        n_qubits: number of qubits (1..24).
        encoding: ``angle`` (AngleEmbedding), ``amplitude`` (AmplitudeEmbedding),
            ``iqp`` (IQPEmbedding) or ``reupload`` (angle encoding before every ansatz
            layer, data re-uploading).
        rotation: angle-encoding rotation: ``Z`` = H then RZ(x) (default), ``X``, ``Y``.
        ansatz: ``hardware_efficient``, ``strongly_entangling``
            (StronglyEntanglingLayers), ``basic_entangler`` (BasicEntanglerLayers),
            ``real_amplitudes`` or ``efficient_su2`` (Qiskit n-local).
        layers: ansatz layers (``reps`` for the n-local family).
        entanglement: CNOT pattern ``linear``, ``ring`` or ``full`` (also the IQP pairs).
        n_features: raw classical features; default ``n_qubits`` (``2**n_qubits`` for
            amplitude encoding).
        encoding_reps: repetitions of the IQP block.
        readout: Pauli labels in Qiskit order (``"IIZ"`` is Z on qubit 0); default Z on
            every qubit.
    """

    n_qubits: int = Field(ge=1, le=MAX_QUBITS)
    encoding: Literal["angle", "amplitude", "iqp", "reupload"] = "angle"
    rotation: Literal["X", "Y", "Z"] = "Z"
    ansatz: Literal[
        "hardware_efficient", "strongly_entangling", "basic_entangler",
        "real_amplitudes", "efficient_su2",
    ] = "hardware_efficient"  # fmt: skip
    layers: int = Field(default=2, ge=1)
    entanglement: Literal["linear", "ring", "full"] = "ring"
    n_features: int | None = Field(default=None, ge=1)
    encoding_reps: int = Field(default=1, ge=1)
    readout: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _check(self) -> QNNSpec:
        limit = 2**self.n_qubits if self.encoding == "amplitude" else self.n_qubits
        if self.n_features is not None and self.n_features > limit:
            raise ConfigError(
                f"{self.encoding} encoding on {self.n_qubits} qubits takes at most {limit} "
                f"features, got n_features={self.n_features}",
                hint="add qubits, reduce features (PCA) or use amplitude encoding",
            )
        for label in self.readout or ():
            if len(label) != self.n_qubits or set(label) - set("IXYZ"):
                raise ConfigError(
                    f"readout label {label!r} is not a Pauli string on {self.n_qubits} qubits",
                    hint="use Qiskit labels such as 'IIZ' (Z on qubit 0)",
                )
        return self

    @property
    def n_inputs(self) -> int:
        """Number of raw classical features the model feeds in."""
        if self.n_features is not None:
            return self.n_features
        return 2**self.n_qubits if self.encoding == "amplitude" else self.n_qubits

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Entangling pairs of the spec's pattern."""
        return entangling_pairs(self.n_qubits, self.entanglement)

    @property
    def n_circuit_inputs(self) -> int:
        """Length of the circuit's ``x`` vector (``len(feature_map(x)[0])``)."""
        if self.encoding == "amplitude":
            return amplitude_inputs(self.n_qubits)
        if self.encoding == "iqp":
            return self.n_qubits + len(self.pairs)
        return self.n_inputs

    @property
    def n_weights(self) -> int:
        """Length of the circuit's ``theta`` vector."""
        if self.encoding == "reupload":
            return self.layers * ansatz_weights(self.ansatz, self.n_qubits, 1)
        return ansatz_weights(self.ansatz, self.n_qubits, self.layers)

    def feature_map(self, features: torch.Tensor) -> torch.Tensor:
        """Circuit inputs ``x`` from raw features (B, n_inputs); differentiable.

        Identity for angle and re-uploading encodings; pair products for IQP; rotation-tree
        angles for amplitude encoding.
        """
        if features.ndim != 2 or features.shape[1] != self.n_inputs:
            raise ConfigError(
                f"expected features of shape (batch, {self.n_inputs}), got {tuple(features.shape)}"
            )
        if self.encoding == "amplitude":
            return amplitude_features(features, self.n_qubits)
        if self.encoding == "iqp":
            return iqp_features(features, self.n_qubits, self.pairs)
        return features

    def build(self) -> QuantumCircuit:
        """The QNN circuit with parameter vectors ``x`` and ``theta``."""
        n = self.n_qubits
        x = ParameterVector("x", self.n_circuit_inputs)
        theta = ParameterVector("theta", self.n_weights)
        qc = QuantumCircuit(n, name="qnn")
        if self.encoding == "reupload":
            offset = 0
            for _ in range(self.layers):
                qc.compose(angle_encoding(n, list(x), self.rotation), inplace=True)
                block, used = build_ansatz(self.ansatz, n, 1, self.entanglement, theta, offset)
                qc.compose(block, inplace=True)
                offset += used
            return qc
        if self.encoding == "angle":
            qc.compose(angle_encoding(n, list(x), self.rotation), inplace=True)
        elif self.encoding == "iqp":
            enc = iqp_encoding(n, list(x), self.pairs, self.encoding_reps)
            qc.compose(enc, inplace=True)
        else:
            qc.compose(amplitude_encoding(n, list(x)), inplace=True)
        block, _ = build_ansatz(self.ansatz, n, self.layers, self.entanglement, theta)
        qc.compose(block, inplace=True)
        return qc

    def observables(self) -> list[SparsePauliOp]:
        """Readout observables, one per model output."""
        labels = self.readout or tuple(
            "I" * (self.n_qubits - 1 - q) + "Z" + "I" * q for q in range(self.n_qubits)
        )
        return [SparsePauliOp(label) for label in labels]


def build_qnn(spec: QNNSpec) -> QuantumCircuit:
    """Build the circuit of ``spec`` (same as ``spec.build()``).

    Example:
        >>> build_qnn(QNNSpec(n_qubits=2, layers=1)).num_qubits
        2
    """
    return spec.build()


__all__ = ["QNNSpec", "build_qnn"]
