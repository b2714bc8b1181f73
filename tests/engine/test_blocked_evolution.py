"""Column-blocked adjoint evolution, real kron chunks and phase-merged diagonal gates."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.quantum_info import SparsePauliOp, Statevector

from qmlsec.circuits import QNNSpec
from qmlsec.engine import compile_circuit, statevector
from qmlsec.engine.kernels import MonomialStep, RealChunk
from qmlsec.engine.ops import KronLayer, Monomial

from .random_circuits import bind, random_circuit

#: block sizes in KiB: one column per block for every register size used here
TINY_BLOCK = 1e-3


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch):
    """Blocks of a single state are allowed here (by default at least 16 states)."""
    monkeypatch.setattr(statevector, "_MIN_BLOCK_COLUMNS", 1)


def _data(cc, seed: int, batch: int, per_row: bool):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, cc.n_inputs, dtype=torch.float64, generator=gen).requires_grad_()
    theta = torch.randn(cc.n_weights, dtype=torch.float64, generator=gen)
    theta = (theta.repeat(batch, 1) if per_row else theta).requires_grad_()
    weights = torch.randn(batch, cc.n_observables, dtype=torch.float64, generator=gen)
    return x, theta, weights


def _run(cc, seed: int, per_row: bool, batch: int = 5):
    x, theta, weights = _data(cc, seed, batch, per_row)
    out = cc.expectations(x, theta)
    (out * weights).sum().backward()
    return out.detach(), x.grad, theta.grad


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("block_kb", [TINY_BLOCK, 0.1])
def test_blocked_adjoint_equals_autograd(seed, block_kb):
    n = 2 + seed % 6
    qc = random_circuit(n, 30, seed)
    obs = [SparsePauliOp("X" * n), SparsePauliOp("Y" + "Z" * (n - 1)), SparsePauliOp("Z" * n)]
    for per_row in (False, True):
        ref = _run(compile_circuit(qc, obs, backward="autograd"), seed, per_row)
        cc = compile_circuit(qc, obs, backward="adjoint", block_kb=block_kb)
        assert 0 < cc._block() < 5
        for a, b in zip(ref, _run(cc, seed, per_row), strict=True):
            torch.testing.assert_close(b, a, atol=1e-10, rtol=0)


@pytest.mark.parametrize("seed", range(8))
def test_blocked_states_match_statevector(seed):
    n = 2 + seed % 6
    qc = random_circuit(n, 24, seed)
    cc = compile_circuit(qc, block_kb=TINY_BLOCK)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(4, cc.n_inputs, dtype=torch.float64, generator=gen)
    theta = torch.randn(cc.n_weights, dtype=torch.float64, generator=gen)
    states = cc.state(x, theta)
    for b in range(4):
        np.testing.assert_allclose(
            states[b].numpy(), Statevector(bind(qc, x[b], theta)).data, atol=1e-10
        )


def test_hardware_efficient_layers_are_real_chunks_and_phases():
    spec = QNNSpec(n_qubits=6, layers=3, encoding="angle", rotation="Z", entanglement="ring")
    cc = compile_circuit(spec.build(), spec.observables())
    layers = [op for op in cc._plan.row_ops if isinstance(op, KronLayer)]
    rings = [op for op in cc._plan.row_ops if isinstance(op, Monomial)]
    assert layers and all(isinstance(step, RealChunk) for op in layers for step, _ in op.chunks)
    # each layer's RZ gates moved into the following CNOT ring's phase: one diagonal
    # chunk per ring after a layer, the kron of the six RZ diagonals
    bank = cc._plan.banks["shared"]
    pre = [op.pre for op in rings if op.pre is not None]
    assert len(pre) == spec.layers - 1 and set(pre) <= bank.diagonals
    assert all(None not in bank.chunks[c] and len(bank.chunks[c]) == 6 for c in pre)


@pytest.mark.parametrize("mode", ["stored", "adjoint", "autograd"])
def test_qnn_with_real_chunks_matches_statevector_and_backprop(mode):
    spec = QNNSpec(n_qubits=5, layers=3, encoding="angle", rotation="Z", entanglement="ring")
    qc = spec.build()
    cc = compile_circuit(qc, spec.observables(), backward=mode, block_kb=TINY_BLOCK)
    ref = compile_circuit(qc, spec.observables(), backward="autograd", chunk_qubits=1)
    x, theta, weights = _data(cc, 0, 4, False)
    out = cc.expectations(x, theta)
    for b in range(4):
        sv = Statevector(bind(qc, x[b].detach(), theta.detach()))
        expected = [sv.expectation_value(o).real for o in spec.observables()]
        np.testing.assert_allclose(out[b].detach().numpy(), expected, atol=1e-10)
    got = torch.autograd.grad((out * weights).sum(), [x, theta])
    x2, theta2 = x.detach().requires_grad_(), theta.detach().requires_grad_()
    want = torch.autograd.grad((ref.expectations(x2, theta2) * weights).sum(), [x2, theta2])
    for a, b in zip(want, got, strict=True):
        torch.testing.assert_close(b, a, atol=1e-10, rtol=0)


def test_adjoint_saves_only_the_output_and_small_tensors():
    spec = QNNSpec(n_qubits=10, layers=6)
    x = torch.rand(64, 10, dtype=torch.float64)
    theta = torch.rand(spec.n_weights, dtype=torch.float64, requires_grad=True)
    cc = compile_circuit(spec.build(), backward="adjoint", block_kb=64)
    state_bytes = 64 * 2**10 * 16
    large: set[int] = set()

    def pack(t: torch.Tensor) -> torch.Tensor:
        if t.numel() * t.element_size() >= state_bytes / 4:
            large.add(t.data_ptr())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = cc.expectations(x, theta).sum()
    # one state-sized tensor (the output, kept by the evolution and by the readout)
    assert len(large) == 1
    out.backward()
    assert theta.grad is not None


def test_blocks_hold_at_least_sixteen_states_that_fit_a_mebibyte(monkeypatch):
    monkeypatch.setattr(statevector, "_MIN_BLOCK_COLUMNS", 16)
    sizes = {
        n: compile_circuit(QNNSpec(n_qubits=n, layers=1).build())._block() for n in (4, 8, 12, 16)
    }
    assert sizes == {4: 4096, 8: 256, 12: 16, 16: 1}


def test_blocks_reuse_two_buffers_and_match_the_allocating_kernels(monkeypatch):
    """Shared-weight chunks and phases write into two buffers per evolution."""
    spec = QNNSpec(n_qubits=6, layers=3, encoding="angle", rotation="Z", entanglement="ring")
    cc = compile_circuit(spec.build(), spec.observables(), backward="adjoint", block_kb=2)
    x, theta, weights = _data(cc, 3, 7, False)
    storages: set[int] = set()
    for cls in (RealChunk, MonomialStep):
        for name in ("apply_into", "back_into"):
            orig = getattr(cls, name)

            def spy(self, *args, _orig=orig):
                res = _orig(self, *args)
                t = res[0] if isinstance(res, tuple) else res
                storages.add(t.untyped_storage().data_ptr())
                return res

            monkeypatch.setattr(cls, name, spy)
    assert 1 < cc._block() < 7
    out = cc.expectations(x, theta)
    got = torch.autograd.grad((out * weights).sum(), [x, theta])
    # two state buffers in the forward pass, two pair buffers in the backward pass
    assert len(storages) <= 4
    ref = compile_circuit(spec.build(), spec.observables(), backward="autograd")
    x2, theta2 = x.detach().requires_grad_(), theta.detach().requires_grad_()
    want_out = ref.expectations(x2, theta2)
    want = torch.autograd.grad((want_out * weights).sum(), [x2, theta2])
    torch.testing.assert_close(out.detach(), want_out.detach(), atol=1e-10, rtol=0)
    for a, b in zip(want, got, strict=True):
        torch.testing.assert_close(b, a, atol=1e-10, rtol=0)


def test_first_columns_equal_the_built_matrices_applied_to_zero():
    """The product-state prefix is built gate by gate on 2-vectors."""
    qc = random_circuit(5, 40, 7)
    cc = compile_circuit(qc)
    gen = torch.Generator().manual_seed(7)
    angles = torch.randn(3, cc.n_angles, dtype=torch.float64, generator=gen)
    for bank in cc._plan.banks.values():
        if not bank.entries:
            continue
        mats, _ = bank.build(angles)
        cols = bank.first_columns(angles).expand(3, -1, -1)
        torch.testing.assert_close(cols, mats[:, :-1, :, 0], atol=1e-12, rtol=0)


def test_kept_buffers_never_alias_an_output_or_a_pending_backward():
    """The scratch pool hands buffers between evolutions; outputs stay the caller's."""
    spec = QNNSpec(n_qubits=5, layers=3, encoding="angle", rotation="Z", entanglement="ring")
    cc = compile_circuit(spec.build(), spec.observables(), backward="adjoint")
    ref = compile_circuit(spec.build(), spec.observables(), backward="autograd")
    xa, theta, weights = _data(cc, 11, 6, False)
    xb, _, _ = _data(cc, 12, 6, False)
    with torch.no_grad():
        first = cc.state(xa, theta)
        kept = first.clone()
        cc.state(xb, theta)  # a second evolution takes the pooled buffers
    assert torch.equal(first, kept)
    out_a = cc.expectations(xa, theta)
    out_b = cc.expectations(xb, theta)  # runs while a's backward is pending
    (out_a * weights).sum().backward()
    got = theta.grad.clone()
    theta.grad = None
    (ref.expectations(xa, theta) * weights).sum().backward()
    assert torch.allclose(got, theta.grad, atol=1e-12)
    assert torch.allclose(out_b, ref.expectations(xb, theta), atol=1e-12)


def test_large_readout_in_column_parts_equals_the_whole():
    """States of more than 2**20 amplitudes get their probabilities in parts."""
    from qmlsec.engine.observables import PauliTable

    n, batch = 16, 20
    gen = torch.Generator().manual_seed(3)
    rows = torch.randn(batch, 2**n, dtype=torch.complex128, generator=gen)
    obs = [SparsePauliOp("Z" + "I" * (n - 1)), SparsePauliOp("I" * (n - 2) + "ZZ")]
    table = PauliTable(obs, n, torch.complex128)
    got = table.expectations(rows.T)  # columns contiguous, as the blocked evolution
    probs = rows.real**2 + rows.imag**2
    assert torch.allclose(got, probs @ table.diag, rtol=1e-12)


@pytest.mark.parametrize("block_kb", [1024.0, 2.0])
@pytest.mark.parametrize("per_row", [False, True])
def test_readout_inside_the_evolution_equals_autograd(monkeypatch, per_row, block_kb):
    """Adjoint batches with Z readouts take the fused readout (one block: states kept in
    the pair buffers; 2 KiB blocks: two states per block, co-states built per block)."""
    from qmlsec.engine import adjoint

    calls = []
    monkeypatch.setattr(statevector, "read_out", lambda *a: calls.append(1) or adjoint.read_out(*a))
    spec = QNNSpec(n_qubits=6, layers=3, encoding="angle", rotation="Z", entanglement="ring")
    cc = compile_circuit(spec.build(), spec.observables(), backward="adjoint", block_kb=block_kb)
    ref = compile_circuit(spec.build(), spec.observables(), backward="autograd")
    got = _run(cc, 5, per_row, batch=9)
    assert calls  # the fused path ran
    want = _run(ref, 5, per_row, batch=9)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-12, rtol=0)
    again = _run(cc, 5, per_row, batch=9)  # the kept buffers give the same numbers
    for g, w in zip(again, got, strict=True):
        assert torch.equal(g, w)


@pytest.mark.parametrize("block_kb", [1024.0, TINY_BLOCK])
def test_fused_readout_backward_twice_through_a_retained_graph(block_kb):
    spec = QNNSpec(n_qubits=5, layers=2, encoding="angle", rotation="Z", entanglement="ring")
    cc = compile_circuit(spec.build(), spec.observables(), backward="adjoint", block_kb=block_kb)
    x, theta, weights = _data(cc, 8, 4, False)
    loss = (cc.expectations(x, theta) * weights).sum()
    first = torch.autograd.grad(loss, [x, theta], retain_graph=True)
    second = torch.autograd.grad(loss, [x, theta])  # the sweep consumed the first states
    for a, b in zip(first, second, strict=True):
        torch.testing.assert_close(a, b, atol=1e-13, rtol=0)
