"""Circuits: data encoders, ansatzes and the QNN circuit spec (Qiskit IR).

Example:
    >>> from qmlsec.circuits import QNNSpec
    >>> QNNSpec(n_qubits=4, layers=2).build().num_parameters
    20
"""

from qmlsec.circuits.amplitude import amplitude_encoding, amplitude_features
from qmlsec.circuits.ansatzes import ANSATZES, ansatz_weights, build_ansatz
from qmlsec.circuits.encoders import angle_encoding, iqp_encoding, iqp_features
from qmlsec.circuits.entanglement import entangling_pairs
from qmlsec.circuits.qnn import QNNSpec, build_qnn

__all__ = [
    "ANSATZES",
    "QNNSpec",
    "amplitude_encoding",
    "amplitude_features",
    "angle_encoding",
    "ansatz_weights",
    "build_ansatz",
    "build_qnn",
    "entangling_pairs",
    "iqp_encoding",
    "iqp_features",
]
