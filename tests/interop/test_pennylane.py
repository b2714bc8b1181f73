"""PennyLane import: exact agreement, PGD on PennyLane's own gradients, refusals."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pennylane as qml
import pytest
import torch

from qmlsec.exceptions import CircuitError, ConfigError
from qmlsec.interop import from_pennylane


@pytest.fixture(scope="module")
def imported(pl_user: Any) -> Any:
    x = np.array(pl_user.test.X[:32])
    return from_pennylane(pl_user.model, preprocessing=pl_user.scaler, sample_inputs=x)


def _source_net(pl_user: Any) -> torch.nn.Module:
    """Raw features -> logits computed by PennyLane (float64), torch and the scaler."""
    layer, head = pl_user.model[0], copy.deepcopy(pl_user.model[1]).double()
    weights = layer.qnode_weights["weights"].detach().double()
    mean = torch.as_tensor(pl_user.scaler.mean_)
    scale = torch.as_tensor(pl_user.scaler.scale_)

    class Net(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = pl_user.circuit((x - mean) / scale, weights)
            return head(torch.stack(list(out), dim=-1))

    return Net()


def test_agrees_with_pennylane_on_32_inputs(pl_user: Any, imported: Any) -> None:
    x = np.array(pl_user.test.X[:32])
    assert len(x) == 32
    ref = _source_net(pl_user)
    with torch.no_grad():
        logits = ref(torch.as_tensor(x)).numpy()
    assert np.max(np.abs(imported.decision_function(x) - logits)) < 1e-8
    assert imported.agreement_["max_abs_deviation"] < 1e-8
    assert imported.agreement_["n_inputs"] == 32
    assert imported.model_.compiled.n_weights == 24  # 2 layers x 4 qubits x 3 angles


def test_pgd_matches_pgd_on_pennylane_gradients(pl_user: Any, imported: Any, pgd_pair: Any) -> None:
    x, y = np.array(pl_user.test.X[:32]), np.array(pl_user.test.y[:32])
    ours, theirs = pgd_pair(imported, _source_net(pl_user), x, y)
    assert np.max(np.abs(ours - theirs)) < 1e-6
    assert np.max(np.abs(ours - x)) > 0.01  # the attack moved the inputs


def test_input_gradient_is_pennylanes(pl_user: Any, imported: Any) -> None:
    x, y = np.array(pl_user.test.X[:8]), np.array(pl_user.test.y[:8])
    xt = torch.as_tensor(x).requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(
        _source_net(pl_user)(xt), torch.as_tensor(y), reduction="sum"
    )
    (grad,) = torch.autograd.grad(loss, xt)
    assert np.max(np.abs(imported.loss_gradient(x, y) - grad.numpy())) < 1e-10


# PennyLane's Rot matrix with a constant float angle trips a NumPy 2 deprecation inside PennyLane
@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context:DeprecationWarning")
def test_qnode_with_weights_and_classical_processing_converts_exactly() -> None:
    dev = qml.device("default.qubit", wires=3)

    @qml.qnode(dev)
    def circuit(inputs, w):
        for k in range(3):
            qml.RY(2.0 * inputs[k] - 0.5, wires=k)
        qml.CZ(wires=[0, 1])
        qml.IsingXX(w[0], wires=[1, 2])
        qml.Rot(w[1], w[2], 0.3, wires=0)
        qml.Hadamard(wires=2)
        return [
            qml.expval(qml.PauliX(0) @ qml.PauliZ(2)),
            qml.expval(0.5 * qml.PauliY(1) + qml.PauliZ(0)),
        ]

    clf = from_pennylane(circuit, weights={"w": np.array([0.4, -1.1, 0.7])}, input_arg="inputs",
                         n_inputs=3)  # fmt: skip
    assert clf.agreement_["max_abs_deviation"] < 1e-8
    assert clf.spec().readout[1] == (("IYI", 0.5), ("IIZ", 1.0))


def test_unsupported_operation_is_refused_by_name(pl_user: Any) -> None:
    with pytest.raises(CircuitError, match="DepolarizingChannel"):
        from_pennylane(pl_user.noisy, weights={"weights": np.array([0.1])}, n_inputs=4)


def test_non_affine_angle_is_refused() -> None:
    @qml.qnode(qml.device("default.qubit", wires=1))
    def circuit(inputs, w):
        qml.RY(torch.sin(inputs[0]) + w[0], wires=0)
        return [qml.expval(qml.PauliZ(0))]

    with pytest.raises(CircuitError, match="not an affine function"):
        from_pennylane(circuit, weights={"w": np.array([0.1])}, n_inputs=1)


def test_probs_measurement_is_refused() -> None:
    @qml.qnode(qml.device("default.qubit", wires=1))
    def circuit(inputs, w):
        qml.RY(inputs[0] + w[0], wires=0)
        return qml.probs(wires=0)

    with pytest.raises(CircuitError, match="unsupported measurement"):
        from_pennylane(circuit, weights={"w": np.array([0.1])}, n_inputs=1)


def test_weights_of_the_wrong_shape_are_refused(pl_user: Any) -> None:
    with pytest.raises(ConfigError, match=r"weights \{'weights': \(2, 4, 2\)\}"):
        from_pennylane(pl_user.circuit, weights={"weights": np.zeros((2, 4, 2))}, n_inputs=4)


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from qmlsec.interop import extras

    def missing(name: str) -> Any:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    monkeypatch.setattr(extras.importlib, "import_module", missing)
    with pytest.raises(ConfigError) as err:
        from_pennylane(object())
    assert "pip install 'qmlsec[pennylane]'" in (err.value.hint or "")
    assert "'pennylane'" in err.value.message
