"""HybridQNN: one gradient switch, hardware cost accounting."""

from __future__ import annotations

import pytest
import torch

from qmlsec.circuits import QNNSpec
from qmlsec.exceptions import ConfigError
from qmlsec.models.hybrid import HybridQNN


def _grads(net: HybridQNN, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    net.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    return net.theta.grad.clone()


def test_parameter_shift_training_gradient_equals_backprop():
    spec = QNNSpec(n_qubits=3, layers=2)
    x = torch.rand(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 0, 1, 1])
    exact = HybridQNN(spec, 2, gradient="backprop", seed=0)
    shift = HybridQNN(spec, 2, gradient="parameter-shift", seed=0)
    torch.testing.assert_close(_grads(shift, x, y), _grads(exact, x, y), atol=1e-10, rtol=1e-8)


def test_shot_model_is_seeded_and_close_to_exact():
    spec = QNNSpec(n_qubits=2, layers=1)
    x = torch.rand(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    exact = HybridQNN(spec, 2, seed=0).quantum_features(x)
    a = HybridQNN(spec, 2, gradient="parameter-shift", shots=4000, seed=0).quantum_features(x)
    b = HybridQNN(spec, 2, gradient="parameter-shift", shots=4000, seed=0).quantum_features(x)
    torch.testing.assert_close(a, b)
    assert (
        float((a - exact).detach().abs().max()) < 5 / 4000**0.5
    )  # five standard errors of a +-1 mean


def test_circuit_executions_follow_the_gradient_rule():
    spec = QNNSpec(n_qubits=2, layers=1)  # 4 weight angles
    net = HybridQNN(spec, 2, gradient="parameter-shift", seed=0)
    assert net.circuit_executions(10) == 10 * (1 + 2 * 4)
    assert net.circuit_executions(10, with_gradient=False) == 10
    spsa = HybridQNN(spec, 2, gradient="spsa", seed=0)
    assert spsa.circuit_executions(10) == 10 * 3


def test_backprop_with_shots_is_refused():
    with pytest.raises(ConfigError, match="backprop"):
        HybridQNN(QNNSpec(n_qubits=2), 2, gradient="backprop", shots=100)
