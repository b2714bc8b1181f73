"""The stored and adjoint backward passes equal autograd, and the adjoint one is lean."""

from __future__ import annotations

import pytest
import torch
from qiskit.quantum_info import SparsePauliOp

from qmlsec.circuits import QNNSpec
from qmlsec.engine import compile_circuit

from .random_circuits import random_circuit


def _grads(cc, seed: int, per_row: bool):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(3, cc.n_inputs, dtype=torch.float64, generator=gen).requires_grad_()
    theta = torch.randn(cc.n_weights, dtype=torch.float64, generator=gen)
    theta = (theta.repeat(3, 1) if per_row else theta).requires_grad_()
    weights = torch.randn(3, cc.n_observables, dtype=torch.float64, generator=gen)
    (cc.expectations(x, theta) * weights).sum().backward()
    return x.grad, theta.grad


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("mode", ["stored", "adjoint"])
def test_explicit_backward_equals_autograd(seed, mode):
    n = 2 + seed % 6
    qc = random_circuit(n, 30, seed)
    obs = [
        SparsePauliOp("X" * n),
        SparsePauliOp("Y" + "Z" * (n - 1)),
        SparsePauliOp("I" * (n - 1) + "Z"),
    ]
    for per_row in (False, True):
        ref = _grads(compile_circuit(qc, obs, backward="autograd"), seed, per_row)
        got = _grads(compile_circuit(qc, obs, backward=mode), seed, per_row)
        for a, b in zip(ref, got, strict=True):
            torch.testing.assert_close(b, a, atol=1e-9, rtol=0)


@pytest.mark.parametrize("fuse", [0, 6])
def test_qnn_gradients_agree_across_modes(fuse):
    spec = QNNSpec(n_qubits=5, layers=3, encoding="reupload")
    grads = [
        _grads(compile_circuit(spec.build(), backward=m, fuse_max_qubits=fuse), 0, False)
        for m in ("autograd", "stored", "adjoint")
    ]
    for g in grads[1:]:
        torch.testing.assert_close(g[1], grads[0][1], atol=1e-9, rtol=0)
        torch.testing.assert_close(g[0], grads[0][0], atol=1e-9, rtol=0)


def _saved_bytes(cc, x, theta) -> int:
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        cc.expectations(x, theta).sum()
    return total


def test_adjoint_keeps_a_few_states_whatever_the_depth():
    spec = QNNSpec(n_qubits=8, layers=12)
    x = torch.rand(64, 8, dtype=torch.float64)
    theta = torch.rand(spec.n_weights, dtype=torch.float64, requires_grad=True)
    state_bytes = 64 * 2**8 * 16
    lean = _saved_bytes(compile_circuit(spec.build(), backward="adjoint"), x, theta)
    full = _saved_bytes(compile_circuit(spec.build(), backward="stored"), x, theta)
    assert lean < 8 * state_bytes
    assert full > 30 * state_bytes


def test_auto_mode_switches_to_adjoint_above_the_threshold():
    spec = QNNSpec(n_qubits=6, layers=4)
    x = torch.rand(32, 6, dtype=torch.float64)
    theta = torch.rand(spec.n_weights, dtype=torch.float64, requires_grad=True)
    small = compile_circuit(spec.build(), adjoint_threshold_mb=1e6)
    tiny = compile_circuit(spec.build(), adjoint_threshold_mb=0.0)
    assert _saved_bytes(tiny, x, theta) < _saved_bytes(small, x, theta)
    g1 = torch.autograd.grad(small.expectations(x, theta).sum(), theta)[0]
    g2 = torch.autograd.grad(tiny.expectations(x, theta).sum(), theta)[0]
    torch.testing.assert_close(g1, g2, atol=1e-10, rtol=0)


@pytest.mark.parametrize("mode", ["stored", "adjoint"])
def test_second_order_gradients_equal_autograd(mode):
    """Gradient inversion differentiates a weight gradient w.r.t. the inputs."""
    spec = QNNSpec(n_qubits=4, layers=2)

    def grad_of_grad(cc):
        gen = torch.Generator().manual_seed(3)
        x = torch.rand(2, 4, dtype=torch.float64, generator=gen).requires_grad_()
        theta = torch.rand(spec.n_weights, dtype=torch.float64, generator=gen)
        theta.requires_grad_()
        (g,) = torch.autograd.grad(cc.expectations(x, theta).sum(), theta, create_graph=True)
        (gx,) = torch.autograd.grad(g.square().sum(), x)
        return gx

    ref = grad_of_grad(compile_circuit(spec.build(), backward="autograd"))
    got = grad_of_grad(compile_circuit(spec.build(), backward=mode))
    assert ref.abs().max() > 1e-3
    torch.testing.assert_close(got, ref, atol=1e-9, rtol=0)
