"""QNNSpec: validation, sizes, parameter vectors and agreement with Statevector."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from qiskit.quantum_info import Statevector

from qmlsec.circuits import QNNSpec, build_qnn
from qmlsec.engine import compile_circuit
from qmlsec.exceptions import ConfigError

ENCODINGS = ["angle", "amplitude", "iqp", "reupload"]
ANSATZES = [
    "hardware_efficient",
    "strongly_entangling",
    "basic_entangler",
    "real_amplitudes",
    "efficient_su2",
]


def _bind(spec: QNNSpec, features: torch.Tensor, theta: torch.Tensor):
    qc = spec.build()
    x = spec.feature_map(features[None])[0]
    values = {p: float((x if p.vector.name == "x" else theta)[p.index]) for p in qc.parameters}
    return qc.assign_parameters(values)


@pytest.mark.parametrize(("encoding", "ansatz"), list(itertools.product(ENCODINGS, ANSATZES)))
def test_every_encoder_and_ansatz_builds_and_matches_statevector(encoding, ansatz):
    spec = QNNSpec(n_qubits=3, encoding=encoding, ansatz=ansatz, layers=2, rotation="Y")
    qc = spec.build()
    names = {p.vector.name for p in qc.parameters}
    assert names == {"x", "theta"}
    assert max(p.index for p in qc.parameters if p.vector.name == "theta") == spec.n_weights - 1
    cc = compile_circuit(qc, spec.observables())
    assert (cc.n_inputs, cc.n_weights) == (spec.n_circuit_inputs, spec.n_weights)
    gen = torch.Generator().manual_seed(1)
    features = torch.rand(2, spec.n_inputs, dtype=torch.float64, generator=gen) * 2 - 1
    theta = torch.rand(spec.n_weights, dtype=torch.float64, generator=gen) * 6
    states = cc.state(spec.feature_map(features), theta)
    for b in range(2):
        expected = Statevector(_bind(spec, features[b], theta)).data
        np.testing.assert_allclose(states[b].numpy(), expected, atol=1e-9)


def test_default_angle_encoding_is_h_then_rz_on_every_qubit():
    qc = QNNSpec(n_qubits=2, layers=1).build()
    first = [(inst.operation.name, qc.find_bit(inst.qubits[0]).index) for inst in qc.data[:4]]
    assert first == [("h", 0), ("rz", 0), ("h", 1), ("rz", 1)]


def test_amplitude_encoding_prepares_the_normalised_feature_vector():
    spec = QNNSpec(n_qubits=3, encoding="amplitude", n_features=6)
    features = torch.tensor([0.5, -1.0, 0.0, 2.0, -0.25, 1.5], dtype=torch.float64)
    x = spec.feature_map(features[None])[0]
    prep = _bind_prefix(spec, x)
    padded = np.concatenate([features.numpy(), np.zeros(2)])
    np.testing.assert_allclose(Statevector(prep).data, padded / np.linalg.norm(padded), atol=1e-12)


def _bind_prefix(spec: QNNSpec, x: torch.Tensor):
    from qiskit.circuit import ParameterVector

    from qmlsec.circuits import amplitude_encoding

    vec = ParameterVector("x", spec.n_circuit_inputs)
    qc = amplitude_encoding(spec.n_qubits, list(vec))
    return qc.assign_parameters(dict(zip(vec, x.tolist(), strict=True)))


def test_amplitude_feature_map_has_finite_gradients_with_padding():
    spec = QNNSpec(n_qubits=2, encoding="amplitude", n_features=2)
    features = torch.tensor([[0.3, 0.7]], dtype=torch.float64, requires_grad=True)
    cc = compile_circuit(spec.build(), spec.observables())
    theta = torch.zeros(spec.n_weights, dtype=torch.float64)
    cc.expectations(spec.feature_map(features), theta).sum().backward()
    assert torch.isfinite(features.grad).all()


def test_iqp_feature_map_appends_pair_products():
    spec = QNNSpec(n_qubits=3, encoding="iqp", entanglement="linear")
    out = spec.feature_map(torch.tensor([[1.0, 2.0, 3.0]]))
    assert out.tolist() == [[1.0, 2.0, 3.0, 2.0, 6.0]]


def test_sizes_and_default_observables():
    spec = QNNSpec(n_qubits=4, layers=3)
    assert (spec.n_inputs, spec.n_weights) == (4, 24)
    assert [o.paulis[0].to_label() for o in spec.observables()] == ["IIIZ", "IIZI", "IZII", "ZIII"]
    assert build_qnn(spec).num_parameters == 28
    assert QNNSpec(n_qubits=3, ansatz="efficient_su2", layers=2).n_weights == 18


def test_custom_readout_labels():
    spec = QNNSpec(n_qubits=2, readout=("XX", "ZI"))
    assert [o.paulis[0].to_label() for o in spec.observables()] == ["XX", "ZI"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_qubits": 0},
        {"n_qubits": 2, "encoding": "amplitude", "n_features": 5},
        {"n_qubits": 2, "n_features": 3},
        {"n_qubits": 2, "readout": ("ZZZ",)},
        {"n_qubits": 2, "readout": ("ZQ",)},
        {"n_qubits": 2, "layers": 0},
        {"n_qubits": 2, "ansatz": "mystery"},
    ],
)
def test_bad_specs_are_rejected(kwargs):
    with pytest.raises((ConfigError, ValueError)):
        QNNSpec(**kwargs)


def test_amplitude_overflow_raises_config_error_with_hint():
    with pytest.raises(ConfigError, match="at most 4 features"):
        QNNSpec(n_qubits=2, encoding="amplitude", n_features=5)


def test_spec_is_frozen():
    spec = QNNSpec(n_qubits=2)
    with pytest.raises(ValueError):
        spec.layers = 3  # type: ignore[misc]


def test_feature_map_rejects_wrong_width():
    with pytest.raises(ConfigError):
        QNNSpec(n_qubits=2).feature_map(torch.zeros(1, 3))
