"""Qiskit ML import: NeuralNetworkClassifier / EstimatorQNN / SamplerQNN / TorchConnector."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit.library import real_amplitudes, zz_feature_map
from qiskit.primitives import StatevectorEstimator
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.neural_networks import EstimatorQNN, SamplerQNN

from qmlsec.exceptions import CircuitError, ConfigError
from qmlsec.interop import from_qiskit_ml


def _inputs(user: Any, n: int = 32) -> np.ndarray:
    return np.concatenate([user.test.X, user.train.X])[:n].copy()


@pytest.fixture(scope="module")
def imported(qiskit_user: Any) -> Any:
    x = _inputs(qiskit_user)
    return from_qiskit_ml(
        qiskit_user.classifier, preprocessing=qiskit_user.scaler, classes=(0, 1), sample_inputs=x
    )


def _source_net(user: Any) -> torch.nn.Module:
    """Raw features -> logits with Qiskit ML's own (parameter-shift) input gradients."""
    qnn = user.qnn
    exact = EstimatorQNN(
        circuit=qnn.circuit, observables=qnn.observables, input_params=qnn.input_params,
        weight_params=qnn.weight_params, estimator=StatevectorEstimator(),
        default_precision=0.0, input_gradients=True,
    )  # fmt: skip
    connector = TorchConnector(exact, initial_weights=np.asarray(user.classifier.weights))
    scale, shift = (torch.as_tensor(a) for a in (user.scaler.scale_, user.scaler.min_))

    class Net(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = connector(x * scale + shift).to(torch.float64)
            return torch.log(torch.cat([(1 - y) / 2, (1 + y) / 2], dim=1))

    return Net()


def test_classifier_agrees_on_32_inputs_and_predicts_alike(qiskit_user: Any, imported: Any) -> None:
    x = _inputs(qiskit_user)
    assert len(x) == 32
    assert imported.agreement_["max_abs_deviation"] < 1e-8
    assert imported.agreement_["n_inputs"] == 32
    assert imported.spec().output == "sign"
    theirs = qiskit_user.classifier.predict(qiskit_user.scaler.transform(x)).ravel()
    assert (imported.predict(x) == np.where(theirs > 0, 1, 0)).all()


def test_pgd_matches_pgd_on_qiskit_ml_gradients(
    qiskit_user: Any, imported: Any, pgd_pair: Any
) -> None:
    x, y = np.array(qiskit_user.test.X[:6]), np.array(qiskit_user.test.y[:6])
    ours, theirs = pgd_pair(imported, _source_net(qiskit_user), x, y, steps=3)
    assert np.max(np.abs(ours - theirs)) < 1e-6
    assert np.max(np.abs(ours - x)) > 0.01


def test_sampler_qnn_with_interpret_agrees(qiskit_user: Any) -> None:
    qc = qiskit_user.circuit.copy()
    qc.measure_all()
    qnn = SamplerQNN(circuit=qc, input_params=qiskit_user.feature_map.parameters,
                     weight_params=qiskit_user.ansatz.parameters,
                     interpret=lambda b: bin(b).count("1") % 3, output_shape=3)  # fmt: skip
    w = np.random.default_rng(1).uniform(0, 2 * np.pi, qnn.num_weights)
    clf = from_qiskit_ml(qnn, weights=w)
    assert clf.agreement_["max_abs_deviation"] < 1e-8
    assert clf.spec().output == "probabilities"
    probs = clf.predict_proba(np.random.default_rng(2).normal(size=(5, 4)))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-12)


def test_torch_connector_with_head_agrees(qiskit_user: Any) -> None:
    torch.manual_seed(3)
    net = torch.nn.Sequential(
        TorchConnector(EstimatorQNN(circuit=qiskit_user.circuit,
                                    observables=["IIIZ", "IIZI", "IZII", "ZIII"],
                                    input_params=qiskit_user.feature_map.parameters,
                                    weight_params=qiskit_user.ansatz.parameters)),
        torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1),
    )  # fmt: skip
    clf = from_qiskit_ml(net)
    assert clf.agreement_["max_abs_deviation"] < 1e-8
    assert clf.spec().output == "probabilities"
    assert [layer.kind for layer in clf.spec().head] == ["linear", "softmax"]


def test_zz_feature_map_imports_with_derived_inputs_and_exact_gradients() -> None:
    fm, an = zz_feature_map(2), real_amplitudes(2, reps=1)
    qc = QuantumCircuit(2)
    qc.compose(fm, inplace=True)
    qc.compose(an, inplace=True)
    qnn = EstimatorQNN(circuit=qc, input_params=fm.parameters, weight_params=an.parameters,
                       input_gradients=True, estimator=StatevectorEstimator(),
                       default_precision=0.0)  # fmt: skip
    w = np.linspace(0.1, 1.2, qnn.num_weights)
    clf = from_qiskit_ml(qnn, weights=w)
    assert clf.agreement_["max_abs_deviation"] < 1e-8
    spec = clf.spec()
    assert spec.n_inputs == 2 and spec.n_circuit_inputs == 3  # x0, x1, 2(pi - x0)(pi - x1)
    x = np.random.default_rng(4).uniform(-1, 1, size=(5, 2))
    theirs, _ = qnn.backward(x, w)  # Qiskit ML's parameter-shift input gradient
    xt = torch.as_tensor(x).requires_grad_(True)
    y = clf.model_.outputs(xt)
    ours = torch.autograd.grad(y.sum(), xt)[0].numpy()
    assert np.max(np.abs(ours - np.asarray(theirs)[:, 0, :])) < 1e-8


def test_weights_inside_a_non_linear_angle_are_refused() -> None:
    from qiskit.circuit import Parameter

    a, w = Parameter("a"), Parameter("w")
    qc = QuantumCircuit(1)
    qc.ry(a * w, 0)
    qnn = EstimatorQNN(circuit=qc, input_params=[a], weight_params=[w])
    with pytest.raises(CircuitError, match="not linear in the weight"):
        from_qiskit_ml(qnn, weights=[0.3])


def test_weights_of_the_wrong_shape_are_refused(qiskit_user: Any) -> None:
    with pytest.raises(ConfigError, match="got 3 weights for a network with 8"):
        from_qiskit_ml(qiskit_user.qnn, weights=np.zeros(3))
